package properties

import (
	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// PropDeformZeroOffsets: a deformable conv whose offsets are all zero (and
// whose mask, for DCNv2, is all ones) samples the regular grid, so it is the
// standard conv with the same weights, bit for bit.
func PropDeformZeroOffsets(t *rapid.T) {
	p := ProblemGen(conv.OpDeform).Draw(t, "p")
	in := fill(&p, RNG(t), true)
	in.Offset = make([]float64, len(in.Offset))
	if p.Mask {
		in.Mask = onesVec(len(in.Mask))
	}
	got, err := reference.Forward(&p, in, nil)
	if err != nil {
		t.Fatalf("%v", err)
	}
	c := p
	c.Op = conv.OpConv
	equalExact(t, "deform with zero offsets vs conv", p.DstShape(), got, refConv(&c, in.X, in.W, in.B, nil))
}

// PropDeformIntegerShift: with the same integer offset (δh, δw) on every tap
// and output, a deformable conv reads x at every grid point moved by δ, so it
// is the standard conv of the input shifted by −δ (zeros shifted in), at
// every output none of whose taps reads the conv's padding where the deformed
// sample finds a real pixel (the pixels the shift pushed out of the frame).
func PropDeformIntegerShift(t *rapid.T) {
	p := ProblemGen(conv.OpDeform).Draw(t, "p")
	in := fill(&p, RNG(t), true)
	dh, dw := rapid.IntRange(-3, 3).Draw(t, "dh"), rapid.IntRange(-3, 3).Draw(t, "dw")
	for i := range in.Offset {
		in.Offset[i] = float64(dw)
		if (i/conv.Spatial(p.O))%2 == 0 {
			in.Offset[i] = float64(dh) // channel 2k is the row offset of tap k
		}
	}
	if p.Mask {
		in.Mask = onesVec(len(in.Mask))
	}
	got, err := reference.Forward(&p, in, nil)
	if err != nil {
		t.Fatalf("%v", err)
	}
	c := p
	c.Op = conv.OpConv
	delta := [3]int{0, dh, dw}
	want := refConv(&c, shift(in.X, p.MB, p.IC, p.I, [3]int{0, -dh, -dw}), in.W, in.B, nil)
	comparable := func(a, o int) bool {
		for k := 0; k < p.K[a]; k++ {
			q := o*p.S[a] - p.PBegin[a] + k*p.Dil[a]
			if (q < 0 || q >= p.I[a]) && q+delta[a] >= 0 && q+delta[a] < p.I[a] {
				return false
			}
		}
		return true
	}
	tested := 0
	for i := range got {
		ow := i % p.O[conv.W]
		oh := (i / p.O[conv.W]) % p.O[conv.H]
		if !comparable(conv.H, oh) || !comparable(conv.W, ow) {
			continue
		}
		tested++
		if got[i] != want[i] {
			t.Fatalf("offset (%d, %d) at %s: deform %v, conv of the shifted input %v", dh, dw, conv.MultiIndex(p.DstShape(), i), got[i], want[i])
		}
	}
	t.Logf("%d of %d outputs clear of the frame's edge", tested, len(got))
}
