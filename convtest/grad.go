package convtest

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles"
	"github.com/convverify/convverify/reference"
)

// GradImpl is an implementation of backward directions under test (issue
// 12): the gradients that a problem's direction (p.Dir: BWD_D, BWD_W or
// BWD_WB) writes, as conv.Problem.Tensors names them.
type GradImpl interface {
	// Name names the implementation in messages.
	Name() string
	// Ops are the ops it differentiates.
	Ops() []conv.Op
	// Dirs are the backward directions it computes.
	Dirs() []conv.Dir
	// Supports returns nil for a problem (op and direction) it computes.
	Supports(p *conv.Problem) error
	// Backward computes the gradients p.Dir writes into g (each sized by
	// conv.NewGrads, the others nil) from the inputs the direction reads
	// (in) and dy [MB, OC, O…], writing every element of each gradient and
	// nothing outside it.
	Backward(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32]) error
}

// GradParallel is implemented by a GradImpl that takes a number of
// goroutines. RunGrad runs it with 1 and 3; a Deterministic one must give
// the same bits.
type GradParallel interface {
	BackwardWorkers(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error
	Deterministic() bool
}

// GradJudger is implemented by a GradImpl held to a bound other than
// GradBound's for some gradient: it returns the bound for the gradient
// named grad ("dx", "dw", …) and the per-element scale it multiplies, given
// the reference's magnitudes mag (reference.GradMagnitude, not to be
// modified). Exact (ExactOnIntegers) applies to a GradImpl as to an Impl.
type GradJudger interface {
	GradJudge(p *conv.Problem, grad string, mag []float64) (conv.Bound, []float64)
}

// GradAccumLength is N, the number of terms one element of the gradient
// named grad sums, for p (docs/bounds.md, "Gradients"):
//
//   - conv, deconv: dx sums OCG·taps products dy·w (per tap and input
//     position at most one output position per axis reads it); dw sums one
//     product per image and position, MB·Spatial(O) for conv (dy·x over
//     the outputs) and MB·Spatial(I) for deconv (x·dy over the inputs);
//     db = Σ dy sums MB·Spatial(O).
//   - deform: a dx element gathers, for each of the OCG outputs of its
//     group, each tap and output position, one bilinear corner of one
//     sample: OCG·taps·Spatial(O); doffset and dmask sum over the
//     IC/DG channels of the offset group, the OCG outputs of each channel's
//     group and the sample's 4 corners: 4·(IC/DG)·OCG; dw sums the 4
//     corners of MB·Spatial(O) samples; db as conv.
//   - dynamic: dx sums the mixed kernel's OCG·taps products, each mixed
//     weight a sum over E experts, plus the routing term through the
//     global average (E logits, each a sum over the OC·OCG·taps weights'
//     products and IC channels): E·(OCG·taps + OC·ICG·taps + IC); dw, droute
//     and db sum the MB·Spatial(O) positions of each image's routing,
//     times the (E + OC·ICG·taps) terms of dα: MB·(Spatial(O) + E + OC·ICG·taps).
//
// The deform and dynamic counts over-count (every chain that feeds an
// element, as if added in one sum), which only loosens their bound; their
// implementations may state a tighter one (GradJudger).
func GradAccumLength(p *conv.Problem, grad string) int {
	taps, ocg, icg := p.Taps(), p.OCG(), p.ICG()
	osp, isp := conv.Spatial(p.O), conv.Spatial(p.I)
	switch p.Op {
	case conv.OpConv, conv.OpDeconv:
		switch grad {
		case "dx":
			return ocg * taps
		case "dw":
			if p.Op == conv.OpDeconv {
				return p.MB * isp
			}
			return p.MB * osp
		}
		return p.MB * osp
	case conv.OpDeform:
		switch grad {
		case "dx":
			return ocg * taps * osp
		case "doffset", "dmask":
			return 4 * (p.IC / max(p.DG, 1)) * ocg
		case "dw":
			return 4 * p.MB * osp
		}
		return p.MB * osp
	case conv.OpDynamic:
		if grad == "dx" {
			return p.E * (ocg*taps + p.OC*icg*taps + p.IC)
		}
		return p.MB * (osp + p.E + p.OC*icg*taps)
	}
	return p.AccumLength()
}

// GradBound is the bound RunGrad holds the gradient grad of impl to, and
// the scale it multiplies: impl's GradJudge if it has one, else
// DefaultGradBound and the element's own magnitude.
func GradBound(impl GradImpl, p *conv.Problem, grad string, mag []float64) (conv.Bound, []float64) {
	if j, ok := impl.(GradJudger); ok {
		return j.GradJudge(p, grad, mag)
	}
	return DefaultGradBound(p, grad, mag), mag
}

// DefaultGradBound is GradBound's default: C = 1 (float32 summation of
// the element's N = GradAccumLength terms in any order, with or without
// FMA: docs/bounds.md, "Gradients") and Abs = 10⁻³⁰ for underflow, as
// conv.DefaultBound. mag is not read; the argument keeps the signature of
// a GradJudge.
func DefaultGradBound(p *conv.Problem, grad string, mag []float64) conv.Bound {
	return conv.Bound{C: 1, N: GradAccumLength(p, grad), Abs: 1e-30}
}

// GradFailure is one failing gradient case.
type GradFailure struct {
	Impl    string
	Problem conv.Problem // with its Dir
	Seed    uint64
	What    string // "real fill", "workers 3", "integer fill", "reference"
	Message string
}

func (f *GradFailure) Error() string { return f.Message }

// gradChecksFlag is the number of random problems RunGrad draws per
// implementation when -rapid.checks is not given: gradients cost three
// references per problem, and every registered variant runs them.
var gradChecksFlag = flag.Int("convtest.gradchecks", 100, "convtest: random problems RunGrad draws per implementation (when -rapid.checks is not set)")

// RunGrad checks impl's gradients: first every regression shape
// (Regressions, and AddRegressions's) in each direction impl supports, then
// problems drawn by rapid from the ops' generator (Gen, or Problems's) with
// a direction drawn from impl.Dirs(), shrunk on failure. Each problem goes
// through CheckGrad. On failure it logs the problem with its direction
// and the replay command.
//
// The number of random problems is -convtest.gradchecks (default 100),
// unless -rapid.checks is given on the command line.
func RunGrad(t *testing.T, impl GradImpl, opts ...Option) {
	t.Helper()
	c := config{gen: func(ops []conv.Op) *rapid.Generator[conv.Problem] { return Gen(ops...) }, random: true}
	for _, o := range opts {
		o(&c)
	}
	ops := impl.Ops()
	if c.ops != nil {
		ops = intersect(ops, c.ops)
	}
	dirs := impl.Dirs()
	if len(ops) == 0 || len(dirs) == 0 {
		t.Fatalf("convtest: %s: no op or direction to check", impl.Name())
	}
	regs := c.regressions
	if !c.noDefaults {
		regs = append(Regressions(), regs...)
	}
	t.Run("regressions", func(t *testing.T) {
		n := 0
		for i := range regs {
			for _, d := range dirs {
				p := regs[i]
				p.Dir = d
				if !containsOp(ops, p.Op) || impl.Supports(&p) != nil {
					continue
				}
				n++
				if f := CheckGrad(impl, &p, uint64(i+1)); f != nil {
					t.Errorf("%s", f.Message)
					logGradFailure(t, f)
				}
			}
		}
		if n == 0 {
			t.Skipf("%s supports none of the %d regression shapes in %v", impl.Name(), len(regs), dirs)
		}
	})
	if !c.random {
		return
	}
	t.Run("random", func(t *testing.T) {
		defer withRapidChecks(*gradChecksFlag)()
		var mu sync.Mutex
		var last *GradFailure
		t.Cleanup(func() {
			if t.Failed() && last != nil {
				logGradFailure(t, last)
			}
		})
		gen := c.gen(ops)
		rapid.Check(t, func(rt *rapid.T) {
			var p conv.Problem
			found := false
			for i := 0; i < 200 && !found; i++ {
				p = gen.Draw(rt, "p")
				p.Dir = rapid.SampledFrom(dirs).Draw(rt, "dir")
				found = containsOp(ops, p.Op) && impl.Supports(&p) == nil
			}
			if !found {
				rt.Skip("no supported problem in 200 draws")
			}
			seed := rapid.Uint64().Draw(rt, "fill-seed")
			if f := CheckGrad(impl, &p, seed); f != nil {
				mu.Lock()
				last = f // the last failure rapid runs is the shrunk one
				mu.Unlock()
				rt.Fatalf("%s", f.Message)
			}
		})
	})
}

// withRapidChecks sets rapid's -rapid.checks to n unless the command line
// set it, and returns the function that restores it.
func withRapidChecks(n int) func() {
	f := flag.Lookup("rapid.checks")
	if f == nil || n <= 0 {
		return func() {}
	}
	set := false
	flag.Visit(func(v *flag.Flag) { set = set || v.Name == "rapid.checks" })
	if set {
		return func() {}
	}
	old := f.Value.String()
	if err := f.Value.Set(strconv.Itoa(n)); err != nil {
		return func() {}
	}
	return func() { _ = f.Value.Set(old) }
}

func logGradFailure(t *testing.T, f *GradFailure) {
	t.Helper()
	t.Logf("convtest: %s fails on %s --dir %s (%s, fill seed %d)\n  problem: %s\n  replay:  %s",
		f.Impl, f.Problem.Descriptor(), f.Problem.Dir, f.What, f.Seed, f.Problem.Command(), ReplayCommand(&f.Problem))
}

// runGradGuarded runs impl on p with workers goroutines into gradients
// that are NaN-poisoned and surrounded by guard values (each in its own
// buffer, as RunGuarded), and returns them; a panic on the calling
// goroutine is an error, as is a changed guard (naming the gradient).
func runGradGuarded(impl GradImpl, p *conv.Problem, in conv.Inputs[float32], dy []float32, workers int) (conv.Grads[float32], error) {
	names, err := p.Writes()
	if err != nil {
		return conv.Grads[float32]{}, err
	}
	var g conv.Grads[float32]
	bufs := make([][]float32, len(names))
	for i, name := range names {
		shape, _ := p.TensorShape(name)
		n := conv.Elems(shape)
		buf := make([]float32, n+2*guardLen)
		for j := range buf {
			buf[j] = float32(math.NaN())
		}
		for j := 0; j < guardLen; j++ {
			buf[j], buf[guardLen+n+j] = guardBefore, guardAfter
		}
		bufs[i] = buf
		*g.Field(name) = buf[guardLen : guardLen+n : guardLen+n]
	}
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		if par, ok := impl.(GradParallel); ok && workers > 1 {
			return par.BackwardWorkers(p, in, dy, g, workers)
		}
		return impl.Backward(p, in, dy, g)
	}()
	if err != nil {
		return g, err
	}
	for i, name := range names {
		buf, n := bufs[i], len(bufs[i])-2*guardLen
		for j := 0; j < guardLen; j++ {
			if math.Float32bits(buf[j]) != math.Float32bits(guardBefore) {
				return g, fmt.Errorf("%s: wrote before its slice: guard %s[%d] = %v", name, name, j-guardLen, buf[j])
			}
			if v := buf[guardLen+n+j]; math.Float32bits(v) != math.Float32bits(guardAfter) {
				return g, fmt.Errorf("%s: wrote past its slice: guard %s[%d] = %v", name, name, n+j, v)
			}
		}
	}
	return g, nil
}

