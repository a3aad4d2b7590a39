package optimized

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDw3x3KernelsAgree runs dwS1PlaneAVX512 and dwS2PlaneAVX512 (where
// the machine has AVX-512) and dwS2PlaneAVX2 (where it has AVX2, on rows
// of 8 outputs or more) against dw3x3PlaneGo on every plane of 1–7 rows
// and 1–50 columns with begin padding 0–2 on each axis (the width's end
// padding tight, one more or one less), on small integers, where both
// sums are exact: the outputs must be equal bit for bit, and the NaN
// guards before and after the plane must stay as they were.
func TestDw3x3KernelsAgree(t *testing.T) {
	avx2 := multiTapCanRun(multiTapAVX2ISA)
	if !hasMultiTapAsm && !avx2 {
		t.Skip("no dw3x3 assembly kernel here")
	}
	type kernel func(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, d *dw3x3, w *float32, bias float32)
	avx512 := func(s int) kernel {
		return func(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, d *dw3x3, w *float32, bias float32) {
			k := dwS2PlaneAVX512
			if s == 1 {
				k = dwS1PlaneAVX512
			}
			k(out, ow, oh, x, iw, ih, ph, pw, zero, &d.masks[0], d.chunks, w, bias)
		}
	}
	s2AVX2 := func(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, d *dw3x3, w *float32, bias float32) {
		dwS2PlaneAVX2(out, ow, oh, x, iw, ih, ph, pw, zero, &d.avx2[0], d.avx2Ch, w, bias)
	}
	checked := 0
	rng := rand.New(rand.NewPCG(5, 7))
	guard := math.Float32frombits(0x7fc0dead)
	for s := 1; s <= 2; s++ {
		for ih := 1; ih <= 7; ih++ {
			for iw := 1; iw <= 50; iw++ {
				for ph := 0; ph <= 2; ph++ {
					for pw := 0; pw <= 2; pw++ {
						for _, extra := range []int{-1, 0, 1} {
							oh := (ih+2*ph-3)/s + 1
							ow := (iw+2*pw-3+extra)/s + 1
							if oh < 1 || ow < 1 {
								continue
							}
							d := newDw3x3Width(s, iw, ow, pw)
							x := make([]float32, ih*iw)
							for i := range x {
								x[i] = float32(rng.IntN(9) - 4)
							}
							w := make([]float32, 9)
							for i := range w {
								w[i] = float32(rng.IntN(7) - 3)
							}
							bias := float32(rng.IntN(5) + 1)
							want := make([]float32, oh*ow)
							dw3x3PlaneGo(s, want, ow, oh, x, iw, ih, ph, pw, w, bias)
							var kernels []kernel
							if hasMultiTapAsm {
								kernels = append(kernels, avx512(s))
							}
							if avx2 && s == 2 && ow >= 8 {
								kernels = append(kernels, s2AVX2)
							}
							for _, kernel := range kernels {
								checked++
								got := make([]float32, 16+oh*ow+16)
								for i := range got {
									got[i] = guard
								}
								kernel(&got[16], ow, oh, &x[0], iw, ih, ph, pw, &d.zero[0], d, &w[0], bias)
								for i, v := range got {
									j := i - 16
									if j < 0 || j >= oh*ow {
										if math.Float32bits(v) != math.Float32bits(guard) {
											t.Fatalf("stride %d ih %d iw %d ph %d pw %d ow %d: guard word %d overwritten: %v", s, ih, iw, ph, pw, ow, j, v)
										}
										continue
									}
									if math.Float32bits(v) != math.Float32bits(want[j]) {
										t.Fatalf("stride %d ih %d iw %d ph %d pw %d ow %d: out[%d] = %v, want %v", s, ih, iw, ph, pw, ow, j, v, want[j])
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if avx2 && checked == 0 {
		t.Error("no plane reached dwS2PlaneAVX2")
	}
}
