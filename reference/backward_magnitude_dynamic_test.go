package reference

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

func TestDynamicGradMagnitudeCoversGradient(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDynamic(t)
		drawBackwardDir(t, p)
		in, dy := realInputs(t, p)
		checkMagnitudeCovers(t, p, in, dy)
	})
}

// dynamicBackward32 is a float32 dynamic backward as an autograd framework
// computes it: the routing (GAP, logits, sigmoid 1/(1 + e⁻ʳ) or softmax of
// r/T less its maximum, exp within its rounding), the mixed kernel, dα, dr
// and the route gradients all in float32, operation by operation. The conv
// pieces (dWn, dBn, the data gradient) are float64 sums rounded once, the
// most accurate a float32 kernel can be: their own summation bound is the
// conv's; this checks the routing and mixing terms GradMagnitude adds.
func dynamicBackward32(p *conv.Problem, x, w, b, routeW, routeB, dy []float32) (g conv.Grads[float32]) {
	one := *p
	one.Op, one.MB, one.E = conv.OpConv, 1, 1
	xn, yn := conv.Elems(one.SrcShape()), conv.Elems(one.DstShape())
	wsize := p.OC * p.ICG() * p.Taps()
	sp := conv.Spatial(p.I)
	g.DX = make([]float32, len(x))
	g.DW, g.DB = make([]float32, len(w)), make([]float32, p.E*p.OC)
	g.DRouteW, g.DRouteB = make([]float32, p.E*p.IC), make([]float32, p.E)
	exp32 := func(v float32) float32 { return float32(math.Exp(float64(v))) }
	for n := 0; n < p.MB; n++ {
		xs, dys := x[n*xn:(n+1)*xn], dy[n*yn:(n+1)*yn]
		gap := make([]float32, p.IC)
		for c := range gap {
			var s float32
			for _, v := range xs[c*sp : (c+1)*sp] {
				s += v
			}
			gap[c] = s / float32(sp)
		}
		r, alpha := make([]float32, p.E), make([]float32, p.E)
		for e := range r {
			r[e] = routeB[e]
			for c := 0; c < p.IC; c++ {
				r[e] += routeW[e*p.IC+c] * gap[c]
			}
		}
		t := float32(p.Temperature)
		if p.Routing == conv.RoutingSoftmax {
			m := float32(math.Inf(-1))
			for _, v := range r {
				m = max(m, v/t)
			}
			var z float32
			for e, v := range r {
				alpha[e] = exp32(v/t - m)
				z += alpha[e]
			}
			for e := range alpha {
				alpha[e] /= z
			}
		} else {
			for e, v := range r {
				alpha[e] = 1 / (1 + exp32(-v))
			}
		}
		wn := make([]float32, wsize)
		for e := 0; e < p.E; e++ {
			for i := range wn {
				wn[i] += alpha[e] * w[e*wsize+i]
			}
		}
		x64, dy64 := conv.ConvertSlice[float64](xs), conv.ConvertSlice[float64](dys)
		dW := conv.ConvertSlice[float32](ConvBackwardWeights(&one, x64, dy64))
		dB := conv.ConvertSlice[float32](BiasGrad(&one, dy64))
		dx := conv.ConvertSlice[float32](ConvBackwardData(&one, dy64, conv.ConvertSlice[float64](wn)))
		da := make([]float32, p.E)
		for e := 0; e < p.E; e++ {
			for i, v := range dW {
				g.DW[e*wsize+i] += alpha[e] * v
				da[e] += v * w[e*wsize+i]
			}
			for m, v := range dB {
				g.DB[e*p.OC+m] += alpha[e] * v
				if b != nil {
					da[e] += v * b[e*p.OC+m]
				}
			}
		}
		dr := make([]float32, p.E)
		if p.Routing == conv.RoutingSoftmax {
			var s float32
			for e := range alpha {
				s += alpha[e] * da[e]
			}
			for e := range dr {
				dr[e] = alpha[e] * (da[e] - s) / t
			}
		} else {
			for e := range dr {
				dr[e] = da[e] * (alpha[e] * (1 - alpha[e]))
			}
		}
		for e := 0; e < p.E; e++ {
			g.DRouteB[e] += dr[e]
			for c := 0; c < p.IC; c++ {
				g.DRouteW[e*p.IC+c] += dr[e] * gap[c]
			}
		}
		for c := 0; c < p.IC; c++ {
			var dgap float32
			for e := 0; e < p.E; e++ {
				dgap += dr[e] * routeW[e*p.IC+c]
			}
			for i := c * sp; i < (c+1)*sp; i++ {
				g.DX[n*xn+i] = dx[i] + dgap/float32(sp)
			}
		}
	}
	return g
}

// A float32 dynamic backward (dynamicBackward32: float32 routing, mixing,
// dα, dr and route gradients) is within γ_N·GradMagnitude of the reference
// for every gradient, N = DynamicGradLength.
func TestDynamicGradMagnitudeCoversFloat32Routing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDynamic(t)
		drawBackwardDir(t, p)
		in, dy := realInputs(t, p)
		in.RouteW = reals32(t, len(in.RouteW), 2, "route_w32")
		in.RouteB = reals32(t, len(in.RouteB), 2, "route_b32")
		in = conv.ConvertInputs[float64](conv.ConvertInputs[float32](in))
		dy = conv.ConvertSlice[float64](conv.ConvertSlice[float32](dy))
		exp, err := Backward(p, in, dy)
		if err != nil {
			t.Fatal(err)
		}
		mag, err := GradMagnitude(p, in, dy)
		if err != nil {
			t.Fatal(err)
		}
		f := conv.ConvertInputs[float32](in)
		got := dynamicBackward32(p, f.X, f.W, f.B, f.RouteW, f.RouteB, conv.ConvertSlice[float32](dy))
		for _, name := range []string{"dx", "dw", "db", "droute_w", "droute_b"} {
			e, m := *exp.Field(name), *mag.Field(name)
			if e == nil {
				continue
			}
			shape, _ := p.TensorShape(name)
			b := conv.Bound{C: 1, N: DynamicGradLength(p, name), Abs: 1e-30}
			if vd := conv.Compare(*got.Field(name), e, m, b, shape); !vd.OK() {
				t.Fatalf("%s %s: %v", p.Command(), name, vd)
			}
		}
	})
}