// gradFill returns real inputs for p (oracles.RandomFill, rounded to
// float32) and dy uniform in [−1, 1], rounded to float32, never all zeros.
func gradFill(p *conv.Problem, rng *rand.Rand) (conv.Inputs[float64], []float64) {
	in := roundInputs(oracles.RandomFill(p, rng))
	dy := make([]float64, conv.Elems(p.DstShape()))
	for i := range dy {
		dy[i] = float64(float32(2*rng.Float64() - 1))
	}
	if !slices.ContainsFunc(dy, func(v float64) bool { return v != 0 }) {
		dy[rng.IntN(len(dy))] = 0.5
	}
	return in, dy
}

// gradIntRange is the range of dy's integers in the integer fill.
const gradIntRange = 8

// gradIntFill returns integer inputs for p (oracles.IntFill: x and w in
// [−32, 32], offsets, mask and routing exact) and dy of integers in
// [−8, 8], thinned (halving its density) until every gradient element's
// Σ|term| — which bounds each of its partial sums in any order — is below
// 2²⁴; exact is then true (and IntFill's own exactness holds), so every
// correct float32 evaluation equals the reference bit for bit.
func gradIntFill(p *conv.Problem, rng *rand.Rand) (in conv.Inputs[float64], dy []float64, exact bool) {
	in, exact = oracles.IntFill(p, rng)
	in = roundInputs(in)
	rho := 1.0
	for attempt := 0; ; attempt++ {
		dy = make([]float64, conv.Elems(p.DstShape()))
		for i := range dy {
			if rng.Float64() < rho {
				dy[i] = float64(rng.IntN(2*gradIntRange+1) - gradIntRange)
			}
		}
		if !slices.ContainsFunc(dy, func(v float64) bool { return v != 0 }) {
			dy[rng.IntN(len(dy))] = float64(1 + rng.IntN(gradIntRange))
		}
		mag, err := reference.GradMagnitude(p, in, dy)
		if err != nil {
			return in, dy, false
		}
		if maxGradMagnitude(p, mag) < oracles.ExactLimit {
			return in, dy, exact
		}
		if attempt == 30 {
			return in, dy, false
		}
		rho /= 2
	}
}

