package adversarial

import (
	"math"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/properties"
	"github.com/convverify/convverify/reference"
)

// fill draws float32 inputs at realistic scales, never zero: x, w, b and the
// routing layer N(0, 1); deform offsets N(0, 1.5) (a few pixels), with
// nearInteger a quarter of them an integer plus or minus less than 10⁻⁵
// (positions whose float32 rounding may cross an integer, changing the
// neighbours used) and an eighth exactly integer; masks U(0.05, 1).
func fill(p *conv.Problem, rng *rand.Rand, nearInteger bool) conv.Inputs[float32] {
	normal := func(n int, scale float64) []float32 {
		s := make([]float32, n)
		for i := range s {
			for s[i] == 0 {
				s[i] = float32(rng.NormFloat64() * scale)
			}
		}
		return s
	}
	in := conv.Inputs[float32]{
		X: normal(conv.Elems(p.SrcShape()), 1),
		W: normal(conv.Elems(p.WeightShape()), 1),
	}
	if rng.IntN(4) != 0 {
		in.B = normal(conv.Elems(p.BiasShape()), 1)
	}
	switch p.Op {
	case conv.OpDeform:
		in.Offset = normal(conv.Elems(p.OffsetShape()), 1.5)
		for i := range in.Offset {
			if !nearInteger {
				break
			}
			switch rng.IntN(8) {
			case 0, 1:
				in.Offset[i] = float32(math.Round(float64(in.Offset[i])) + (rng.Float64()*2-1)*1e-5)
			case 2:
				in.Offset[i] = float32(math.Round(float64(in.Offset[i])))
			}
		}
		if p.Mask {
			in.Mask = make([]float32, conv.Elems(p.MaskShape()))
			for i := range in.Mask {
				in.Mask[i] = float32(0.05 + 0.95*rng.Float64())
			}
		}
	case conv.OpDynamic:
		in.RouteW = normal(conv.Elems(p.RouteWShape()), 1)
		in.RouteB = normal(conv.Elems(p.RouteBShape()), 1)
	}
	return in
}

func widen(in conv.Inputs[float32]) conv.Inputs[float64] {
	w := func(s []float32) []float64 {
		if s == nil {
			return nil
		}
		return conv.ConvertSlice[float64](s)
	}
	return conv.Inputs[float64]{X: w(in.X), W: w(in.W), B: w(in.B), Offset: w(in.Offset), Mask: w(in.Mask), RouteW: w(in.RouteW), RouteB: w(in.RouteB)}
}

// drawCase draws a problem of op with rapid and float32 inputs for it (fill),
// and returns the reference output and the magnitudes the bound scales with.
func drawCase(t *rapid.T, op conv.Op, nearInteger bool) (p conv.Problem, in conv.Inputs[float32], exp, mag []float64) {
	p = properties.ProblemGen(op).Draw(t, "p")
	if op == conv.OpDynamic && p.Routing == conv.RoutingSoftmax && rapid.Bool().Draw(t, "hot") {
		p.Temperature = rapid.SampledFrom([]float64{0.25, 1, 30}).Draw(t, "T")
	}
	in = fill(&p, properties.RNG(t), nearInteger)
	in64 := widen(in)
	exp, err := reference.Forward(&p, in64, nil)
	if err != nil {
		t.Fatalf("%s: reference: %v", p.Command(), err)
	}
	return p, in, exp, reference.Magnitude(&p, in64)
}

var ops = []conv.Op{conv.OpConv, conv.OpDeconv, conv.OpDeform, conv.OpDynamic}

// Every evaluation this package knows stays within conv.DefaultBound of the
// reference, scaled by reference.Magnitude: the bound is sound for them all.
func TestBoundHoldsForEveryEvaluation(t *testing.T) {
	for _, op := range ops {
		t.Run(op.String(), func(t *testing.T) {
			worst, at := 0.0, ""
			rapid.Check(t, func(t *rapid.T) {
				p, in, exp, mag := drawCase(t, op, true)
				b := conv.DefaultBound(&p)
				for _, e := range Evals() {
					v := conv.Compare(e.Forward(&p, in), exp, mag, b, p.DstShape())
					if !v.OK() {
						t.Fatalf("%s under %v: %v", p.Command(), e, v)
					}
					if v.Ratio > worst {
						worst, at = v.Ratio, p.Command()+" under "+e.String()
					}
				}
			})
			t.Logf("largest |err|/bound: %.3g (%s)", worst, at)
		})
	}
}
