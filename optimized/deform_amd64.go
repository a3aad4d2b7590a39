//go:build !noasm

package optimized

import "golang.org/x/sys/cpu"

// deformPanelAVX512 is deformPanelGo with the 16 samples as channel vectors
// transposed in registers; bit-identical to it (the same products and sums,
// no FMA).
//
//go:noescape
func deformPanelAVX512(dst *float32, ldd, sw int, x *float32, cs, pw int, base *int32, w *float32, ws, nc int)

var hasDeformAsm = cpu.X86.HasAVX512F

func deformPanelAsm(dst []float32, ldd, sw int, x []float32, cs, pw int, base []int32, w []float32, ws, nc int) {
	deformPanelAVX512(&dst[0], ldd, sw, &x[0], cs, pw, &base[0], &w[0], ws, nc)
}
