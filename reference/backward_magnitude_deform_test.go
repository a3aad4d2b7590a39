package reference

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// realInputs draws real (non-integer) inputs for p: rounding happens, and
// nothing is zero.
func realInputs(t *rapid.T, p *conv.Problem) (conv.Inputs[float64], []float64) {
	in := inputsFor(t, p)
	in.X = reals(t, len(in.X), "xr")
	in.W = reals(t, len(in.W), "wr")
	if in.B != nil {
		in.B = reals(t, len(in.B), "br")
	}
	return in, reals(t, conv.Elems(p.DstShape()), "dy")
}

// checkMagnitudeCovers checks that GradMagnitude has one finite element per
// gradient element, each at least the reference gradient's absolute value
// (S ≥ |Σ terms|, and T ≥ 0), and returns both.
func checkMagnitudeCovers(t *rapid.T, p *conv.Problem, in conv.Inputs[float64], dy []float64) (Grads, Grads) {
	g, err := Backward(p, in, dy)
	if err != nil {
		t.Fatal(err)
	}
	mag, err := GradMagnitude(p, in, dy)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dx", "dw", "db", "doffset", "dmask", "droute_w", "droute_b"} {
		got, m := *g.Field(name), *mag.Field(name)
		if len(got) != len(m) {
			t.Fatalf("%s: magnitude has %d elements, gradient %d", name, len(m), len(got))
		}
		for i := range got {
			if !(math.Abs(got[i]) <= m[i]*(1+1e-12)+1e-300) || math.IsInf(m[i], 0) { // float64 rounding of both sides
				t.Fatalf("%s[%d]: |g| = %v, magnitude %v", name, i, math.Abs(got[i]), m[i])
			}
		}
	}
	return g, mag
}

func drawBackwardDir(t *rapid.T, p *conv.Problem) {
	p.Dir = rapid.SampledFrom([]conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB}).Draw(t, "dir")
}

func TestDeformGradMagnitudeCoversGradient(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDeform(t)
		drawBackwardDir(t, p)
		in, dy := realInputs(t, p)
		checkMagnitudeCovers(t, p, in, dy)
	})
}

// The magnitude is Σ|term| plus a term error of a few u per term: with
// integer offsets (samples on pixels), γ_N times dw's excess over the
// gradient on |x|, |mask|, |dy| stays within 64·u·(2 + H + W)·max|x|·Σ|dy|
// (mask ≤ 1; the slack is u·|position| times a local difference,
// plus γ₈·max|x|). A magnitude that forgot the 1/γ_N of gradTermMag, or
// counted a term's error N times, would be far above it.
func TestDeformGradMagnitudeIsNearSumOfTerms(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDeform(t)
		p.Dir = conv.DirBwdW
		in, dy := realInputs(t, p)
		for i := range in.Offset {
			in.Offset[i] = math.Round(in.Offset[i])
		}
		abs := conv.Inputs[float64]{X: conv.Abs(in.X), Offset: in.Offset, Mask: conv.Abs(in.Mask)}
		s, err := Backward(p, abs, conv.Abs(dy))
		if err != nil {
			t.Fatal(err)
		}
		mag, err := GradMagnitude(p, in, dy)
		if err != nil {
			t.Fatal(err)
		}
		var xmax, dsum float64
		for _, v := range in.X {
			xmax = math.Max(xmax, math.Abs(v))
		}
		for _, v := range dy {
			dsum += math.Abs(v)
		}
		g := conv.Gamma(DeformGradLength(p, "dw"))
		lim := 64 * conv.U32 * float64(2+p.I[conv.H]+p.I[conv.W]) * xmax * dsum
		for i := range s.DW {
			if !(mag.DW[i] >= s.DW[i]*(1-1e-12)-1e-300) || g*(mag.DW[i]-s.DW[i]) > lim {
				t.Fatalf("dw[%d]: magnitude %v, Σ|term| %v: γ_N·excess %.3g > %.3g", i, mag.DW[i], s.DW[i], g*(mag.DW[i]-s.DW[i]), lim)
			}
		}
	})
}

func TestGradMagnitudeErrorsNameTheTensor(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom([]func(*rapid.T) *conv.Problem{genDeform, genDynamic}).Draw(t, "op")(t)
		drawBackwardDir(t, p)
		in, dy := realInputs(t, p)
		if _, err := GradMagnitude(p, in, dy[1:]); err == nil || !strings.Contains(err.Error(), "dy") {
			t.Fatalf("short dy: error %v, want one naming dy", err)
		}
		if _, err := GradMagnitude(p, conv.Inputs[float64]{X: in.X[1:], W: in.W, B: in.B, Offset: in.Offset, Mask: in.Mask, RouteW: in.RouteW, RouteB: in.RouteB}, dy); err == nil || !strings.Contains(err.Error(), "x:") {
			t.Fatalf("short x: error %v, want one naming x", err)
		}
	})
}
