//go:build !noasm

package optimized

import "golang.org/x/sys/cpu"

//go:noescape
func multiTapAVX512(out *float32, n, rows, ldo int, base *float32, ldb int, offs *int, w *float32, taps int, bias float32)

var hasMultiTapAsm = cpu.X86.HasAVX512F

func multiTapAsm(out []float32, n, rows, ldo int, base []float32, ldb int, offs []int, w []float32, bias float32) {
	multiTapAVX512(&out[0], n, rows, ldo, &base[0], ldb, &offs[0], &w[0], len(offs), bias)
}
