package oracles

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/convverify/convverify/conv"

	"pgregory.net/rapid"
)

// agreeBound is the allowed |ByFFT − ByMatrix| per element: FFTBound's
// absolute bound plus the matrix oracle's own float64 rounding relative to
// each element's Σ|terms| (use with matrixMag).
func agreeBound(t *rapid.T, p *conv.Problem, in conv.Inputs[float64]) conv.Bound {
	b, err := FFTBound(p, in)
	if err != nil {
		t.Fatalf("FFTBound(%#v): %v", *p, err)
	}
	return matrixBound(p, b.Abs)
}

// TestByFFTMatchesByMatrix: two oracles that share nothing but the problem's
// geometry (a dense matrix scattered from the definition, and spectra
// multiplied after 1D transforms along each axis) agree within the FFT's
// stated error bound on conv, deconv and dynamic, ranks 1–3, at stride 1.
func TestByFFTMatchesByMatrix(t *testing.T) {
	var worst float64
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, fftOps, true)
		in := RandomFill(&p, drawRNG(t))
		got, err := ByFFT(&p, in)
		if err != nil {
			t.Fatalf("ByFFT(%#v): %v", p, err)
		}
		exp, err := ByMatrix(&p, in)
		if err != nil {
			t.Fatalf("ByMatrix(%#v): %v", p, err)
		}
		v := conv.Compare(got, exp, matrixMag(&p, in), agreeBound(t, &p, in), p.DstShape())
		if !v.OK() {
			t.Fatalf("%#v: ByFFT vs ByMatrix: %v", p, v)
		}
		worst = math.Max(worst, v.Ratio)
	})
	t.Logf("largest |ByFFT − ByMatrix| / bound: %.3g", worst)
}

// TestByFFTDetectsPerturbation: the bound is tight enough to catch a change
// of one weight by 10⁻¹² (weights are O(1)), so the agreement above means
// something.
func TestByFFTDetectsPerturbation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProblem(t, []conv.Op{conv.OpConv, conv.OpDeconv}, true)
		in := RandomFill(&p, drawRNG(t))
		exp, err := ByMatrix(&p, in)
		if err != nil {
			t.Fatal(err)
		}
		i := rapid.IntRange(0, len(in.W)-1).Draw(t, "weight")
		bad := in
		bad.W = append([]float64(nil), in.W...)
		bad.W[i] += 1e-12
		moved, err := ByMatrix(&p, bad)
		if err != nil {
			t.Fatal(err)
		}
		b := agreeBound(t, &p, in)
		mag := matrixMag(&p, in)
		detectable := false
		for j := range exp {
			detectable = detectable || math.Abs(moved[j]-exp[j]) > 4*b.At(mag[j])
		}
		if !detectable {
			t.Skip("the perturbed tap only ever reads padding")
		}
		got, err := ByFFT(&p, bad)
		if err != nil {
			t.Fatal(err)
		}
		if v := conv.Compare(got, exp, mag, b, p.DstShape()); v.OK() {
			t.Fatalf("%#v: a weight moved by 1e-12 passed the bound: %v", p, v)
		}
	})
}

// TestFFTSupportsNamesTheField: stride > 1 and deform are refused with the
// field named, never computed wrongly or panicking.
func TestFFTSupportsNamesTheField(t *testing.T) {
	for _, c := range []struct {
		desc string
		op   conv.Op
		want string
	}{
		{"mb1ic2ih8oc2oh4kh3sh2ph1", conv.OpConv, "sh:"},
		{"mb1ic2iw9oc2ow3kw3sw3", conv.OpConv, "sw:"},
		{"mb1ic2id4ih4iw4oc2od7oh4ow4kd3kh1kw1sd2pd1ph0pw0", conv.OpDeconv, "sd:"},
		{"mb1ic2ih5oc2oh5kh3ph1", conv.OpDeform, "op:"},
	} {
		p, err := conv.ParseDescriptor(c.desc, c.op)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		err = FFTSupports(&p)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("FFTSupports(%s) = %v, want an error starting %q", c.desc, err, c.want)
		}
		if _, err := ByFFT(&p, conv.Inputs[float64]{}); err == nil {
			t.Errorf("ByFFT(%s) returned no error", c.desc)
		}
	}
	p, _ := conv.ParseDescriptor("mb1ic2ih8oc2oh8kh3ph1", conv.OpConv)
	if err := FFTSupports(&p); err != nil {
		t.Errorf("FFTSupports(stride 1 conv) = %v", err)
	}
	if _, err := ByFFT(&p, conv.Inputs[float64]{X: make([]float64, 3)}); err == nil || !strings.HasPrefix(err.Error(), "x:") {
		t.Errorf("ByFFT with a short x: %v, want an error naming x", err)
	}
}

// TestSmooth: the transform sizes have only the factors 2, 3, 5 and are minimal.
func TestSmooth(t *testing.T) {
	want := map[int]int{1: 1, 7: 8, 11: 12, 13: 15, 17: 18, 31: 32, 49: 50, 97: 100}
	for n, w := range want {
		if got := smooth(n); got != w {
			t.Errorf("smooth(%d) = %d, want %d", n, got, w)
		}
	}
}

// TestByFFTMediumShapes: larger transforms (long 1D, dilated 2D, strided-free
// 3D deconv, grouped dynamic) still agree with the matrix within FFTBound;
// the log reports how much of the bound the FFT actually used.
func TestByFFTMediumShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		desc string
		op   conv.Op
	}{
		{"mb2ic3iw1000oc2ow1000kw7pw3dw2", conv.OpConv},
		{"mb1ic4ih32oc4oh32kh5ph4dh1", conv.OpConv},
		{"g2mb1ic4id10ih10iw10oc4od12oh12ow12kd3kh3kw3pd0ph0pw0", conv.OpDeconv},
		{"g2mb2ic4ih24oc6oh24kh3ph1", conv.OpDynamic},
	} {
		p := mustParse(t, c.desc, c.op)
		if p.Op == conv.OpDynamic {
			p.E, p.Routing, p.Temperature = 3, conv.RoutingSoftmax, 2
		}
		in := RandomFill(&p, rng)
		got, err := ByFFT(&p, in)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		exp, err := ByMatrix(&p, in)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		fb, _ := FFTBound(&p, in)
		v := conv.Compare(got, exp, matrixMag(&p, in), matrixBound(&p, fb.Abs), p.DstShape())
		if !v.OK() {
			t.Fatalf("%#v: %v", p, v)
		}
		t.Logf("%s: max |ByFFT − ByMatrix| = %.3g, FFTBound %.3g (%.3g of it)", p.Command(), v.MaxErr, fb.Abs, v.MaxErr/fb.Abs)
	}
}
