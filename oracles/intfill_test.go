package oracles

import (
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/convverify/convverify/conv"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

var long = flag.Bool("long", false, "run IntFill over every shape of every benchdnn shape file")

// realNets are shapes from real networks (benchdnn's shape files), chosen
// for long accumulations, 3D, depthwise, dilation and deconvolution.
var realNets = []struct {
	desc string
	op   conv.Op
}{
	{"mb1ic256ih14oc256oh14kh3ph1", conv.OpConv},
	{`mb1ic2048ih7oc512oh7kh1ph0n"resnet_50:res5a_branch2a"`, conv.OpConv},
	{"mb1ic512ih7oc512oh7kh3ph1", conv.OpConv},
	{"mb1ic1024ih14oc1024oh14kh3ph1", conv.OpConv}, // N = 9216
	{"mb1ic2048ih7oc2048oh7kh3ph1", conv.OpConv},   // N = 18432: the source must be thinned
	{"g32mb1ic32ih112oc32oh112kh3ph1", conv.OpConv},
	{"mb1ic64id28ih28iw28oc64od28oh28ow28kd3kh3kw3pd1ph1pw1", conv.OpConv},
	{"mb1ic512ih28oc512oh28kh3ph2dh1", conv.OpConv},
	{"mb1ic256iw100oc256ow100kw3pw2dw1", conv.OpConv},
	{"mb1ic512ih7oc256oh14kh4sh2ph1", conv.OpDeconv},
	{"mb1ic128id8ih8iw8oc64od16oh16ow16kd4kh4kw4sd2sh2sw2pd1ph1pw1", conv.OpDeconv},
}

// variants gives p as itself and, for 2D conv shapes with at most 2²⁰
// weights, as deform (DG 2 or 1, with mask) and dynamic (4 experts, sigmoid
// and softmax); the weight cap keeps the test to seconds.
func variants(p conv.Problem) []conv.Problem {
	out := []conv.Problem{p}
	if p.Op != conv.OpConv || p.Rank != 2 || conv.Elems(p.WeightShape()) > 1<<20 {
		return out
	}
	d := p
	d.Op, d.DG, d.Mask = conv.OpDeform, 2, true
	if p.IC%2 != 0 {
		d.DG = 1
	}
	s, x := p, p
	s.Op, s.E = conv.OpDynamic, 4
	x.Op, x.E, x.Routing, x.Temperature = conv.OpDynamic, 4, conv.RoutingSoftmax, 30
	return append(out, d, s, x)
}

// checkIntFill asserts what IntFill promises: exact, MaxAbsSum < 2²⁴, integer
// values in range, and enough nonzeros to test something.
func checkIntFill(t *testing.T, p *conv.Problem, rng *rand.Rand) {
	t.Helper()
	in, exact := IntFill(p, rng)
	if err := in.Check(p); err != nil {
		t.Fatalf("%#v: IntFill inputs: %v", *p, err)
	}
	if !exact {
		t.Fatalf("%#v: IntFill could not make the sums exact", *p)
	}
	if s := MaxAbsSum(p, in); !(s < ExactLimit) {
		t.Fatalf("%#v: MaxAbsSum = %g ≥ 2²⁴", *p, s)
	}
	inRange := func(name string, s []float64, lo, hi float64) int {
		nz := 0
		for _, v := range s {
			if v != math.Trunc(v) || v < lo || v > hi {
				t.Fatalf("%#v: %s value %v outside the integers of [%g, %g]", *p, name, v, lo, hi)
			}
			if v != 0 {
				nz++
			}
		}
		return nz
	}
	nx := inRange("x", in.X, -IntRange, IntRange)
	nw := inRange("w", in.W, -IntRange, IntRange)
	inRange("b", in.B, -16, 16)
	inRange("offset", in.Offset, -3, 3)
	inRange("mask", in.Mask, 0, 2)
	if nw == 0 || nx == 0 {
		t.Fatalf("%#v: all-zero fill (%d nonzero x, %d nonzero w)", *p, nx, nw)
	}
	// Each x is nonzero with probability ρ·64/65; demand half of that (the
	// fill may thin further only if the first draw broke the bound).
	if want := 0.5 * IntFillDensity(p) * float64(len(in.X)) * 64 / 65; len(in.X) >= 1000 && float64(nx) < want {
		t.Errorf("%#v: %d nonzero x of %d, want at least %.0f (density %.3g)", *p, nx, len(in.X), want, IntFillDensity(p))
	}
}

// TestIntFillRealNets: on shapes from real networks, and their deform and
// dynamic variants, IntFill's sums stay below 2²⁴ with a useful density.
func TestIntFillRealNets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range realNets {
		p := mustParse(t, c.desc, c.op)
		for _, v := range variants(p) {
			checkIntFill(t, &v, rng)
		}
	}
	p := mustParse(t, "mb1ic2048ih7oc2048oh7kh3ph1", conv.OpConv)
	if d := IntFillDensity(&p); !(d < 1 && d > 0.5) {
		t.Errorf("density for N = 18432 is %g, want thinning in (0.5, 1)", d)
	}
}

