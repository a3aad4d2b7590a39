//go:build noasm || !amd64

package optimized

const hasMultiTapAsm = false

func bestMultiTapISA() multiTapISAKind { return multiTapGoISA }

func multiTapCanRun(isa multiTapISAKind) bool { return isa == multiTapGoISA }

func multiTapAsm(isa multiTapISAKind, out []float32, n, rows, ldo int, base []float32, ldb int, offs []int, w []float32, bias float32) {
	panic("unreachable")
}

func deinterleave2Rows(dst *float32, ph, ldd int, src *float32, soff, lds, rows int, masks *uint64, chunks int) {
	panic("unreachable")
}

func copyRowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int) {
	panic("unreachable")
}

func scatter2RowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int) {
	panic("unreachable")
}

func zip2RowsAVX512(dst *float32, ldd int, a, b *float32, lds, n, rows int) {
	panic("unreachable")
}

func gather2RowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int) {
	panic("unreachable")
}

func dwS2PlaneAVX512(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, masks *uint64, chunks int, w *float32, bias float32) {
	panic("unreachable")
}

func dwS1PlaneAVX512(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, masks *uint64, chunks int, w *float32, bias float32) {
	panic("unreachable")
}

var hasDeinterleaveAVX2 = false

func deinterleave2AVX2(even, odd, src *float32, n int) { panic("unreachable") }

func dwS2PlaneAVX2(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, chunks *int32, n int, w *float32, bias float32) {
	panic("unreachable")
}
