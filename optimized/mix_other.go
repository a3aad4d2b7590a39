//go:build noasm || !amd64

package optimized

func mixAsm(dst, src []float32, size int, alpha []float64) int { return 0 }

func sumAsm(x []float32) (float64, int) { return 0, 0 }

// hasMixAsm and hasMixAVX2: no assembly in this build.
var hasMixAsm, hasMixAVX2 = false, false
