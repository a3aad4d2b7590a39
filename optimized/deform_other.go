//go:build noasm || !amd64

package optimized

const hasDeformAsm = false

func deformPanelAsm(dst []float32, ldd, sw int, x []float32, cs, pw int, base []int32, w []float32, ws, nc int) {
	panic("unreachable")
}

func deformTapsAsm(base []int32, w []float32, ws int, offY, offX, mask []float32, rowY, colX []float64, dy, dx, fih, fiw float64, pw int) int {
	panic("unreachable")
}

func deformPadAsm(dst []float32, ldd int, src []float32, lds, nx, nc int) {
	panic("unreachable")
}

const hasDeformAVX2 = false

func deformPanel8AVX2(dst *float32, ldd int, x *float32, cs, pw int, base *int32, w *float32, ws, blocks int) {
	panic("unreachable")
}
