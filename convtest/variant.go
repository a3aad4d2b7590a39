package convtest

import (
	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
)

// Variant adapts one of convverify's own registered variants
// (optimized.All) to Impl, with its bound (Judge), its worker counts
// (Parallel) and its exactness on integer inputs (Exact).
func Variant(v optimized.Variant) Impl { return variant{v} }

type variant struct{ v optimized.Variant }

func (a variant) Name() string                   { return a.v.Name }
func (a variant) Ops() []conv.Op                 { return a.v.Ops }
func (a variant) Supports(p *conv.Problem) error { return a.v.Supports(p) }
func (a variant) Deterministic() bool            { return a.v.Deterministic }
func (a variant) ExactOnIntegers() bool          { return a.v.Exact }
func (a variant) Judge(p *conv.Problem, mag []float64) (conv.Bound, []float64) {
	return a.v.Judge(p, mag)
}
func (a variant) Forward(p *conv.Problem, in conv.Inputs[float32], out []float32) error {
	return a.v.Run(p, in, out, 1)
}
func (a variant) ForwardWorkers(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
	return a.v.Run(p, in, out, workers)
}
