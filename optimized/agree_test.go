package optimized

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convverify/convverify/conv"
)

// These tests check the variants against each other on small integer inputs
// (exact sums), without the reference: a cheap first line before the
// properties in convverify/properties, which compare against the reference.

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

func runPoisoned(t *testing.T, v Variant, p *conv.Problem, in conv.Inputs[float32], workers int) []float32 {
	t.Helper()
	n := conv.Elems(p.DstShape())
	const guard = 16
	buf := make([]float32, n+2*guard)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	for i := 0; i < guard; i++ {
		buf[i], buf[n+guard+i] = 12345, -12345
	}
	if err := v.Run(p, in, buf[guard:guard+n], workers); err != nil {
		t.Fatalf("%s on %+v: %v", v.Name, p, err)
	}
	for i := 0; i < guard; i++ {
		if buf[i] != 12345 || buf[n+guard+i] != -12345 {
			t.Fatalf("%s: wrote outside out (guard %d)", v.Name, i)
		}
	}
	return buf[guard : guard+n]
}

func mustResolve(t *testing.T, p conv.Problem) conv.Problem {
	t.Helper()
	if err := p.Resolve(); err != nil {
		t.Fatalf("problem: %v", err)
	}
	return p
}

func agreeProblems(t *testing.T) []conv.Problem {
	var ps []conv.Problem
	c := conv.New(conv.OpConv, 2)
	c.MB, c.G, c.IC, c.OC = 2, 2, 6, 4
	c.I, c.K = [3]int{1, 7, 9}, [3]int{1, 3, 3}
	c.PBegin, c.PEnd = [3]int{0, 1, 2}, [3]int{0, 0, -1}
	ps = append(ps, mustResolve(t, c))
	c3 := conv.New(conv.OpConv, 3)
	c3.IC, c3.OC = 3, 5
	c3.I, c3.K, c3.S, c3.Dil = [3]int{4, 5, 6}, [3]int{2, 3, 2}, [3]int{1, 2, 1}, [3]int{1, 1, 2}
	c3.PBegin, c3.PEnd = [3]int{1, 1, 0}, [3]int{0, 2, 1}
	ps = append(ps, mustResolve(t, c3))
	dw := conv.New(conv.OpConv, 2)
	dw.G, dw.IC, dw.OC = 3, 3, 6
	dw.I, dw.K, dw.S = [3]int{1, 6, 7}, [3]int{1, 3, 3}, [3]int{1, 2, 1}
	dw.PBegin, dw.PEnd = [3]int{0, 1, 1}, [3]int{0, 1, 1}
	ps = append(ps, mustResolve(t, dw))
	pw := conv.New(conv.OpConv, 1)
	pw.IC, pw.OC = 17, 5
	pw.I, pw.S, pw.PEnd = [3]int{1, 1, 9}, [3]int{1, 1, 2}, [3]int{0, 0, -1}
	ps = append(ps, mustResolve(t, pw))
	for _, r := range []int{1, 2, 3} {
		d := conv.New(conv.OpDeconv, r)
		d.MB, d.G, d.IC, d.OC = 2, 2, 4, 6
		for _, a := range d.Axes() {
			d.I[a], d.K[a], d.S[a], d.Dil[a] = 3, 3, 2, 1+a%2
			d.PBegin[a], d.PEnd[a] = 1, 0 // output padding 1
		}
		d.PBegin[2], d.PEnd[2] = 5, -2 // padding wider than the kernel, negative end
		ps = append(ps, mustResolve(t, d))
	}
	// End padding so negative that every scatter target misses the output:
	// the zero-inserted input is cropped away entirely.
	far := conv.New(conv.OpDeconv, 1)
	far.IC, far.OC = 2, 3
	far.I, far.K, far.PBegin, far.PEnd = [3]int{1, 1, 2}, [3]int{1, 1, 2}, [3]int{0, 0, 4}, [3]int{0, 0, -4}
	ps = append(ps, mustResolve(t, far))
	df := conv.New(conv.OpDeform, 2)
	df.MB, df.G, df.IC, df.OC, df.DG, df.Mask = 2, 2, 4, 4, 2, true
	df.I, df.K, df.S = [3]int{1, 5, 6}, [3]int{1, 3, 2}, [3]int{1, 1, 2}
	df.PBegin, df.PEnd = [3]int{0, 1, 1}, [3]int{0, 1, 0}
	ps = append(ps, mustResolve(t, df))
	dy := conv.New(conv.OpDynamic, 2)
	dy.MB, dy.G, dy.IC, dy.OC, dy.E = 3, 2, 4, 6, 3
	dy.Routing, dy.Temperature = conv.RoutingSoftmax, 0.7
	dy.I, dy.K = [3]int{1, 5, 5}, [3]int{1, 3, 3}
	dy.PBegin, dy.PEnd = [3]int{0, 1, 1}, [3]int{0, 1, 1}
	ps = append(ps, mustResolve(t, dy))
	return ps
}

