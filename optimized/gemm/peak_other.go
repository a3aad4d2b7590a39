//go:build noasm || !amd64

package gemm

func peakUnit() string        { return "portable" }
func peakProbe(iters int)     { peakGo(iters) }
func peakProbeAVX2(iters int) { peakGo(iters) }
