// Package convtest is a conformance suite for convolution implementations,
// in the manner of testing/fstest.TestFS and gonum's testlapack: any value
// that implements the small Impl interface is checked by Run against
// convverify's float64 reference, on problems that rapid draws and shrinks.
//
// For each drawn problem Run computes the reference (reference.Forward) and
// each element's magnitude Σ|x·w| (reference.Magnitude), runs the
// implementation into a NaN-poisoned output surrounded by guard values, and
// holds every element to the bound |got − exp| ≤ C·N·u·Σ|x·w| (Judge). It
// checks linearity, repeats on an exact integer fill, and, for an
// implementation that takes a worker count, repeats with several workers.
// A fixed list of regression shapes (Regressions) runs first.
//
// On a failure Run prints rapid's shrunk problem as a benchdnn descriptor,
// the `convverify check` command that replays it, and writes the failing
// case (inputs and reference output) as a golden-format folder, which
// `convverify check --golden DIR` and the implementation's own tests can
// read back.
//
// convverify's own variants are checked through the same suite (Variant).
package convtest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/oracles/golden"
)

// Impl is a convolution implementation under test.
type Impl interface {
	// Name names the implementation in messages and folder names.
	Name() string
	// Ops are the ops it computes (conv.OpConv, OpDeconv, OpDeform, OpDynamic).
	Ops() []conv.Op
	// Supports returns nil for a problem it computes, else why not; Run
	// skips the problems it does not support.
	Supports(p *conv.Problem) error
	// Forward computes p's op on in into out, a slice of
	// conv.Elems(p.DstShape()) elements in NCDHW order, writing every
	// element of out and nothing outside it. The layouts are conv.Problem's
	// (weights [OC][IC/G][K…], deconv weights [IC][OC/G][K…], …).
	Forward(p *conv.Problem, in conv.Inputs[float32], out []float32) error
}

// Judger is implemented by an Impl held to a bound other than direct
// float32 accumulation's (conv.DefaultBound): a transform method such as
// Winograd or FFT. It returns the bound and the per-element scale it
// multiplies, given the reference's magnitudes mag (not to be modified).
type Judger interface {
	Judge(p *conv.Problem, mag []float64) (conv.Bound, []float64)
}

