//go:build !noasm

package optimized

import "golang.org/x/sys/cpu"

// deformPanelAVX512 is deformPanelGo with the 16 samples as channel vectors
// transposed in registers; bit-identical to it (the same products and sums,
// no FMA).
//
//go:noescape
func deformPanelAVX512(dst *float32, ldd, sw int, x *float32, cs, pw int, base *int32, w *float32, ws, nc int)

// deformTapsAVX512 is deformTapsGo 8 samples at a time; bit-identical to it.
//
//go:noescape
func deformTapsAVX512(base *int32, w *float32, ws int, offY, offX, mask *float32, rowY, colX *float64, dy, dx, fih, fiw float64, pw, n int) (flags int)

// deformPadAVX512 is deformPadGo on one 16×16 block, transposed in
// registers.
//
//go:noescape
func deformPadAVX512(dst *float32, ldd int, src *float32, lds, nx, nc int)

var hasDeformAsm = cpu.X86.HasAVX512F

// deformPanel8AVX2 is deformPanelGo on 8 samples and 8·blocks channels,
// transposed in registers 8×8 at a time; bit-identical to it.
//
//go:noescape
func deformPanel8AVX2(dst *float32, ldd int, x *float32, cs, pw int, base *int32, w *float32, ws, blocks int)

// hasDeformAVX2 reports whether deformPanel8AVX2 runs here (and deformPanel
// uses it where the AVX-512 kernels do not run); a variable for tests.
var hasDeformAVX2 = cpu.X86.HasAVX2

func deformPanelAsm(dst []float32, ldd, sw int, x []float32, cs, pw int, base []int32, w []float32, ws, nc int) {
	deformPanelAVX512(&dst[0], ldd, sw, &x[0], cs, pw, &base[0], &w[0], ws, nc)
}

func deformTapsAsm(base []int32, w []float32, ws int, offY, offX, mask []float32, rowY, colX []float64, dy, dx, fih, fiw float64, pw int) int {
	var m *float32
	if mask != nil {
		m = &mask[0]
	}
	return deformTapsAVX512(&base[0], &w[0], ws, &offY[0], &offX[0], m, &rowY[0], &colX[0], dy, dx, fih, fiw, pw, len(offY))
}

func deformPadAsm(dst []float32, ldd int, src []float32, lds, nx, nc int) {
	deformPadAVX512(&dst[0], ldd, &src[0], lds, nx, nc)
}
