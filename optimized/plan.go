package optimized

import (
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/convverify/convverify/conv"
)

// runner computes one prepared problem: in holds the input and, for deform
// and dynamic, the offsets, mask and routing weights; the weights and bias
// were given at preparation.
type runner func(in conv.Inputs[float32], out []float32)

// preparer sets a variant up for p with weights w and bias b (nil without):
// it transforms or copies the weights as the variant needs and takes every
// buffer it will use from ex, so that the runner allocates nothing.
type preparer func(ex *executor, p *conv.Problem, w, b []float32) (runner, error)

// Plan is a variant prepared for one problem and its weights, as ONNX
// Runtime prepares at session creation and oneDNN at primitive creation:
// the weights are copied or transformed once (Winograd's G·g·Gᵀ, the
// kernel's FFT, deconvolution's transposed or flipped layout), and the plan
// owns every workspace and its worker goroutines, so that Run allocates
// nothing after its first call.
//
// A plan keeps no reference to the w and b given to Prepare, nor to any
// input or output of a previous Run. It is not safe for concurrent Runs.
// Close stops its goroutines; a plan that is dropped without Close has them
// stopped when it is garbage collected.
type Plan struct {
	variant string
	p       conv.Problem
	ex      *executor
	run     runner
	// element counts of the run's arguments (checked per run without
	// allocating, as conv.Inputs.Check would)
	xLen, offLen, maskLen, rwLen, rbLen, outLen int
	closed                                      bool
}

// Prepare sets v up for p with weights w and bias b (nil for none), to run
// on at most workers goroutines (≤ 1: the caller's). The plan copies what
// it keeps: w, b and p may change afterwards.
func (v Variant) Prepare(p *conv.Problem, w, b []float32, workers int) (*Plan, error) {
	if v.prepare == nil {
		return nil, fmt.Errorf("%s: no prepared execution", v.Name)
	}
	return v.prepare(p, w, b, workers)
}

// HasPlan reports whether v offers prepared execution (every registered
// variant does; one built elsewhere may not).
func (v Variant) HasPlan() bool { return v.prepare != nil }

// prepareWith is Variant.Prepare for a registered variant: the shared
// checks, then the variant's preparer on a persistent executor.
func prepareWith(v Variant, prep preparer, p *conv.Problem, w, b []float32, workers int) (*Plan, error) {
	if err := v.Supports(p); err != nil {
		return nil, err
	}
	if want := conv.Elems(p.WeightShape()); len(w) != want {
		return nil, fmt.Errorf("%s: w: %d elements, want %d for shape %s", v.Name, len(w), want, conv.ShapeString(p.WeightShape()))
	}
	if b != nil && len(b) != conv.Elems(p.BiasShape()) {
		return nil, fmt.Errorf("%s: b: %d elements, want %d for shape %s", v.Name, len(b), conv.Elems(p.BiasShape()), conv.ShapeString(p.BiasShape()))
	}
	if err := p.CheckBudget(4, conv.DefaultBudget); err != nil {
		return nil, fmt.Errorf("%s: %w", v.Name, err)
	}
	pl := &Plan{variant: v.Name, p: *p, ex: newPlanExecutor(workers)}
	q := &pl.p
	pl.xLen, pl.outLen = conv.Elems(q.SrcShape()), conv.Elems(q.DstShape())
	pl.offLen, pl.maskLen, pl.rwLen, pl.rbLen = -1, -1, -1, -1
	switch q.Op {
	case conv.OpDeform:
		pl.offLen, pl.maskLen = conv.Elems(q.OffsetShape()), conv.Elems(q.MaskShape())
	case conv.OpDynamic:
		pl.rwLen, pl.rbLen = conv.Elems(q.RouteWShape()), conv.Elems(q.RouteBShape())
	}
	run, err := prep(pl.ex, q, slices.Clone(w), slices.Clone(b))
	if err != nil {
		pl.ex.release()
		return nil, err
	}
	pl.run = run
	if pl.ex.pool != nil {
		// the helpers reference the pool, not the plan: a dropped plan is
		// collected, and this stops them
		runtime.AddCleanup(pl, func(wp *workerPool) { wp.close() }, pl.ex.pool)
	}
	return pl, nil
}

// Problem returns the problem the plan was prepared for.
func (pl *Plan) Problem() conv.Problem { return pl.p }

// Workers is the number of goroutines the plan runs on.
func (pl *Plan) Workers() int { return pl.ex.workers }

var errPlanClosed = errors.New("plan: Run after Close")

// Run computes the prepared problem on in into out (len Elems(DstShape)).
// in.W and in.B must be nil: the weights are the plan's. It writes every
// element of out and nothing outside it.
func (pl *Plan) Run(in conv.Inputs[float32], out []float32) error {
	if pl.closed {
		return fmt.Errorf("%s: %w", pl.variant, errPlanClosed)
	}
	if in.W != nil || in.B != nil {
		return fmt.Errorf("%s: plan: in.W and in.B must be nil (the weights were given to Prepare)", pl.variant)
	}
	chk := func(name string, got []float32, want int) error {
		if want < 0 {
			if got != nil {
				return fmt.Errorf("%s: %s: given, but %v takes none", pl.variant, name, pl.p.Op)
			}
			return nil
		}
		if name == "mask" && got == nil && !pl.p.Mask {
			return nil // DCNv1: the mask is optional
		}
		if len(got) != want {
			return fmt.Errorf("%s: %s: %d elements, want %d", pl.variant, name, len(got), want)
		}
		return nil
	}
	for _, a := range [...]struct {
		name string
		got  []float32
		want int
	}{{"x", in.X, pl.xLen}, {"out", out, pl.outLen}, {"offset", in.Offset, pl.offLen}, {"mask", in.Mask, pl.maskLen},
		{"route_w", in.RouteW, pl.rwLen}, {"route_b", in.RouteB, pl.rbLen}} {
		if err := chk(a.name, a.got, a.want); err != nil {
			return err
		}
	}
	return countCombos(&pl.p, pl.ex.workers, func() error { pl.run(in, out); return nil })
}

// Close stops the plan's goroutines and lets its buffers go. Run fails
// afterwards. Close is idempotent.
func (pl *Plan) Close() {
	if pl.closed {
		return
	}
	pl.closed = true
	pl.ex.release()
}
