package reference

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Forward runs p's op on in and returns the output, NCDHW flat, length Elems(p.DstShape()).
// It validates p (p.Validate) and the inputs (in.Check(p)) and returns their error instead of panicking.
// It also refuses problems whose tensors exceed conv.DefaultBudget in float64.
// For deform, a mask present in in is applied even when p.Mask is false (in.Check has checked its shape).
func Forward(p *conv.Problem, in conv.Inputs[float64], c *Counter) ([]float64, error) {
	if err := check(p, &in); err != nil {
		return nil, err
	}
	switch p.Op {
	case conv.OpConv:
		return Conv(p, in.X, in.W, in.B, c), nil
	case conv.OpDeconv:
		return Deconv(p, in.X, in.W, in.B, c), nil
	case conv.OpDeform:
		return Deform(p, in.X, in.W, in.B, in.Offset, in.Mask, c), nil
	case conv.OpDynamic:
		return Dynamic(p, in.X, in.W, in.B, in.RouteW, in.RouteB, c), nil
	}
	return nil, fmt.Errorf("op: unknown op %v", p.Op)
}

// Magnitude returns, per output element, the scale of conv.Bound: under
// conv.DefaultBound(p) (and any bound with C ≥ 1 and N ≥ p.AccumLength()),
// C·γ_N·Magnitude bounds the error of every correct float32 implementation
// (docs/bounds.md). It is
//
//	Σ|term| + conv.MagnitudeOfTermError(p, termError)
//
// where Σ|term| is SumMagnitude (|x·w| for each tap, plus |b|) and termError
// bounds the float32 error of the terms before they are summed: zero for conv
// and deconv, the sampling of deform and the routing and mixing of dynamic
// (termerror.go).
//
// It returns nil when p or in is invalid (Forward's error says why).
func Magnitude(p *conv.Problem, in conv.Inputs[float64]) []float64 {
	if check(p, &in) != nil {
		return nil
	}
	mag := SumMagnitude(p, in)
	for i, e := range termError(p, in, mag) {
		mag[i] += conv.MagnitudeOfTermError(p, e)
	}
	return mag
}

// SumMagnitude returns Σ|term| per output element, without the float32
// error of the terms themselves that Magnitude adds (nil when p or in is
// invalid):
//
//   - conv, deconv: Forward on |x|, |w|, |b|.
//   - deform: offsets unchanged (bilinear weights are ≥ 0), |x|, |w|, |b|, |mask|.
//   - dynamic: the real α (routed from the real x), then Σₑ α_e·|w_e| as the
//     kernel, Σₑ α_e·|b_e| as the bias and |x| as the input; |Σₑ α_e·w_e| would
//     hide the cancellation between experts.
func SumMagnitude(p *conv.Problem, in conv.Inputs[float64]) []float64 {
	if check(p, &in) != nil {
		return nil
	}
	ax, aw, ab := conv.Abs(in.X), conv.Abs(in.W), conv.Abs(in.B)
	switch p.Op {
	case conv.OpConv:
		return Conv(p, ax, aw, ab, nil)
	case conv.OpDeconv:
		return Deconv(p, ax, aw, ab, nil)
	case conv.OpDeform:
		return Deform(p, ax, aw, ab, in.Offset, conv.Abs(in.Mask), nil)
	case conv.OpDynamic:
		alpha := Alphas(p, in.X, in.RouteW, in.RouteB)
		return dynamicWith(p, ax, aw, ab, alpha, nil)
	}
	return nil
}

// check is everything Forward demands before it runs: a valid problem,
// inputs of the right lengths, and tensors small enough to allocate.
func check(p *conv.Problem, in *conv.Inputs[float64]) error {
	if p == nil {
		return fmt.Errorf("problem: nil")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := p.CheckBudget(8, conv.DefaultBudget); err != nil {
		return err
	}
	return in.Check(p)
}
