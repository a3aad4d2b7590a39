package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized"
)

// gradVariant adapts a registry gradient variant (optimized.GradVariant)
// to Impl: it times the gradients of the layer's direction (Layer.Problem.Dir,
// a backward one), one-shot, with GFLOP/s from Problem.DirFLOPs.
type gradVariant struct{ v optimized.GradVariant }

// GradVariants adapts registry gradient variants to Impl.
func GradVariants(vs []optimized.GradVariant) []Impl {
	var out []Impl
	for _, v := range vs {
		out = append(out, gradVariant{v})
	}
	return out
}

func (g gradVariant) Name() string { return g.v.Name }

func (g gradVariant) Kernel() string {
	if g.v.Kernel == nil {
		return "?"
	}
	return g.v.Kernel()
}

func (g gradVariant) Supports(p *conv.Problem) error {
	if !p.Dir.Backward() {
		return fmt.Errorf("%s: direction %s is not a backward one", g.v.Name, p.Dir)
	}
	if g.v.Supports == nil {
		return nil
	}
	return g.v.Supports(p)
}

func (g gradVariant) Measure(l *Layer, workers int) (Measurement, error) {
	r := testing.Benchmark(GradBenchFunc(g.v, l.Problem, workers))
	if r.N == 0 {
		// testing.Benchmark discards the body's failure: run once outside
		// it to say why.
		return Measurement{}, g.runError(l, workers)
	}
	return measurement(r), nil
}

func (g gradVariant) runError(l *Layer, workers int) error {
	p := l.Problem
	in, dy := GradInputs(&p)
	out, err := conv.NewGrads[float32](&p)
	if err != nil {
		return fmt.Errorf("the benchmark body failed: %w", err)
	}
	if err := g.v.Run(&p, in, dy, out, workers); err != nil {
		return fmt.Errorf("the benchmark body failed: %w", err)
	}
	return errors.New("the benchmark body failed; no error when run outside the benchmark")
}

// GradInputs returns the values a backward layer is timed on, by our
// variants and by peers alike: optimized.BenchInputs (seed 1) and dy,
// shaped as the output, uniform in [−1, 1] from a generator of its own.
func GradInputs(p *conv.Problem) (conv.Inputs[float32], []float32) {
	in := optimized.BenchInputs(p, 1)
	rng := rand.New(rand.NewPCG(1, 0x6479)) // "dy"
	dy := make([]float32, conv.Elems(p.DstShape()))
	for i := range dy {
		dy[i] = 2*rng.Float32() - 1
	}
	return in, dy
}

// GradBenchFunc is the benchmark body of gradient variant v on p (a
// backward direction) with the given workers: the gradients p.Dir writes,
// computed from GradInputs into buffers allocated once, as the forward
// benchmark reuses its output. It reports GFLOP/s from p.DirFLOPs over
// wall time and, as GFLOP/s-cpu, over the process's CPU time.
func GradBenchFunc(v optimized.GradVariant, p conv.Problem, workers int) func(b *testing.B) {
	return func(b *testing.B) {
		in, dy := GradInputs(&p)
		g, err := conv.NewGrads[float32](&p)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Run(&p, in, dy, g, workers); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuTime()
		for b.Loop() {
			if err := v.Run(&p, in, dy, g, workers); err != nil {
				b.Fatal(err)
			}
		}
		flops := float64(p.DirFLOPs()) * float64(b.N)
		b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		if cpu := cpuTime() - cpu0; cpu > 0 {
			b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/s-cpu")
		}
	}
}

// dirKey is the direction's part of a benchmark name: /dir=BWD_D for a
// backward layer, nothing for a forward one (whose names, those of the
// committed baselines, stay as they were).
func dirKey(p *conv.Problem) string {
	if p.Dir.Backward() {
		return "/dir=" + p.Dir.String()
	}
	return ""
}

// WithDir returns the layers with direction d: a backward direction's
// benchmarks are named …/dir=D and time the gradients.
func WithDir(ls []Layer, d conv.Dir) []Layer {
	out := make([]Layer, len(ls))
	for i, l := range ls {
		l.Problem.Dir = d
		out[i] = l
	}
	return out
}

// SelectLayers returns the layers whose shapes (or names) shapeRe matches
// and whose op is in ops (any if empty), as Select chooses them.
func SelectLayers(layers []Layer, shapeRe string, ops []conv.Op) ([]*Layer, error) {
	shape, err := regexp.Compile(shapeRe)
	if err != nil {
		return nil, fmt.Errorf("--shape: %v", err)
	}
	var sel []*Layer
	for i := range layers {
		l := &layers[i]
		if (shape.MatchString(l.Shape) || (l.Name != "" && shape.MatchString(l.Name))) && (len(ops) == 0 || slices.Contains(ops, l.Problem.Op)) {
			sel = append(sel, l)
		}
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("--shape %q matches no layer", shapeRe)
	}
	return sel, nil
}
