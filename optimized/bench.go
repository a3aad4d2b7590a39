package optimized

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/convverify/convverify/conv"
)

// BenchProblem is one layer of the benchmark set.
type BenchProblem struct {
	Shape   string // benchdnn descriptor, also the benchmark's shape= key
	Problem conv.Problem
}

// benchShapes are the benchmark layers: op, descriptor, and the extras that
// descriptors cannot express (deform mask, dynamic experts and routing).
var benchShapes = []struct {
	op    conv.Op
	desc  string
	extra func(p *conv.Problem)
}{
	{conv.OpConv, "mb1ic64ih56oc64oh56kh3ph1", nil},        // ResNet-50 res2a 3×3
	{conv.OpConv, "mb1ic256ih56oc64oh56kh1", nil},          // ResNet-50 1×1 reduce
	{conv.OpConv, "mb1g32ic32ih112oc32oh112kh3ph1", nil},   // MobileNet depthwise
	{conv.OpConv, "mb1g64ic64ih112oc64oh56kh3sh2ph1", nil}, // MobileNet depthwise, stride 2
	{conv.OpConv, "mb1ic32id16oc32od16kd3pd1", nil},        // 3D (C3D/I3D-like)
	{conv.OpConv, "mb1ic16ih64oc16oh64kh11ph5", nil},       // large kernel (FFT territory)
	{conv.OpDeconv, "mb1ic64ih28oc32oh56kh4sh2ph1", nil},   // 2D transposed, stride 2
	{conv.OpDeconv, "mb1ic32id8oc16od16kd4sd2pd1", nil},    // 3D transposed, stride 2
	{conv.OpDeform, "mb1ic32ih28oc32oh28kh3ph1", func(p *conv.Problem) { p.Mask = true }},
	{conv.OpDynamic, "mb2ic32ih28oc32oh28kh3ph1", func(p *conv.Problem) {
		p.E, p.Routing, p.Temperature = 4, conv.RoutingSoftmax, 1
	}},
}

// BenchProblems returns the benchmark layers, resolved.
func BenchProblems() []BenchProblem {
	var out []BenchProblem
	for _, s := range benchShapes {
		p, err := conv.ParseDescriptor(s.desc, s.op)
		if err != nil {
			panic(fmt.Sprintf("optimized: bench shape %s: %v", s.desc, err))
		}
		if s.extra != nil {
			s.extra(&p)
		}
		if err := p.Validate(); err != nil {
			panic(fmt.Sprintf("optimized: bench shape %s: %v", s.desc, err))
		}
		out = append(out, BenchProblem{Shape: s.desc, Problem: p})
	}
	return out
}

// Shapes returns the benchmark descriptors, in BenchProblems order.
func Shapes() []string {
	var s []string
	for _, b := range benchShapes {
		s = append(s, b.desc)
	}
	return s
}

// BenchName is the sub-benchmark name of v on bp: op=…/impl=…/shape=…,
// one-shot (Variant.Run).
func BenchName(v Variant, bp BenchProblem) string {
	return fmt.Sprintf("op=%v/impl=%s/shape=%s", bp.Problem.Op, v.Name, bp.Shape)
}

// PlanMode is the mode= key of a benchmark of prepared execution
// (BenchPlanFunc); a one-shot benchmark has no mode key, so its name is
// the one the committed baselines use.
const PlanMode = "plan"

// BenchPlanName is BenchName for v's plan: …/shape=…/mode=plan.
func BenchPlanName(v Variant, bp BenchProblem) string {
	return BenchName(v, bp) + "/mode=" + PlanMode
}

// BenchInputs returns reproducible inputs for timing p: values uniform in
// [−1, 1], offsets in [−2, 2] and a mask in [0, 1] for deform.
func BenchInputs(p *conv.Problem, seed uint64) conv.Inputs[float32] {
	rng := rand.New(rand.NewPCG(seed, 1))
	u := func(n int, lo, hi float32) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = lo + (hi-lo)*rng.Float32()
		}
		return s
	}
	in := conv.Inputs[float32]{X: u(conv.Elems(p.SrcShape()), -1, 1), W: u(conv.Elems(p.WeightShape()), -1, 1), B: u(conv.Elems(p.BiasShape()), -1, 1)}
	switch p.Op {
	case conv.OpDeform:
		in.Offset = u(conv.Elems(p.OffsetShape()), -2, 2)
		if p.Mask {
			in.Mask = u(conv.Elems(p.MaskShape()), 0, 1)
		}
	case conv.OpDynamic:
		in.RouteW = u(conv.Elems(p.RouteWShape()), -1, 1)
		in.RouteB = u(conv.Elems(p.RouteBShape()), -1, 1)
	}
	return in
}

func dstLen(p *conv.Problem) int { return conv.Elems(p.DstShape()) }

// BenchFunc returns the benchmark body of v on bp with the given workers, for
// testing.B.Run or testing.Benchmark (the CLI's bench command). It reports
// GFLOP/s from p.FLOPs() over wall time and, as GFLOP/s-cpu, over the
// process's CPU time (meaningful with one worker on a shared machine).
func BenchFunc(v Variant, bp BenchProblem, workers int) func(b *testing.B) {
	return func(b *testing.B) {
		p := bp.Problem
		in := BenchInputs(&p, 1)
		out := make([]float32, dstLen(&p))
		if err := v.Run(&p, in, out, workers); err != nil {
			b.Fatal(err)
		}
		timeRuns(b, &p, func() error { return v.Run(&p, in, out, workers) })
	}
}

// BenchPlanFunc is BenchFunc for v's prepared execution: the plan is
// prepared (weights transformed, workspaces allocated) before the timer
// starts, and the loop times Plan.Run alone.
func BenchPlanFunc(v Variant, bp BenchProblem, workers int) func(b *testing.B) {
	return func(b *testing.B) {
		p := bp.Problem
		in := BenchInputs(&p, 1)
		pl, err := v.Prepare(&p, in.W, in.B, workers)
		if err != nil {
			b.Fatal(err)
		}
		defer pl.Close()
		in.W, in.B = nil, nil
		out := make([]float32, dstLen(&p))
		if err := pl.Run(in, out); err != nil {
			b.Fatal(err)
		}
		timeRuns(b, &p, func() error { return pl.Run(in, out) })
	}
}

// timeRuns times run in b's loop and reports GFLOP/s, GFLOP/s-cpu and the
// allocations per run.
func timeRuns(b *testing.B, p *conv.Problem, run func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := run(); err != nil {
			b.Fatal(err)
		}
	}
	flops := float64(p.FLOPs()) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/s-cpu")
	}
}

// KernelInfo names the kernels in use, for benchmark logs: the GEMM
// micro-kernel, the direct/depthwise row kernel and the *-blocked
// variants' micro-kernel.
func KernelInfo() string {
	return fmt.Sprintf("gemm=%s row=%s %s", Kernel(), multiTapKernel(), blockedKernelName())
}
