package optimized

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDw3x3KernelsAgree runs dwS1PlaneAVX512 and dwS2PlaneAVX512 against
// dw3x3PlaneGo on every plane of 1–7 rows and 1–50 columns with begin padding 0–2 on each axis
// (the width's end padding tight, one more or one less), on small
// integers, where both sums are exact: the outputs must be equal bit for
// bit, and the NaN guards before and after the plane must stay as they
// were.
func TestDw3x3KernelsAgree(t *testing.T) {
	if !hasMultiTapAsm {
		t.Skip("no AVX-512 kernel here")
	}
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
							got := make([]float32, 16+oh*ow+16)
							for i := range got {
								got[i] = guard
							}
							kernel := dwS2PlaneAVX512
							if s == 1 {
								kernel = dwS1PlaneAVX512
							}
							kernel(&got[16], ow, oh, &x[0], iw, ih, ph, pw, &d.zero[0], &d.masks[0], d.chunks, &w[0], bias)
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
