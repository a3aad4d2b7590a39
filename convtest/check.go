package convtest

import (
	"fmt"
	"math"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/reference"
)

// Failure is one failing case: the problem, the inputs the implementation
// was given (float32 values, widened), the reference's output on them, and
// what went wrong.
type Failure struct {
	Impl    string
	Problem conv.Problem
	In      conv.Inputs[float64]
	Want    []float64 // the float64 reference on In
	What    string    // which check failed: "real fill", "workers 3", "linearity", …
	Message string    // the whole report, one or more lines
}

func (f *Failure) Error() string { return f.Message }

// Judge returns the bound under which impl's float32 output for p is held
// against the float64 reference, and the per-element scale it multiplies
// (mag, reference.Magnitude of the inputs, or what impl's own Judge makes
// of it). An Impl without a Judge method is held to conv.DefaultBound, the
// bound of direct float32 accumulation: every implementation that sums the
// same products in float32, in any order, meets it.
func Judge(impl Impl, p *conv.Problem, mag []float64) (conv.Bound, []float64) {
	if j, ok := impl.(Judger); ok {
		return j.Judge(p, mag)
	}
	return conv.DefaultBound(p), mag
}

// roundInputs rounds every input to float32 and back, so that the float64
// reference and the float32 implementation compute on the same numbers.
func roundInputs(in conv.Inputs[float64]) conv.Inputs[float64] {
	return conv.ConvertInputs[float64](conv.ConvertInputs[float32](in))
}

// forward runs impl on p into a guarded, NaN-poisoned output with workers
// goroutines (workers ≤ 1, or an impl that is not Parallel: Forward). A
// panic of impl on the calling goroutine is returned as an error, so that
// the case is reported and written like any other failure.
func forward(impl Impl, p *conv.Problem, in conv.Inputs[float32], workers int) ([]float32, error) {
	return RunGuarded(conv.Elems(p.DstShape()), func(out []float32) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		if par, ok := impl.(Parallel); ok && workers > 1 {
			return par.ForwardWorkers(p, in, out, workers)
		}
		return impl.Forward(p, in, out)
	})
}

// Check runs every check of the suite on one problem, with inputs drawn
// from seed, and returns the first failure (nil if all pass):
//
//  1. real inputs (oracles.RandomFill, rounded to float32; bias present or
//     not): every output element within Judge's bound of reference.Forward,
//     the output NaN-poisoned and guarded (RunGuarded);
//  2. for a Parallel impl, 3 workers: the same bits when Deterministic,
//     else within the bound;
//  3. linearity, without bias: F(a·x) = a·F(x) bit for bit for a power of
//     two a (scaling by 2^k is exact in every product and sum), and
//     F(x₁) + F(x₂) within three bounds of F(x) for x split elementwise
//     into x₁ + x₂ (each of the three is within one bound of the exact
//     result, and the magnitudes of x₁ and x₂ are at most x's); a dynamic
//     conv, not linear in x, is checked in its weights instead;
//  4. integer inputs (oracles.IntFill): bit-exact when the impl says it is
//     exact on integers (Exact) and the fill is exact, else within the bound.
func Check(impl Impl, p *conv.Problem, seed uint64, bias bool) *Failure {
	return check(impl, p, seed, bias, false)
}

func check(impl Impl, p *conv.Problem, seed uint64, bias, approxLinear bool) *Failure {
	rng := newRNG(seed)
	in := roundInputs(oracles.RandomFill(p, rng))
	if !bias {
		in.B = nil
	}
	exp, err := reference.Forward(p, in, nil)
	if err != nil {
		return &Failure{Impl: impl.Name(), Problem: *p, What: "reference", Message: fmt.Sprintf("reference on %s: %v", p.Command(), err)}
	}
	mag := reference.Magnitude(p, in)
	b, scale := Judge(impl, p, mag)
	fail := func(what string, format string, args ...any) *Failure {
		return newFailure(impl, p, in, exp, what, fmt.Sprintf(format, args...))
	}
	in32 := conv.ConvertInputs[float32](in)
	got, err := forward(impl, p, in32, 1)
	if err != nil {
		return fail("real fill", "%v", err)
	}
	if vd := conv.Compare(got, exp, scale, b, p.DstShape()); !vd.OK() {
		return fail("real fill", "real fill, bias %v: %v", in.B != nil, vd)
	}

	if par, ok := impl.(Parallel); ok {
		got3, err := forward(impl, p, in32, 3)
		if err != nil {
			return fail("workers 3", "3 workers: %v", err)
		}
		if par.Deterministic() {
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(got3[i]) {
					return fail("workers 3", "1 and 3 workers differ at %s: %v vs %v", conv.MultiIndex(p.DstShape(), i), got[i], got3[i])
				}
			}
		} else if vd := conv.Compare(got3, exp, scale, b, p.DstShape()); !vd.OK() {
			return fail("workers 3", "3 workers: %v", vd)
		}
	}

	if !bias {
		if f := checkLinear(impl, p, in, exp, got, b, scale, rng.Uint64(), approxLinear); f != "" {
			return fail("linearity", "%s", f)
		}
	}

	inI, exact := oracles.IntFill(p, rng)
	inI = roundInputs(inI)
	expI, err := reference.Forward(p, inI, nil)
	if err != nil {
		return fail("reference", "reference (integer fill): %v", err)
	}
	failI := func(format string, args ...any) *Failure {
		return newFailure(impl, p, inI, expI, "integer fill", fmt.Sprintf(format, args...))
	}
	gotI, err := forward(impl, p, conv.ConvertInputs[float32](inI), 2)
	if err != nil {
		return failI("integer fill: %v", err)
	}
	if e, ok := impl.(Exact); ok && e.ExactOnIntegers() && exact {
		if vd := conv.Compare(gotI, expI, nil, conv.Bound{}, p.DstShape()); !vd.OK() {
			return failI("integer fill, not bit-exact: %v", vd)
		}
	} else {
		bI, scaleI := Judge(impl, p, reference.Magnitude(p, inI))
		if vd := conv.Compare(gotI, expI, scaleI, bI, p.DstShape()); !vd.OK() {
			return failI("integer fill: %v", vd)
		}
	}
	return nil
}

