package optimized

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/convverify/convverify/conv"
)

// allocProblems are the problems whose plans must run without allocating:
// the benchmark layers as they are (batch 1, dynamic batch 2), and small
// problems that take the paths the layers do not (3D depthwise, width
// stride 3, dilation, groups, deconv with output padding, DCNv1 with
// offset groups, sigmoid routing without bias, batch > 1, a 1×1 GEMM whose
// ragged last column tile is cut by channels on two workers, a 1×1
// stride-2 fill that gathers one width phase).
func allocProblems(t *testing.T) []BenchProblem {
	t.Helper()
	ps := BenchProblems()
	for _, s := range []struct {
		op    conv.Op
		desc  string
		extra func(p *conv.Problem)
	}{
		{conv.OpConv, "mb2g8ic8id5ih7iw9oc16od5oh7ow9kd3kh3kw3pd1ph1pw1", nil},
		{conv.OpConv, "mb2g2ic6ih11oc4oh4kh3sh3dh1ph2", nil},
		{conv.OpConv, "mb2ic5iw19oc7ow19kw3pw1", nil},
		{conv.OpDeconv, "mb2g2ic4ih6oc6oh13kh3sh2ph1", nil},
		{conv.OpDeform, "mb2ic4ih7oc3oh7kh3ph1", func(p *conv.Problem) { p.DG = 2 }},
		{conv.OpDynamic, "mb3ic4ih6oc5oh6kh3ph1", func(p *conv.Problem) { p.E, p.Routing = 3, conv.RoutingSigmoid }},
		{conv.OpConv, "mb1ic256ih14oc256oh14kh1", nil},
		{conv.OpConv, "mb1ic64ih28oc64oh14kh1sh2", nil},
	} {
		p, err := conv.ParseDescriptor(s.desc, s.op)
		if err != nil {
			t.Fatalf("%s: %v", s.desc, err)
		}
		if s.extra != nil {
			s.extra(&p)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", s.desc, err)
		}
		ps = append(ps, BenchProblem{Shape: s.desc, Problem: p})
	}
	return ps
}

// TestPlanRunAllocatesNothing holds every registered variant's plan to zero
// allocations per Run after the first, on one worker and on two, with and
// without bias.
func TestPlanRunAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, bp := range allocProblems(t) {
		for _, v := range All() {
			if v.Supports(&bp.Problem) != nil {
				continue
			}
			for _, workers := range []int{1, 2} {
				for _, bias := range []bool{true, false} {
					t.Run(fmt.Sprintf("%s/%s/workers=%d/bias=%v", v.Name, bp.Shape, workers, bias), func(t *testing.T) {
						p := bp.Problem
						in := BenchInputs(&p, 3)
						if !bias {
							in.B = nil
						}
						pl, err := v.Prepare(&p, in.W, in.B, workers)
						if err != nil {
							t.Fatal(err)
						}
						defer pl.Close()
						in.W, in.B = nil, nil
						out := make([]float32, dstLen(&p))
						if n := runAllocs(func() {
							if err := pl.Run(in, out); err != nil {
								t.Fatal(err)
							}
						}); n != 0 {
							t.Errorf("%v allocations per Run, want 0", n)
						}
					})
				}
			}
		}
	}
}

// runAllocs is testing.AllocsPerRun(4, f), the least of three tries:
// AllocsPerRun counts the whole process's allocations, and the runtime's
// own goroutines (the scavenger, a GC cycle) allocate now and then while
// f's helpers wait. An allocation in f itself shows in every try.
func runAllocs(f func()) float64 {
	best := testing.AllocsPerRun(4, f)
	for try := 1; try < 3 && best > 0; try++ {
		best = min(best, testing.AllocsPerRun(4, f))
	}
	return best
}