// TestIntFillAllShapes (-long): every shape of every benchdnn shape file, at mb 1.
func TestIntFillAllShapes(t *testing.T) {
	if !*long {
		t.Skip("use -long to fill every benchdnn shape")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	done, skipped := 0, 0
	for _, dir := range []struct {
		path string
		op   conv.Op
	}{{"../shapes/benchdnn/conv", conv.OpConv}, {"../shapes/benchdnn/deconv", conv.OpDeconv}} {
		files, _ := filepath.Glob(filepath.Join(dir.path, "shapes_*"))
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range conv.ParseShapeFile(string(text)) {
				p, err := conv.ParseDescriptor(d, dir.op)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				p.MB = 1
				// Skip what would take over 512 MiB of float64 tensors or
				// 10⁹ steps of MaxAbsSum (IC·ΠK·ΠO per sample).
				if p.CheckBudget(8, 1<<29) != nil || float64(p.IC)*float64(p.Taps())*float64(conv.Spatial(p.O)) > 1e9 {
					skipped++
					continue
				}
				checkIntFill(t, &p, rng)
				done++
			}
		}
	}
	t.Logf("%d shapes filled exactly, %d skipped as too large", done, skipped)
}

// dot32 sums float32(row[i])·float32(x[i]) in float32 in the order given.
func dot32(row, x []float64, order []int) float32 {
	var s float32
	for _, i := range order {
		s += float32(row[i]) * float32(x[i])
	}
	return s
}

// TestIntFillIsExactInFloat32: with IntFill's inputs every output is the
// same float32 whichever order its terms are summed in (forward, backward,
// random), and equals the float64 result: the exactness claim, checked on the
// matrix rows of every op. A fill that broke the 2²⁴ bound would round.
func TestIntFillIsExactInFloat32(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, allOps, false)
		rng := drawRNG(t)
		in, exact := IntFill(&p, rng)
		if !exact {
			t.Fatalf("%#v: not exact", p)
		}
		exp, err := ByMatrix(&p, in)
		if err != nil {
			t.Fatal(err)
		}
		nI, nO := p.IC*conv.Spatial(p.I), p.OC*conv.Spatial(p.O)
		alpha := [][]float64(nil)
		if p.Op == conv.OpDynamic {
			alpha = RoutingWeights(&p, in)
		}
		fwd := make([]int, nI)
		for i := range fwd {
			fwd[i] = i
		}
		bwd := make([]int, nI)
		for i := range bwd {
			bwd[i] = nI - 1 - i
		}
		for n := 0; n < p.MB; n++ {
			var m *mat.Dense
			bias := in.B
			switch p.Op {
			case conv.OpConv, conv.OpDeconv:
				m = Matrix(&p, in.W)
			case conv.OpDeform:
				m = MatrixDeform(&p, in.W, in.Offset, in.Mask, n)
			case conv.OpDynamic:
				var w []float64
				w, bias = mixKernel(&p, in, alpha[n])
				m = Matrix(&p, w)
			}
			x := in.X[n*nI : (n+1)*nI]
			for r := 0; r < nO; r++ {
				row := m.RawRowView(r)
				want := exp[n*nO+r]
				var b float32
				if bias != nil {
					b = float32(bias[r/conv.Spatial(p.O)])
				}
				for k, order := range [][]int{fwd, bwd, rng.Perm(nI)} {
					got := dot32(row, x, order) + b
					if float64(got) != want {
						t.Fatalf("%#v: y[%d,%d] summed in order %d = %v in float32, want exactly %v", p, n, r, k, got, want)
					}
				}
			}
		}
	})
}

// TestMaxAbsSumIsSound: MaxAbsSum bounds the true max Σ|terms| + |b| of every
// op, computed through the matrix on absolute values.
func TestMaxAbsSumIsSound(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, allOps, false)
		in, _ := IntFill(&p, drawRNG(t))
		bound := MaxAbsSum(&p, in)
		nI, nO := p.IC*conv.Spatial(p.I), p.OC*conv.Spatial(p.O)
		alpha := [][]float64(nil)
		if p.Op == conv.OpDynamic {
			alpha = RoutingWeights(&p, in)
		}
		for n := 0; n < p.MB; n++ {
			var m *mat.Dense
			bias := in.B
			switch p.Op {
			case conv.OpConv, conv.OpDeconv:
				m = Matrix(&p, in.W)
			case conv.OpDeform:
				m = MatrixDeform(&p, conv.Abs(in.W), in.Offset, conv.Abs(in.Mask), n)
			case conv.OpDynamic:
				var w []float64
				w, bias = mixKernel(&p, in, alpha[n])
				m = Matrix(&p, w)
			}
			for r := 0; r < nO; r++ {
				s := math.Abs(bias[r/conv.Spatial(p.O)])
				for i, v := range m.RawRowView(r) {
					s += math.Abs(v * in.X[n*nI+i])
				}
				if s > bound {
					t.Fatalf("%#v: output %d,%d has Σ|terms| = %g > MaxAbsSum %g", p, n, r, s, bound)
				}
			}
		}
	})
}