// checkLinear checks homogeneity and additivity (see Check) of impl on the
// bias-free inputs in, whose output got already passed against exp. It
// returns what failed, or "".
func checkLinear(impl Impl, p *conv.Problem, in conv.Inputs[float64], exp []float64, got []float32, b conv.Bound, scale []float64, seed uint64, approx bool) string {
	rng := newRNG(seed)
	// the linear argument: x, or the experts' weights of a dynamic conv
	arg, name := func(in *conv.Inputs[float64]) *[]float64 { return &in.X }, "x"
	if p.Op == conv.OpDynamic {
		arg, name = func(in *conv.Inputs[float64]) *[]float64 { return &in.W }, "w"
	}
	shape := p.DstShape()

	// Homogeneity: a = 2^k, k ∈ {−2, −1, 1, 2, 3}.
	a := math.Ldexp(1, []int{-2, -1, 1, 2, 3}[rng.IntN(5)])
	scaled := in
	src := *arg(&in)
	s := make([]float64, len(src))
	for i, v := range src {
		s[i] = a * v
	}
	*arg(&scaled) = s
	gotA, err := forward(impl, p, conv.ConvertInputs[float32](scaled), 1)
	if err != nil {
		return fmt.Sprintf("F(%g·%s): %v", a, name, err)
	}
	for i := range got {
		want := a * float64(got[i])
		if approx {
			if d := math.Abs(float64(gotA[i]) - want); !(d <= 2*a*b.At(scale[i])) {
				return fmt.Sprintf("F(%g·%s) ≠ %g·F(%s) at %s: %v vs %v, beyond two bounds %.3g", a, name, a, name, conv.MultiIndex(shape, i), gotA[i], want, 2*a*b.At(scale[i]))
			}
		} else if float64(gotA[i]) != want {
			return fmt.Sprintf("F(%g·%s) ≠ %g·F(%s) at %s: %v vs %v (scaling by a power of two is exact in every product and sum)", a, name, a, name, conv.MultiIndex(shape, i), gotA[i], want)
		}
	}

	// Additivity: x = x₁ + x₂, each element wholly in one of them.
	x1, x2 := in, in
	s1, s2 := make([]float64, len(src)), make([]float64, len(src))
	for i, v := range src {
		if rng.IntN(2) == 0 {
			s1[i] = v
		} else {
			s2[i] = v
		}
	}
	*arg(&x1), *arg(&x2) = s1, s2
	g1, err := forward(impl, p, conv.ConvertInputs[float32](x1), 1)
	if err != nil {
		return fmt.Sprintf("F(%s₁): %v", name, err)
	}
	g2, err := forward(impl, p, conv.ConvertInputs[float32](x2), 1)
	if err != nil {
		return fmt.Sprintf("F(%s₂): %v", name, err)
	}
	for i := range got {
		sum := float64(g1[i]) + float64(g2[i])
		if d := math.Abs(sum - float64(got[i])); !(d <= 3*b.At(scale[i])) {
			return fmt.Sprintf("F(%s₁) + F(%s₂) ≠ F(%s₁ + %s₂) at %s: %v + %v = %v vs %v (exp %v), beyond three bounds %.3g",
				name, name, name, name, conv.MultiIndex(shape, i), g1[i], g2[i], sum, got[i], exp[i], 3*b.At(scale[i]))
		}
	}
	return ""
}

func newFailure(impl Impl, p *conv.Problem, in conv.Inputs[float64], exp []float64, what, msg string) *Failure {
	return &Failure{Impl: impl.Name(), Problem: *p, In: in, Want: exp, What: what,
		Message: fmt.Sprintf("%s on %s: %s\n  replay:  %s", impl.Name(), p.Command(), msg, ReplayCommand(p))}
}

// ModulePath is the module that holds the convverify command.
const ModulePath = "github.com/convverify/convverify"

// ReplayCommand is the command that checks p with convverify's reference,
// oracles and variants: `go run github.com/convverify/convverify/cmd/convverify check …`.
func ReplayCommand(p *conv.Problem) string {
	return "go run " + ModulePath + "/cmd/convverify check " + p.Command()
}
