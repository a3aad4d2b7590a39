package bench

import (
	"errors"
	"fmt"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
)

// Impl is one implementation bench can time: a registry variant (Variants)
// or, through the same four methods, an outside implementation that times
// its own runs and reports them.
type Impl interface {
	// Name is the benchmark's impl= key.
	Name() string
	// Kernel names the inner kernel the time goes to, for the summary.
	Kernel() string
	// Supports returns nil if the implementation handles p, else why not.
	Supports(p *conv.Problem) error
	// Measure times l with the given workers for about the benchtime
	// (SetBenchtime) and returns what it measured; a run that fails is an
	// error saying why.
	Measure(l *Layer, workers int) (Measurement, error)
}

// Measurement is one sample: Iters runs took NsPerOp each on average.
type Measurement struct {
	Iters   int
	NsPerOp float64
	// Metrics are the custom units, e.g. "GFLOP/s" and "GFLOP/s-cpu".
	Metrics map[string]float64
}

// Moded is implemented by an Impl timed in a mode other than one-shot:
// its benchmarks carry /mode=MODE after the layer (so the one-shot names,
// those of the committed baselines, stay as they are), and the summary
// names it IMPL[MODE].
type Moded interface {
	Mode() string
}

// modeOf is im's mode, "" for one-shot.
func modeOf(im Impl) string {
	if m, ok := im.(Moded); ok {
		return m.Mode()
	}
	return ""
}

// Label names im in summaries: its name, with [MODE] when it has one.
func Label(im Impl) string {
	if m := modeOf(im); m != "" {
		return im.Name() + "[" + m + "]"
	}
	return im.Name()
}

// variant adapts a registry variant to Impl.
type variant struct{ v optimized.Variant }

// Variants adapts registry variants to Impl, timed one-shot (Variant.Run:
// weights prepared and workspaces found on every call).
func Variants(vs []optimized.Variant) []Impl {
	return VariantModes(vs, true, false)
}

// VariantModes adapts registry variants to Impl: each one-shot (if
// oneShot) and then through a prepared plan (if plan; Variant.Prepare
// before the timer, Plan.Run timed, mode=plan).
func VariantModes(vs []optimized.Variant, oneShot, plan bool) []Impl {
	var out []Impl
	for _, v := range vs {
		if oneShot {
			out = append(out, variant{v})
		}
		if plan && v.HasPlan() {
			out = append(out, planned{variant{v}})
		}
	}
	return out
}

// planned is a registry variant timed through its plan.
type planned struct{ variant }

func (p planned) Mode() string { return optimized.PlanMode }

func (p planned) Measure(l *Layer, workers int) (Measurement, error) {
	bp := optimized.BenchProblem{Shape: l.Shape, Problem: l.Problem}
	r := testing.Benchmark(optimized.BenchPlanFunc(p.v, bp, workers))
	if r.N == 0 {
		return Measurement{}, p.runError(l, workers)
	}
	return measurement(r), nil
}

func (p planned) runError(l *Layer, workers int) error {
	q := l.Problem
	in := optimized.BenchInputs(&q, 1)
	pl, err := p.v.Prepare(&q, in.W, in.B, workers)
	if err != nil {
		return fmt.Errorf("the benchmark body failed: %w", err)
	}
	defer pl.Close()
	in.W, in.B = nil, nil
	if err := pl.Run(in, make([]float32, conv.Elems(q.DstShape()))); err != nil {
		return fmt.Errorf("the benchmark body failed: %w", err)
	}
	return errors.New("the benchmark body failed; no error when run outside the benchmark")
}

// measurement is r as a Measurement, with the allocations per run
// (testing.Benchmark counts them whether or not the body asks).
func measurement(r testing.BenchmarkResult) Measurement {
	m := Measurement{Iters: r.N, NsPerOp: float64(r.T.Nanoseconds()) / float64(r.N), Metrics: cloneMetrics(r.Extra)}
	m.Metrics["allocs/op"] = float64(r.AllocsPerOp())
	m.Metrics["B/op"] = float64(r.AllocedBytesPerOp())
	return m
}

func (v variant) Name() string { return v.v.Name }

func (v variant) Kernel() string {
	if v.v.Kernel == nil {
		return "?"
	}
	return v.v.Kernel()
}

func (v variant) Supports(p *conv.Problem) error {
	if v.v.Supports == nil {
		return nil
	}
	return v.v.Supports(p)
}

func (v variant) Measure(l *Layer, workers int) (Measurement, error) {
	bp := optimized.BenchProblem{Shape: l.Shape, Problem: l.Problem}
	r := testing.Benchmark(optimized.BenchFunc(v.v, bp, workers))
	if r.N == 0 {
		// testing.Benchmark discards the body's failure: run once outside
		// it to say why.
		return Measurement{}, v.runError(l, workers)
	}
	return measurement(r), nil
}

func (v variant) runError(l *Layer, workers int) error {
	p := l.Problem
	in := optimized.BenchInputs(&p, 1)
	out := make([]float32, conv.Elems(p.DstShape()))
	if err := v.v.Run(&p, in, out, workers); err != nil {
		return fmt.Errorf("the benchmark body failed: %w", err)
	}
	return errors.New("the benchmark body failed; no error when run outside the benchmark")
}
