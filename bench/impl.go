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

// variant adapts a registry variant to Impl.
type variant struct{ v optimized.Variant }

// Variants adapts registry variants to Impl.
func Variants(vs []optimized.Variant) []Impl {
	var out []Impl
	for _, v := range vs {
		out = append(out, variant{v})
	}
	return out
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
	return Measurement{Iters: r.N, NsPerOp: float64(r.T.Nanoseconds()) / float64(r.N), Metrics: r.Extra}, nil
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