// TestPlanRejectsBadInput: Prepare refuses what Run refuses, and wrong
// weights; Plan.Run refuses arguments of the wrong size, weights (they
// were given to Prepare), a mask or routing an op does not take, and any
// call after Close. None of them writes out.
func TestPlanRejectsBadInput(t *testing.T) {
	p, err := conv.ParseDescriptor("mb1ic3ih6oc4oh6kh3ph1", conv.OpConv)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := Lookup("im2col-gemm")
	in := BenchInputs(&p, 1)
	if _, err := v.Prepare(&p, in.W[1:], in.B, 1); err == nil || !strings.Contains(err.Error(), "w:") {
		t.Errorf("short weights: err = %v", err)
	}
	if _, err := v.Prepare(&p, in.W, in.B[1:], 1); err == nil || !strings.Contains(err.Error(), "b:") {
		t.Errorf("short bias: err = %v", err)
	}
	wino, _ := Lookup("winograd-f2x3")
	q := p
	q.K[2], q.PBegin[2], q.PEnd[2] = 5, 2, 2
	if _, err := wino.Prepare(&q, make([]float32, conv.Elems(q.WeightShape())), nil, 1); err == nil {
		t.Error("winograd prepared a 3×5 kernel")
	}
	pl, err := v.Prepare(&p, in.W, in.B, 2)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, dstLen(&p))
	for i := range out {
		out[i] = 42
	}
	x := in.X
	for _, c := range []struct {
		what string
		in   conv.Inputs[float32]
		out  []float32
		want string
	}{
		{"short x", conv.Inputs[float32]{X: x[1:]}, out, "x:"},
		{"short out", conv.Inputs[float32]{X: x}, out[1:], "out:"},
		{"weights", conv.Inputs[float32]{X: x, W: in.W}, out, "in.W"},
		{"mask", conv.Inputs[float32]{X: x, Mask: x}, out, "mask"},
		{"routing", conv.Inputs[float32]{X: x, RouteB: x}, out, "route_b"},
	} {
		if err := pl.Run(c.in, c.out); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one naming %q", c.what, err, c.want)
		}
	}
	for i, v := range out {
		if v != 42 {
			t.Fatalf("a refused Run wrote out[%d] = %v", i, v)
		}
	}
	if err := pl.Run(conv.Inputs[float32]{X: x}, out); err != nil {
		t.Fatal(err)
	}
	pl.Close()
	pl.Close() // idempotent
	if err := pl.Run(conv.Inputs[float32]{X: x}, out); !errors.Is(err, errPlanClosed) {
		t.Errorf("Run after Close: err = %v", err)
	}
}

// TestPlanGoroutines: a plan's helpers stop at Close, and when a plan is
// dropped without Close, once it is collected.
func TestPlanGoroutines(t *testing.T) {
	p, err := conv.ParseDescriptor("mb1ic3ih6oc4oh6kh3ph1", conv.OpConv)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := Lookup("direct-tiled")
	in := BenchInputs(&p, 1)
	settle := func(want int) int {
		n := runtime.NumGoroutine()
		for try := 0; try < 200 && n > want; try++ {
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		return n
	}
	base := settle(0)
	pl, err := v.Prepare(&p, in.W, in.B, 4)
	if err != nil {
		t.Fatal(err)
	}
	if n := runtime.NumGoroutine(); n != base+3 {
		t.Errorf("%d goroutines with a 4-worker plan, want %d + 3 helpers", n, base)
	}
	pl.Close()
	if n := settle(base); n != base {
		t.Errorf("%d goroutines after Close, want %d", n, base)
	}
	func() {
		dropped, err := v.Prepare(&p, in.W, in.B, 4)
		if err != nil {
			t.Fatal(err)
		}
		if err := dropped.Run(conv.Inputs[float32]{X: in.X}, make([]float32, dstLen(&p))); err != nil {
			t.Fatal(err)
		}
	}()
	if n := settle(base); n != base {
		t.Errorf("%d goroutines after dropping a plan, want %d", n, base)
	}
}