// Parallel is implemented by an Impl that takes a number of goroutines. Run
// runs it with 1 and 3; a Deterministic one must give the same bits.
type Parallel interface {
	ForwardWorkers(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error
	Deterministic() bool
}

// Exact is implemented by an Impl that computes small-integer inputs bit
// for bit (every partial sum below 2²⁴, as direct float32 summation does):
// on oracles.IntFill's exact fills it must then equal the reference exactly.
type Exact interface {
	ExactOnIntegers() bool
}

// An Option changes what Run checks.
type Option func(*config)

type config struct {
	gen          func(ops []conv.Op) *rapid.Generator[conv.Problem]
	ops          []conv.Op
	regressions  []conv.Problem
	noDefaults   bool
	dir          string
	approxLinear bool
	random       bool
}

// Problems replaces the generator of random problems (default Gen): for an
// implementation that supports a narrow family of problems, such as one
// kernel size, draw from that family.
func Problems(g *rapid.Generator[conv.Problem]) Option {
	return func(c *config) { c.gen = func([]conv.Op) *rapid.Generator[conv.Problem] { return g } }
}

// Ops restricts the check to these of the implementation's ops.
func Ops(ops ...conv.Op) Option { return func(c *config) { c.ops = ops } }

// AddRegressions adds fixed problems, checked before the random ones.
func AddRegressions(ps ...conv.Problem) Option {
	return func(c *config) { c.regressions = append(c.regressions, ps...) }
}

// NoRegressions leaves out the built-in regression shapes (Regressions).
func NoRegressions() Option { return func(c *config) { c.noDefaults = true } }

// NoRandom checks only the regression shapes.
func NoRandom() Option { return func(c *config) { c.random = false } }

// FailDir is the folder under which failing cases are written (default the
// -convtest.dir flag, else a new folder under os.TempDir()).
func FailDir(dir string) Option { return func(c *config) { c.dir = dir } }

// ApproxLinearity holds F(a·x) to a·F(x) within the bound instead of bit
// for bit, for an implementation that is not exactly homogeneous (one that
// rescales its inputs by a factor that is not a power of two, say).
func ApproxLinearity() Option { return func(c *config) { c.approxLinear = true } }

var failDirFlag = flag.String("convtest.dir", "", "convtest: folder under which failing cases are written as golden-format folders (default: a new folder under the system's temporary folder)")

// Run checks impl: first every regression shape it supports (two fills,
// with and without bias), then problems drawn by rapid (-rapid.checks of
// them, shrunk on failure). Each runs as a subtest, "regressions" and
// "random".
func Run(t *testing.T, impl Impl, opts ...Option) {
	t.Helper()
	c := config{gen: func(ops []conv.Op) *rapid.Generator[conv.Problem] { return Gen(ops...) }, random: true}
	for _, o := range opts {
		o(&c)
	}
	ops := impl.Ops()
	if c.ops != nil {
		ops = intersect(ops, c.ops)
	}
	if len(ops) == 0 {
		t.Fatalf("convtest: %s: no op to check", impl.Name())
	}
	regs := c.regressions
	if !c.noDefaults {
		regs = append(Regressions(), regs...)
	}
	t.Run("regressions", func(t *testing.T) {
		n := 0
		for i := range regs {
			p := regs[i]
			if !containsOp(ops, p.Op) || impl.Supports(&p) != nil {
				continue
			}
			n++
			for seed := uint64(1); seed <= 2; seed++ {
				if f := check(impl, &p, seed, seed == 2, c.approxLinear); f != nil {
					t.Errorf("%s", f.Message)
					c.report(t, f)
					break
				}
			}
		}
		if n == 0 {
			t.Skipf("%s supports none of the %d regression shapes", impl.Name(), len(regs))
		}
	})
	if !c.random {
		return
	}
	t.Run("random", func(t *testing.T) {
		var mu sync.Mutex
		var last *Failure
		t.Cleanup(func() {
			if t.Failed() && last != nil {
				c.report(t, last)
			}
		})
		gen := c.gen(ops)
		rapid.Check(t, func(rt *rapid.T) {
			p, ok := drawSupported(rt, impl, ops, gen)
			if !ok {
				rt.Skip("no supported problem in 200 draws")
			}
			seed := rapid.Uint64().Draw(rt, "fill-seed")
			bias := rapid.Bool().Draw(rt, "bias")
			if f := check(impl, &p, seed, bias, c.approxLinear); f != nil {
				mu.Lock()
				last = f // the last failure rapid runs is the shrunk one
				mu.Unlock()
				rt.Fatalf("%s", f.Message)
			}
		})
	})
}

// drawSupported draws problems until impl supports one (at most 200).
func drawSupported(t *rapid.T, impl Impl, ops []conv.Op, gen *rapid.Generator[conv.Problem]) (conv.Problem, bool) {
	for i := 0; i < 200; i++ {
		p := gen.Draw(t, "p")
		if containsOp(ops, p.Op) && impl.Supports(&p) == nil {
			return p, true
		}
	}
	return conv.Problem{}, false
}

// report logs the failing problem and writes it as a golden-format folder.
func (c *config) report(t *testing.T, f *Failure) {
	t.Helper()
	dir, err := WriteFailure(c.failDir(), f)
	if err != nil {
		t.Logf("convtest: failing case %s not written: %v", f.Problem.Descriptor(), err)
		return
	}
	t.Logf("convtest: %s fails on %s (%s)\n  problem: %s\n  replay:  %s\n  case:    %s  (go run %s/cmd/convverify check --golden %s)",
		f.Impl, f.Problem.Descriptor(), f.What, f.Problem.Command(), ReplayCommand(&f.Problem), dir, ModulePath, dir)
}

func (c *config) failDir() string {
	if c.dir != "" {
		return c.dir
	}
	return *failDirFlag
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// WriteFailure writes f as a golden-format folder (inputs, reference output
// rounded to float32, case.json naming the problem) in a new folder under
// base (os.TempDir() when empty) and returns its path.
func WriteFailure(base string, f *Failure) (string, error) {
	if base == "" {
		base = os.TempDir()
	} else if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(base, "convtest-"+unsafeName.ReplaceAllString(f.Impl, "_")+"-")
	if err != nil {
		return "", err
	}
	want := conv.ConvertSlice[float64](conv.ConvertSlice[float32](f.Want))
	c := golden.Case{Name: f.Problem.Descriptor(), Source: fmt.Sprintf("convtest: %s failed (%s)", f.Impl, f.What),
		Problem: f.Problem, In: f.In, Want: conv.Tensor[float64]{Shape: f.Problem.DstShape(), Data: want}}
	if err := golden.Write(dir, c, golden.WriteOptions{}); err != nil {
		return "", err
	}
	return filepath.Clean(dir), nil
}

func containsOp(ops []conv.Op, op conv.Op) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

func intersect(a, b []conv.Op) []conv.Op {
	var out []conv.Op
	for _, o := range a {
		if containsOp(b, o) {
			out = append(out, o)
		}
	}
	return out
}
