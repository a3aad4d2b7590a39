package optimized_test

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/convtest"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/reference"
)

// drawFloats draws n float32 values in [lo, hi] (as float64), not all zero.
func drawFloats(t *rapid.T, n int, lo, hi float32, label string) []float64 {
	v := rapid.SliceOfN(rapid.Float32Range(lo, hi), n, n).Draw(t, label)
	s := make([]float64, n)
	nonzero := false
	for i, x := range v {
		s[i] = float64(x)
		nonzero = nonzero || x != 0
	}
	if n > 0 && !nonzero {
		s[rapid.IntRange(0, n-1).Draw(t, label+"_nz")] = float64(hi) / 2
	}
	return s
}

// drawGradInputs draws float32-representable inputs for every tensor p's
// direction reads, and dy.
func drawGradInputs(t *rapid.T, p *conv.Problem) (conv.Inputs[float64], []float64) {
	in := conv.Inputs[float64]{
		X: drawFloats(t, conv.Elems(p.SrcShape()), -1, 1, "x"),
		W: drawFloats(t, conv.Elems(p.WeightShape()), -1, 1, "w"),
	}
	if rapid.Bool().Draw(t, "bias") {
		in.B = drawFloats(t, conv.Elems(p.BiasShape()), -1, 1, "b")
	}
	switch p.Op {
	case conv.OpDeform:
		in.Offset = drawFloats(t, conv.Elems(p.OffsetShape()), -3, 3, "offset")
		if p.Mask {
			in.Mask = drawFloats(t, conv.Elems(p.MaskShape()), -1, 1, "mask")
		}
	case conv.OpDynamic:
		in.RouteW = drawFloats(t, conv.Elems(p.RouteWShape()), -2, 2, "route_w")
		in.RouteB = drawFloats(t, conv.Elems(p.RouteBShape()), -2, 2, "route_b")
	}
	return in, drawFloats(t, conv.Elems(p.DstShape()), -1, 1, "dy")
}

// runGuarded runs v on p through the harness's guarded run (every gradient
// NaN-poisoned and guarded) and fails t on an error or a changed guard.
func runGuarded(t *rapid.T, v optimized.GradVariant, p *conv.Problem, in conv.Inputs[float32], dy []float32, workers int) conv.Grads[float32] {
	g, err := convtest.RunGradGuarded(convtest.GradVariant(v), p, in, dy, workers)
	if err != nil {
		t.Fatalf("%s, %d workers: %v", v.Name, workers, err)
	}
	return g
}

// checkGradVariant runs v on p (its direction drawn) with drawn inputs, 1
// and 3 workers, and compares every gradient with reference.Backward under
// |got − exp| ≤ BoundC·γ_N·GradMagnitude (+ an absolute 2⁻⁴⁰·max magnitude
// for underflow), N = v.AccumLength — the gradient's own term count
// (reference.DeformGradLength / DynamicGradLength, which GradMagnitude's
// term errors are converted with).
func checkGradVariant(t *rapid.T, v optimized.GradVariant, p *conv.Problem, length func(*conv.Problem, string) int) {
	if err := v.Supports(p); err != nil {
		t.Fatalf("%s: %v", v.Name, err)
	}
	in, dy := drawGradInputs(t, p)
	exp, err := reference.Backward(p, in, dy)
	if err != nil {
		t.Fatal(err)
	}
	mag, err := reference.GradMagnitude(p, in, dy)
	if err != nil {
		t.Fatal(err)
	}
	in32, dy32 := conv.ConvertInputs[float32](in), conv.ConvertSlice[float32](dy)
	g1 := runGuarded(t, v, p, in32, dy32, 1)
	g3 := runGuarded(t, v, p, in32, dy32, 3)
	for _, name := range conv.GradNames {
		got := *g1.Field(name)
		if want := *exp.Field(name); (got == nil) != (want == nil) {
			t.Fatalf("%s: gradient %s written %v, reference %v", v.Name, name, got != nil, want != nil)
		}
		if got == nil {
			continue
		}
		if n := v.AccumLength(p, name); n != length(p, name) {
			t.Fatalf("%s: AccumLength(%s) = %d, reference's %d", v.Name, name, n, length(p, name))
		}
		m := *mag.Field(name)
		var mx float64
		for _, x := range m {
			mx = math.Max(mx, x)
		}
		shape, _ := p.TensorShape(name)
		b := conv.Bound{C: v.BoundC, N: v.AccumLength(p, name), Abs: 0x1p-40*mx + 1e-30}
		if vd := conv.Compare(got, *exp.Field(name), m, b, shape); !vd.OK() {
			t.Fatalf("%s on %s: %s: %v", v.Name, p.Command(), name, vd)
		}
		g3s := *g3.Field(name)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(g3s[i]) {
				t.Fatalf("%s: %s[%d]: 1 worker %v, 3 workers %v", v.Name, name, i, got[i], g3s[i])
			}
		}
	}
}

func drawGradDir(t *rapid.T, p *conv.Problem) {
	p.Dir = rapid.SampledFrom([]conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB}).Draw(t, "dir")
}

// TestDeformBwdIm2col: deform-bwd-im2col against the reference, in every
// backward direction, with small tiles (every tile and channel-block
// remainder crossed) and the production ones.
func TestDeformBwdIm2col(t *testing.T) {
	v, ok := optimized.GradLookup("deform-bwd-im2col")
	if !ok {
		t.Fatal("deform-bwd-im2col not registered")
	}
	for _, tiles := range []optimized.Tiles{optimized.SmallTiles, optimized.DefaultTiles} {
		old := optimized.SetTiles(tiles)
		rapid.Check(t, func(t *rapid.T) {
			p := convtest.Gen(conv.OpDeform).Draw(t, "p")
			drawGradDir(t, &p)
			checkGradVariant(t, v, &p, reference.DeformGradLength)
		})
		optimized.SetTiles(old)
	}
}
