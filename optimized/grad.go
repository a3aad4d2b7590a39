package optimized

import (
	"fmt"
	"slices"

	"github.com/convverify/convverify/conv"
)

// GradVariant is one implementation of backward directions (issue 12): the
// gradients that a problem's direction (conv.Problem.Dir: BWD_D, BWD_W,
// BWD_WB) writes, as the tensor table (conv.Problem.Tensors) names them.
//
// It is the backward counterpart of Variant, held to the same rules: every
// element of every gradient written, nothing outside it, an error (never a
// panic) for a problem it does not support or a wrong size, and, when
// Deterministic, a result independent of workers (reductions over batch and
// space in an order fixed by the problem alone).
type GradVariant struct {
	Name string
	Ops  []conv.Op
	Dirs []conv.Dir
	// Supports returns nil if the variant computes p (its op and direction).
	Supports func(p *conv.Problem) error
	// Run computes the gradients p.Dir writes into g (conv.NewGrads sizes
	// them), from the inputs the direction reads (in; fields it does not
	// read may be nil) and dy, shaped as the forward output.
	Run func(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error
	// BoundC, Exact, Deterministic: as for Variant, per gradient element
	// against the magnitude reference.GradMagnitude gives.
	BoundC        float64
	Exact         bool
	Deterministic bool
	// Kernel names the inner kernel the time goes to (see Variant.Kernel).
	Kernel func() string
	// AccumLength, if set, is N of the bound of the gradient named grad
	// ("dx", "dw", …): the number of terms one of its elements sums, where
	// it differs from convtest.GradAccumLength's count (which over-counts
	// deform and dynamic). nil: that count.
	AccumLength func(p *conv.Problem, grad string) int
}

// HandlesDir reports whether v lists op and dir.
func (v GradVariant) HandlesDir(op conv.Op, dir conv.Dir) bool {
	return slices.Contains(v.Ops, op) && slices.Contains(v.Dirs, dir)
}

var gradRegistry []GradVariant

// registerGrad wraps v's Supports and Run with the checks every gradient
// variant shares (validation, op and direction, input and gradient sizes,
// memory budget) and adds it to the registry. Each file registers its own
// in an init function; the order is the files' (alphabetical), fixed.
func registerGrad(v GradVariant) {
	sup, run, name := v.Supports, v.Run, v.Name
	v.Supports = func(p *conv.Problem) error {
		if p == nil {
			return fmt.Errorf("%s: nil problem", name)
		}
		if err := p.Validate(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if !v.HandlesDir(p.Op, p.Dir) {
			return fmt.Errorf("%s: op %v direction %v not handled", name, p.Op, p.Dir)
		}
		return sup(p)
	}
	v.Run = func(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error {
		if err := v.Supports(p); err != nil {
			return err
		}
		if err := conv.CheckReads(p, in, dy); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := g.Check(p); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := p.CheckBudget(8, conv.DefaultBudget); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return run(p, in, dy, g, max(workers, 1))
	}
	gradRegistry = append(gradRegistry, v)
}

// GradAll returns every registered gradient variant, in registration order.
func GradAll() []GradVariant { return append([]GradVariant(nil), gradRegistry...) }

// GradFor returns the gradient variants that support p.
func GradFor(p *conv.Problem) []GradVariant {
	var vs []GradVariant
	for _, v := range gradRegistry {
		if v.Supports(p) == nil {
			vs = append(vs, v)
		}
	}
	return vs
}

// GradLookup finds a gradient variant by name.
func GradLookup(name string) (GradVariant, bool) {
	for _, v := range gradRegistry {
		if v.Name == name {
			return v, true
		}
	}
	return GradVariant{}, false
}