func maxGradMagnitude(p *conv.Problem, mag conv.Grads[float64]) float64 {
	m := 0.0
	names, _ := p.Writes()
	for _, name := range names {
		for _, v := range *mag.Field(name) {
			m = math.Max(m, v)
		}
	}
	return m
}

// CheckGrad runs every gradient check on one problem (its Dir a backward
// direction), with inputs drawn from seed, and returns the first failure:
//
//  1. real inputs (gradFill): every element of every gradient p.Dir writes
//     within GradBound of reference.Backward, each gradient NaN-poisoned
//     and guarded;
//  2. for a GradParallel impl, 3 workers: the same bits when
//     Deterministic, else within the bound;
//  3. integer inputs (gradIntFill), with 2 workers: bit-exact when the impl
//     says it is exact on integers (Exact) and the fill is exact, else
//     within the bound.
func CheckGrad(impl GradImpl, p *conv.Problem, seed uint64) *GradFailure {
	fail := func(what, format string, args ...any) *GradFailure {
		return &GradFailure{Impl: impl.Name(), Problem: *p, Seed: seed, What: what,
			Message: fmt.Sprintf("%s on %s (fill seed %d): %s\n  replay:  %s", impl.Name(), p.Command(), seed, fmt.Sprintf(format, args...), ReplayCommand(p))}
	}
	if !p.Dir.Backward() {
		return fail("reference", "direction %s is not a backward direction", p.Dir)
	}
	names, err := p.Writes()
	if err != nil {
		return fail("reference", "%v", err)
	}
	rng := newRNG(seed)
	in, dy := gradFill(p, rng)
	exp, err := reference.Backward(p, in, dy)
	if err != nil {
		return fail("reference", "reference: %v", err)
	}
	mag, err := reference.GradMagnitude(p, in, dy)
	if err != nil {
		return fail("reference", "gradient magnitude: %v", err)
	}
	in32, dy32 := conv.ConvertInputs[float32](in), conv.ConvertSlice[float32](dy)
	got, err := runGradGuarded(impl, p, in32, dy32, 1)
	if err != nil {
		return fail("real fill", "%v", err)
	}
	for _, name := range names {
		shape, _ := p.TensorShape(name)
		b, scale := GradBound(impl, p, name, *mag.Field(name))
		if vd := conv.Compare(*got.Field(name), *exp.Field(name), scale, b, shape); !vd.OK() {
			return fail("real fill", "%s: %v", name, vd)
		}
	}
	if par, ok := impl.(GradParallel); ok {
		got3, err := runGradGuarded(impl, p, in32, dy32, 3)
		if err != nil {
			return fail("workers 3", "3 workers: %v", err)
		}
		for _, name := range names {
			g1, g3 := *got.Field(name), *got3.Field(name)
			shape, _ := p.TensorShape(name)
			if par.Deterministic() {
				for i := range g1 {
					if math.Float32bits(g1[i]) != math.Float32bits(g3[i]) {
						return fail("workers 3", "%s: 1 and 3 workers differ at %s: %v vs %v", name, conv.MultiIndex(shape, i), g1[i], g3[i])
					}
				}
				continue
			}
			b, scale := GradBound(impl, p, name, *mag.Field(name))
			if vd := conv.Compare(g3, *exp.Field(name), scale, b, shape); !vd.OK() {
				return fail("workers 3", "%s, 3 workers: %v", name, vd)
			}
		}
	}

	inI, dyI, exact := gradIntFill(p, rng)
	expI, err := reference.Backward(p, inI, dyI)
	if err != nil {
		return fail("reference", "reference (integer fill): %v", err)
	}
	gotI, err := runGradGuarded(impl, p, conv.ConvertInputs[float32](inI), conv.ConvertSlice[float32](dyI), 2)
	if err != nil {
		return fail("integer fill", "integer fill: %v", err)
	}
	e, isExact := impl.(Exact)
	bitExact := isExact && e.ExactOnIntegers() && exact
	var magI conv.Grads[float64]
	if !bitExact {
		if magI, err = reference.GradMagnitude(p, inI, dyI); err != nil {
			return fail("reference", "gradient magnitude (integer fill): %v", err)
		}
	}
	for _, name := range names {
		shape, _ := p.TensorShape(name)
		if bitExact {
			if vd := conv.Compare(*gotI.Field(name), *expI.Field(name), nil, conv.Bound{}, shape); !vd.OK() {
				return fail("integer fill", "integer fill, %s not bit-exact: %v", name, vd)
			}
			continue
		}
		b, scale := GradBound(impl, p, name, *magI.Field(name))
		if vd := conv.Compare(*gotI.Field(name), *expI.Field(name), scale, b, shape); !vd.OK() {
			return fail("integer fill", "integer fill, %s: %v", name, vd)
		}
	}
	return nil
}
