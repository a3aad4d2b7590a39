package convtest

import (
	"fmt"
	"math"
	"slices"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
)

// PlanVariant adapts one of convverify's registered variants, run through
// its prepared execution (optimized.Variant.Prepare, Plan.Run), to Impl,
// with the variant's bound, worker counts and exactness (as Variant).
//
// Each Forward prepares a plan on copies of the weights and bias and then
// poisons the copies with NaN, so a plan that kept them by reference fails.
// It runs the plan twice: first on decoy inputs (the input reversed,
// negated and shifted; offsets, mask and routing changed likewise) into a
// guarded NaN-poisoned buffer, whose inputs are then poisoned with NaN;
// then on the real inputs into out, which the suite checks. A plan that
// keeps anything of a run for the next (a workspace read before it is
// written, a cached input pointer, a column buffer not cleared where the
// next run expects zeros) shows in the second run's result.
func PlanVariant(v optimized.Variant) Impl { return planVariant{variant{v}} }

type planVariant struct{ variant }

func (a planVariant) Name() string { return a.v.Name + "/plan" }

func (a planVariant) Forward(p *conv.Problem, in conv.Inputs[float32], out []float32) error {
	return a.ForwardWorkers(p, in, out, 1)
}

func (a planVariant) ForwardWorkers(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
	w, b := slices.Clone(in.W), slices.Clone(in.B)
	pl, err := a.v.Prepare(p, w, b, workers)
	if err != nil {
		return err
	}
	defer pl.Close()
	poison(w)
	poison(b)
	decoy := decoyInputs(in)
	if _, err := RunGuarded(len(out), func(o []float32) error { return pl.Run(decoy, o) }); err != nil {
		return fmt.Errorf("decoy run: %w", err)
	}
	for _, s := range [][]float32{decoy.X, decoy.Offset, decoy.Mask, decoy.RouteW, decoy.RouteB} {
		poison(s)
	}
	in.W, in.B = nil, nil
	return pl.Run(in, out)
}

// decoyInputs returns inputs of in's shapes with other values (new slices;
// no W or B, which a plan takes at preparation).
func decoyInputs(in conv.Inputs[float32]) conv.Inputs[float32] {
	// reversed, negated and shifted: differs from in even where in is
	// symmetric or constant
	other := func(s []float32, shift float32) []float32 {
		if s == nil {
			return nil
		}
		d := make([]float32, len(s))
		for i, v := range s {
			d[len(s)-1-i] = shift - v
		}
		return d
	}
	d := conv.Inputs[float32]{X: other(in.X, 0.375), Offset: other(in.Offset, 0.625), RouteW: other(in.RouteW, 0.5), RouteB: other(in.RouteB, -0.25)}
	if in.Mask != nil {
		d.Mask = other(in.Mask, 1) // 1 − m stays in [0, 1]
	}
	return d
}

func poison(s []float32) {
	for i := range s {
		s[i] = float32(math.NaN())
	}
}
