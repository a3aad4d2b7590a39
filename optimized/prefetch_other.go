//go:build noasm || !amd64

package optimized

// prefetchRowsW is a hint only; without assembly there is none to give.
func prefetchRowsW(p []float32, stride, rows, lines int) {}
