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
// reference's magnitudes mag (reference.Magnitude: Σ|term| per element plus
// the float32 error of deform sampling and dynamic routing, in units of
// γ_N; docs/bounds.md):
//
//	|got − exp| ≤ max(v.BoundC, 1) · γ_N · scale[i] + 2⁻⁴⁰·max(mag),  N = p.AccumLength()
//
// where scale is mag itself, or for a Normwise variant each element's
// (image, output channel) plane maximum of mag. mag is not modified. C is
// never below 1: the sampling and routing part of mag is sized for C = 1
// (conv.MagnitudeOfTermError), and no variant can beat any-order summation.
func (v Variant) Judge(p *conv.Problem, mag []float64) (conv.Bound, []float64) {
	m := 0.0
	for _, x := range mag {
		m = math.Max(m, x)
	}
	b := conv.Bound{C: math.Max(v.BoundC, 1), N: p.AccumLength(), Abs: judgeAbs*m + 1e-30}
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