// TestIntFillDynamicRouting: exact routing weights are 0, ½, 1 (sigmoid) or
// 1/k for a power of two k (softmax), and some expert is always in use.
func TestIntFillDynamicRouting(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, []conv.Op{conv.OpDynamic}, false)
		in, exact := IntFill(&p, drawRNG(t))
		if !exact {
			t.Fatalf("%#v: not exact", p)
		}
		for _, alpha := range RoutingWeights(&p, in) {
			var sum float64
			for _, a := range alpha {
				if _, ok := dyadicExponent(a); !ok || a < 0 || a > 1 {
					t.Fatalf("%#v: α = %v is not a dyadic weight", p, alpha)
				}
				sum += a
			}
			if sum == 0 || (p.Routing == conv.RoutingSoftmax && sum != 1) {
				t.Fatalf("%#v: α = %v", p, alpha)
			}
		}
	})
}

// TestRandomFill: real values in range, never all zero, no exactness claimed,
// and deform offsets that send some sampling points out of the image.
func TestRandomFill(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := mustParse(t, "mb2ic4ih6oc4oh6kh3ph1", conv.OpDeform)
	p.DG, p.Mask = 2, true
	in := RandomFill(&p, rng)
	if err := in.Check(&p); err != nil {
		t.Fatal(err)
	}
	if s := MaxAbsSum(&p, in); !math.IsInf(s, 1) {
		t.Errorf("MaxAbsSum of a random fill = %g, want +Inf (no exactness)", s)
	}
	for name, s := range map[string][]float64{"x": in.X, "w": in.W, "b": in.B} {
		nz := 0
		for _, v := range s {
			if v < -1 || v > 1 {
				t.Fatalf("%s value %v outside [−1, 1]", name, v)
			}
			if v != 0 {
				nz++
			}
		}
		if nz == 0 {
			t.Fatalf("%s is all zero", name)
		}
	}
	for _, v := range in.Mask {
		if v < 0 || v > 1 {
			t.Fatalf("mask value %v outside [0, 1]", v)
		}
	}
	outside, whole := 0, 0
	nO, taps := conv.Spatial(p.O), p.DG*p.Taps()
	for n := 0; n < p.MB; n++ {
		for k := 0; k < taps; k++ {
			for o := 0; o < nO; o++ {
				dy := in.Offset[(n*2*taps+2*k)*nO+o]
				py := float64(o/p.O[conv.W]-p.PBegin[conv.H]+(k%p.Taps())/p.K[conv.W]) + dy
				if py <= -1 || py >= float64(p.I[conv.H]) {
					outside++
				}
				if dy == math.Trunc(dy) {
					whole++
				}
			}
		}
	}
	if outside == 0 || whole == 0 {
		t.Errorf("offsets: %d sampling rows outside the image, %d whole offsets; want some of each", outside, whole)
	}
}

// TestMaxAbsSumHandCases: bounds computed by hand, including the dynamic
// quantum (α = ½ puts the sums on a grid of ½, which doubles the count).
func TestMaxAbsSumHandCases(t *testing.T) {
	// 1D conv, x = [1, −2, 3], w = [1, 1] (k2): outputs Σ|x·w| = 3, 5; b = −4.
	p := mustParse(t, "mb1ic1iw3oc1ow2kw2pw0", conv.OpConv)
	if got := MaxAbsSum(&p, conv.Inputs[float64]{X: []float64{1, -2, 3}, W: []float64{1, 1}, B: []float64{-4}}); got != 9 {
		t.Errorf("conv: MaxAbsSum = %g, want 5 + 4 = 9", got)
	}
	// 1D deconv, stride 2, x = [2, −3], w = [1, −5, 1] (k3): y = [2, −10, 2 − 3, 15, −3]; max Σ|·| = 15.
	p = mustParse(t, "mb1ic1iw2oc1ow5kw3sw2pw0", conv.OpDeconv)
	if got := MaxAbsSum(&p, conv.Inputs[float64]{X: []float64{2, -3}, W: []float64{1, -5, 1}}); got != 15 {
		t.Errorf("deconv: MaxAbsSum = %g, want 15", got)
	}
	// Dynamic, 2 experts w = 5, x = 3, route_b = 0: α = ½ each, y = 15 on a grid of ½ → 30.
	p = mustParse(t, "mb1ic1iw1oc1ow1kw1", conv.OpDynamic)
	p.E = 2
	in := conv.Inputs[float64]{X: []float64{3}, W: []float64{5, 5}, RouteW: []float64{0, 0}, RouteB: []float64{0, 0}}
	if got := MaxAbsSum(&p, in); got != 30 {
		t.Errorf("dynamic: MaxAbsSum = %g, want 2·(½·15 + ½·15) = 30", got)
	}
	in.RouteB = []float64{0.3, 0}
	if got := MaxAbsSum(&p, in); !math.IsInf(got, 1) {
		t.Errorf("dynamic with irrational α: MaxAbsSum = %g, want +Inf", got)
	}
}
