package optimized

import (
	"fmt"
	"testing"

	"github.com/convverify/convverify/conv"
)

// allocProblems are the problems whose plans must run without allocating:
// the benchmark layers as they are (batch 1, dynamic batch 2), and small
// problems that take the paths the layers do not (3D depthwise, width
// stride 3, dilation, groups, deconv with output padding, DCNv1 with
// offset groups, sigmoid routing without bias, batch > 1).
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
