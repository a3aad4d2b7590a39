//go:build noasm || !amd64

package optimized

const hasMultiTapAsm = false

func multiTapAsm(out, base []float32, offs []int, w []float32, bias float32) { panic("unreachable") }
