package optimized_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
)

// smallTiles runs the rest of t with optimized.SmallTiles, so that small
// problems cross every block remainder in every rank.
func smallTiles(t *testing.T) {
	old := optimized.SetTiles(optimized.SmallTiles)
	t.Cleanup(func() { optimized.SetTiles(old) })
}

// TestVariantsConform runs every registered variant through the conformance
// suite every outside implementation goes through (convtest.Run): the
// regression shapes, then rapid's problems, each against the reference
// under the variant's bound, with 1 and 3 workers, linearity and the exact
// integer fill.
func TestVariantsConform(t *testing.T) {
	smallTiles(t)
	for _, v := range optimized.All() {
		t.Run(v.Name, func(t *testing.T) { convtest.Run(t, convtest.Variant(v)) })
	}
}

// TestVariantsConformProductionTiles runs the regression shapes, which are
// sized to cross the production block sizes, with those sizes.
func TestVariantsConformProductionTiles(t *testing.T) {
	for _, v := range optimized.All() {
		t.Run(v.Name, func(t *testing.T) { convtest.Run(t, convtest.Variant(v), convtest.NoRandom()) })
	}
}

func TestEveryOpHasVariants(t *testing.T) {
	for _, op := range convtest.AllOps {
		n := 0
		for _, v := range optimized.All() {
			if v.Handles(op) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("op %v: no variant", op)
		}
	}
	if _, ok := optimized.Lookup("im2col-gemm"); !ok {
		t.Error("Lookup(im2col-gemm) failed")
	}
}

func mustResolve(t *testing.T, p conv.Problem) conv.Problem {
	t.Helper()
	if err := p.Resolve(); err != nil {
		t.Fatalf("problem: %v", err)
	}
	return p
}

func TestRunRejectsBadInput(t *testing.T) {
	p := conv.New(conv.OpConv, 2)
	p.I, p.K = [3]int{1, 5, 5}, [3]int{1, 5, 5}
	p = mustResolve(t, p)
	v, _ := optimized.Lookup("winograd-f2x3")
	if err := v.Run(&p, conv.Inputs[float32]{}, nil, 1); err == nil {
		t.Error("winograd accepted a 5×5 kernel")
	}
	v, _ = optimized.Lookup("im2col-gemm")
	if err := v.Run(&p, conv.Inputs[float32]{X: make([]float32, 3)}, make([]float32, 1), 1); err == nil {
		t.Error("im2col-gemm accepted a short input")
	}
}

func TestJudgeNormwisePlanes(t *testing.T) {
	p := conv.New(conv.OpConv, 1)
	p.MB, p.IC, p.OC = 2, 1, 2
	p.I = [3]int{1, 1, 3}
	p = mustResolve(t, p)
	mag := []float64{1, 5, 2, 0, 0, 7, 3, 3, 3, 1, 0, 0}
	w, _ := optimized.Lookup("winograd-f2x3")
	b, s := w.Judge(&p, mag)
	want := []float64{5, 5, 5, 7, 7, 7, 3, 3, 3, 1, 1, 1}
	for i := range want {
		if s[i] != want[i] {
			t.Fatalf("normwise scale %v, want %v", s, want)
		}
	}
	if b.C != w.BoundC || b.N != p.AccumLength() || !(b.Abs > 0 && b.Abs < 1e-11) {
		t.Fatalf("bound %+v", b)
	}
	d, _ := optimized.Lookup("im2col-gemm")
	if _, s := d.Judge(&p, mag); &s[0] != &mag[0] {
		t.Fatal("componentwise variant must judge against mag itself")
	}
}

// intInputs fills p's inputs with small integers (exact sums).
func intInputs(p *conv.Problem, rng *rand.Rand, bias bool) conv.Inputs[float32] {
	f := func(n, lo, hi int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(lo + rng.IntN(hi-lo+1))
		}
		return s
	}
	in := conv.Inputs[float32]{X: f(conv.Elems(p.SrcShape()), -4, 4), W: f(conv.Elems(p.WeightShape()), -3, 3)}
	if bias {
		in.B = f(conv.Elems(p.BiasShape()), -5, 5)
	}
	switch p.Op {
	case conv.OpDeform:
		in.Offset = f(conv.Elems(p.OffsetShape()), -2, 2)
		if p.Mask {
			in.Mask = f(conv.Elems(p.MaskShape()), 0, 2)
		}
	case conv.OpDynamic:
		in.RouteW = f(conv.Elems(p.RouteWShape()), -1, 1)
		in.RouteB = f(conv.Elems(p.RouteBShape()), -1, 1)
	}
	return in
}

// TestVariantsAgreeOnBenchLayers runs every variant on every benchmark layer
// (full size, production block sizes: the paths small problems never take
// there, such as many row blocks and large planes) on small-integer inputs,
// where every exact variant must match the first one bit for bit; the
// outputs are guarded and NaN-poisoned. The reference would take minutes on
// these layers, so the variants are held to each other. Skipped with -short.
func TestVariantsAgreeOnBenchLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size layers")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, bp := range optimized.BenchProblems() {
		p := bp.Problem
		in := intInputs(&p, rng, true)
		if p.Op == conv.OpDynamic {
			// dyadic routing (α ∈ {0, ½, 1}) keeps the mixed kernels exact
			for e := range in.RouteW {
				in.RouteW[e] = 0
			}
			for e := range in.RouteB {
				in.RouteB[e] = float32([]int{-1000, 0, 1000}[e%3])
			}
		}
		var ref []float32
		var refName string
		for _, v := range optimized.For(&p) {
			got, err := convtest.RunGuarded(conv.Elems(p.DstShape()), func(out []float32) error { return v.Run(&p, in, out, 2) })
			if err != nil {
				t.Fatalf("%s on %s: %v", v.Name, bp.Shape, err)
			}
			if ref == nil {
				ref, refName = got, v.Name
				continue
			}
			for i := range got {
				d := math.Abs(float64(got[i]) - float64(ref[i]))
				tol := 0.0
				if !v.Exact {
					tol = 1e-4 * (1 + math.Abs(float64(ref[i])))
				}
				if !(d <= tol) {
					t.Fatalf("%s vs %s on %s: element %s: %v vs %v", v.Name, refName, bp.Shape, conv.MultiIndex(p.DstShape(), i), got[i], ref[i])
				}
			}
		}
	}
}

// TestPlansConform runs every variant's prepared execution through the
// suite (convtest.PlanVariant): each problem's plan runs once on decoy
// inputs, then on the checked ones, with the weights given to Prepare
// poisoned after it.
func TestPlansConform(t *testing.T) {
	smallTiles(t)
	for _, v := range optimized.All() {
		t.Run(v.Name, func(t *testing.T) { convtest.Run(t, convtest.PlanVariant(v)) })
	}
}
