package convtest

import (
	"math"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
)

// GradVariant adapts one of convverify's registered gradient variants
// (optimized.GradAll) to GradImpl, with its bound (BoundC times
// GradAccumLength's N, or the variant's own AccumLength), worker counts
// (1 and 3) and exactness.
func GradVariant(v optimized.GradVariant) GradImpl { return gradVariant{v} }

type gradVariant struct{ v optimized.GradVariant }

func (a gradVariant) Name() string                   { return a.v.Name }
func (a gradVariant) Ops() []conv.Op                 { return a.v.Ops }
func (a gradVariant) Dirs() []conv.Dir               { return a.v.Dirs }
func (a gradVariant) Supports(p *conv.Problem) error { return a.v.Supports(p) }
func (a gradVariant) Deterministic() bool            { return a.v.Deterministic }
func (a gradVariant) ExactOnIntegers() bool          { return a.v.Exact }

func (a gradVariant) Backward(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32]) error {
	return a.v.Run(p, in, dy, g, 1)
}

func (a gradVariant) BackwardWorkers(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error {
	return a.v.Run(p, in, dy, g, workers)
}

// GradJudge is DefaultGradBound with C = max(BoundC, 1) and, when the
// variant states one, its own N.
func (a gradVariant) GradJudge(p *conv.Problem, grad string, mag []float64) (conv.Bound, []float64) {
	b := DefaultGradBound(p, grad, mag)
	b.C = math.Max(a.v.BoundC, 1)
	if a.v.AccumLength != nil {
		b.N = a.v.AccumLength(p, grad)
	}
	return b, mag
}
