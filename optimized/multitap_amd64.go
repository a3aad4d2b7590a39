//go:build !noasm

package optimized

import "golang.org/x/sys/cpu"

//go:noescape
func multiTapAVX512(out *float32, n int, base *float32, offs *int, w *float32, taps int, bias float32)

var hasMultiTapAsm = cpu.X86.HasAVX512F

func multiTapAsm(out, base []float32, offs []int, w []float32, bias float32) {
	multiTapAVX512(&out[0], len(out), &base[0], &offs[0], &w[0], len(offs), bias)
}