// TestVariantsAgree runs every supporting variant on each problem, with and
// without bias, at 1 and 3 workers: exact variants must agree bit for bit,
// the others within their bound relative to the first exact variant.
func TestVariantsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range agreeProblems(t) {
		for _, bias := range []bool{false, true} {
			in := intInputs(&p, rng, bias)
			vs := For(&p)
			if len(vs) == 0 {
				t.Fatalf("no variant for %+v", p)
			}
			var ref []float32
			var refName string
			for _, v := range vs {
				got := runPoisoned(t, v, &p, in, 1)
				if v.Deterministic {
					got3 := runPoisoned(t, v, &p, in, 3)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(got3[i]) {
							t.Fatalf("%s: workers 1 and 3 differ at %d: %v vs %v", v.Name, i, got[i], got3[i])
						}
					}
				}
				if ref == nil {
					ref, refName = got, v.Name
					continue
				}
				for i := range got {
					d := math.Abs(float64(got[i]) - float64(ref[i]))
					tol := 0.0
					if !v.Exact || p.Op == conv.OpDynamic {
						tol = 1e-4 * (1 + math.Abs(float64(ref[i])))
					}
					if !(d <= tol) {
						t.Fatalf("%v %s vs %s: element %s: %v vs %v", p.Op, v.Name, refName, conv.MultiIndex(p.DstShape(), i), got[i], ref[i])
					}
				}
			}
		}
	}
}

func TestEveryOpHasVariants(t *testing.T) {
	for _, op := range []conv.Op{conv.OpConv, conv.OpDeconv, conv.OpDeform, conv.OpDynamic} {
		n := 0
		for _, v := range All() {
			if v.Handles(op) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("op %v: no variant", op)
		}
	}
	if _, ok := Lookup("im2col-gemm"); !ok {
		t.Error("Lookup(im2col-gemm) failed")
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	p := conv.New(conv.OpConv, 2)
	p.I, p.K = [3]int{1, 5, 5}, [3]int{1, 5, 5}
	p = mustResolve(t, p)
	v, _ := Lookup("winograd-f2x3")
	if err := v.Run(&p, conv.Inputs[float32]{}, nil, 1); err == nil {
		t.Error("winograd accepted a 5×5 kernel")
	}
	v, _ = Lookup("im2col-gemm")
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
	w, _ := Lookup("winograd-f2x3")
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
	d, _ := Lookup("im2col-gemm")
	if _, s := d.Judge(&p, mag); &s[0] != &mag[0] {
		t.Fatal("componentwise variant must judge against mag itself")
	}
}

// TestVariantsAgreeOnBenchLayers runs every variant on every benchmark layer
// (full size: the paths small problems never take, such as many row blocks
// and large planes) on small-integer inputs, where every exact variant must
// match the first one bit for bit. Skipped with -short.
func TestVariantsAgreeOnBenchLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size layers")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, bp := range BenchProblems() {
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
		for _, v := range For(&p) {
			got := make([]float32, conv.Elems(p.DstShape()))
			if err := v.Run(&p, in, got, 2); err != nil {
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
