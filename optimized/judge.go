package optimized

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// judgeAbs is the absolute term of Judge's bound relative to the largest
// element magnitude: 2⁻⁴⁰·max Σ|x·w|, 2¹⁶ below the float32 resolution of
// that element. It absorbs float64 residues (~2⁻⁵⁰·scale) of transform
// methods in elements whose own magnitude is tiny.
const judgeAbs = 0x1p-40

// Judge returns the bound and the per-element magnitudes under which v's
// float32 output for p is judged against an exact reference, given the
// reference's magnitudes mag (Σ|term| per element, e.g. reference.Magnitude):
//
//	|got − exp| ≤ v.BoundC · p.AccumLength() · u · scale[i] + 2⁻⁴⁰·max(mag)
//
// where scale is mag itself, or for a Normwise variant each element's
// (image, output channel) plane maximum of mag. mag is not modified.
func (v Variant) Judge(p *conv.Problem, mag []float64) (conv.Bound, []float64) {
	m := 0.0
	for _, x := range mag {
		m = math.Max(m, x)
	}
	b := conv.Bound{C: v.BoundC, N: p.AccumLength(), Abs: judgeAbs*m + 1e-30}
	if !v.Normwise {
		return b, mag
	}
	scale := make([]float64, len(mag))
	osp := conv.Spatial(p.O)
	for i := 0; i+osp <= len(mag); i += osp {
		pm := 0.0
		for _, x := range mag[i : i+osp] {
			pm = math.Max(pm, x)
		}
		for j := i; j < i+osp; j++ {
			scale[j] = pm
		}
	}
	return b, scale
}
