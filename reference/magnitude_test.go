package reference

import (
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
	"pgregory.net/rapid"
)

func genAny(t *rapid.T) *conv.Problem {
	return rapid.SampledFrom([]func(*rapid.T) *conv.Problem{genConv, genDeconv, genDeform, genDynamic}).Draw(t, "op")(t)
}

// |Σ terms| ≤ Σ |terms|, and rounding is monotonic, so the computed magnitude
// bounds the computed output's absolute value element by element even in
// floating point. Real (non-integer) data exercises the rounding.
func TestMagnitudeBoundsForward(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genAny(t)
		in := inputsFor(t, p)
		in.X = reals(t, len(in.X), "xr")
		in.W = reals(t, len(in.W), "wr")
		if in.Mask != nil {
			in.Mask = reals(t, len(in.Mask), "maskr") // the format does not forbid negative masks
		}
		y, err := Forward(p, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		mag := Magnitude(p, in)
		if len(mag) != len(y) {
			t.Fatalf("magnitude has %d elements, output %d", len(mag), len(y))
		}
		for i := range y {
			if !(abs(y[i]) <= mag[i]) {
				t.Fatalf("%#v: |y%s| = %v > magnitude %v", *p, conv.MultiIndex(p.DstShape(), i), abs(y[i]), mag[i])
			}
		}
	})
}

// On non-negative inputs nothing cancels, so Σ|term| is the output itself.
func TestMagnitudeOfNonNegativeInputsIsForward(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genAny(t)
		in := inputsFor(t, p)
		in.X, in.W, in.B, in.Mask = conv.Abs(in.X), conv.Abs(in.W), conv.Abs(in.B), conv.Abs(in.Mask)
		y, err := Forward(p, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if mag := SumMagnitude(p, in); !slices.Equal(mag, y) {
			t.Fatalf("%#v\nmagnitude %v\nforward   %v", *p, mag, y)
		}
	})
}

// The dynamic magnitude must use Σₑ α|wₑ|, not |Σₑ α wₑ|: two experts that
// cancel exactly still have a large magnitude.
func TestDynamicMagnitudeKeepsExpertCancellation(t *testing.T) {
	p := conv.New(conv.OpDynamic, 1)
	p.E, p.Routing = 2, conv.RoutingSoftmax
	if err := p.Resolve(); err != nil {
		t.Fatal(err)
	}
	in := conv.Inputs[float64]{X: []float64{2}, W: []float64{3, -3}, RouteW: []float64{0, 0}, RouteB: []float64{0, 0}}
	y, err := Forward(&p, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	mag := SumMagnitude(&p, in)
	// α = [½ ½]: y = 2·(½·3 − ½·3) = 0, magnitude 2·(½·3 + ½·3) = 6.
	if y[0] != 0 || mag[0] != 6 {
		t.Errorf("y = %v, magnitude = %v; want 0 and 6", y, mag)
	}
}

// The dynamic magnitude routes with the real x: on |x| the routing would differ.
func TestDynamicMagnitudeRoutesOnRealX(t *testing.T) {
	p := conv.New(conv.OpDynamic, 1)
	p.E = 2
	p.I[conv.W] = 2
	if err := p.Resolve(); err != nil {
		t.Fatal(err)
	}
	// GAP(x) = 0 for x = [1 −1] (α = [½ ½]) but GAP(|x|) = 1 (α = [σ(10), σ(−10)]).
	in := conv.Inputs[float64]{X: []float64{1, -1}, W: []float64{4, 8}, RouteW: []float64{10, -10}, RouteB: []float64{0, 0}}
	mag := SumMagnitude(&p, in)
	want := []float64{6, 6} // |x|·(½·4 + ½·8)
	if !slices.Equal(mag, want) {
		t.Errorf("magnitude %v, want %v", mag, want)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// Magnitude is Σ|term| for conv and deconv, whose terms are exact products
// of inputs, and adds a positive float32 term error for deform and dynamic
// wherever a term is nonzero: every sample and every routed weight is
// computed in float32 before the sum (docs/bounds.md).
func TestMagnitudeAddsTermErrorForDeformAndDynamic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genAny(t)
		in := inputsFor(t, p)
		in.B = nil // with a bias, Σ|term| > 0 even where every product is 0
		sum, mag := SumMagnitude(p, in), Magnitude(p, in)
		for i := range sum {
			switch {
			case p.Op == conv.OpConv || p.Op == conv.OpDeconv:
				if mag[i] != sum[i] {
					t.Fatalf("%s: magnitude %v ≠ Σ|term| %v at %d", p.Command(), mag[i], sum[i], i)
				}
			case sum[i] > 0 && !(mag[i] > sum[i]):
				t.Fatalf("%s: magnitude %v adds nothing to Σ|term| %v at %d", p.Command(), mag[i], sum[i], i)
			case !(mag[i] >= sum[i]):
				t.Fatalf("%s: magnitude %v < Σ|term| %v at %d", p.Command(), mag[i], sum[i], i)
			}
		}
	})
}
