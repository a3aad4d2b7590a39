package properties

import (
	"math"
	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// routing computes, independently of the reference's dynamic code, the
// routing weights of sample n: α = sigmoid(r) or softmax(r/T) with
// r = RouteW·GAP(x[n]) + RouteB.
func routing(p *conv.Problem, in conv.Inputs[float64], n int) []float64 {
	sp := conv.Spatial(p.I)
	r := append([]float64(nil), in.RouteB...)
	for c := 0; c < p.IC; c++ {
		var s float64
		for _, v := range in.X[(n*p.IC+c)*sp : (n*p.IC+c+1)*sp] {
			s += v
		}
		for e := 0; e < p.E; e++ {
			r[e] += in.RouteW[e*p.IC+c] * s / float64(sp)
		}
	}
	if p.Routing == conv.RoutingSoftmax {
		return conv.SoftmaxT(r, p.Temperature)
	}
	for e := range r {
		r[e] = conv.Sigmoid(r[e])
	}
	return r
}

// PropDynamicMixedKernel: a dynamic conv is, sample by sample, the standard
// conv with the kernel Σₑ αₑ·wₑ and bias Σₑ αₑ·bₑ, α routed from that sample.
func PropDynamicMixedKernel(t *rapid.T) {
	p := ProblemGen(conv.OpDynamic).Draw(t, "p")
	in := fill(&p, RNG(t), false)
	got, err := reference.Forward(&p, in, nil)
	if err != nil {
		t.Fatalf("%v", err)
	}
	one := p
	one.Op, one.MB = conv.OpConv, 1
	size, xn, yn := p.OC*p.ICG()*p.Taps(), conv.Elems(one.SrcShape()), conv.Elems(one.DstShape())
	for n := 0; n < p.MB; n++ {
		alpha := routing(&p, in, n)
		// wAbs = Σₑ αₑ·|wₑ| (α > 0), not |Σₑ αₑ·wₑ|: the mixing's rounding scales
		// with the experts' own sizes, which cancel in the mixed kernel.
		w, b := make([]float64, size), make([]float64, p.OC)
		wAbs, bAbs := make([]float64, size), make([]float64, p.OC)
		for e, a := range alpha {
			for i := range w {
				w[i] += a * in.W[e*size+i]
				wAbs[i] += a * math.Abs(in.W[e*size+i])
			}
			for i := range b {
				b[i] += a * in.B[e*p.OC+i]
				bAbs[i] += a * math.Abs(in.B[e*p.OC+i])
			}
		}
		want := refConv(&one, in.X[n*xn:(n+1)*xn], w, b, nil)
		mag := reference.Magnitude(&one, conv.Inputs[float64]{X: in.X[n*xn : (n+1)*xn], W: wAbs, B: bAbs})
		for i := range want {
			if d := got[n*yn+i] - want[i]; d > tol64(p.AccumLength()*p.E*4, mag[i]*float64(p.E)) || -d > tol64(p.AccumLength()*p.E*4, mag[i]*float64(p.E)) {
				t.Fatalf("sample %d at %d: dynamic %v, conv with mixed kernel %v", n, i, got[n*yn+i], want[i])
			}
		}
	}
}

// PropDynamicOneExpert: with one expert and softmax routing α = 1 exactly,
// so a dynamic conv is the standard conv with that expert's kernel, bit for bit.
func PropDynamicOneExpert(t *rapid.T) {
	p := ProblemGen(conv.OpDynamic).Draw(t, "p")
	p.E, p.Routing, p.Temperature = 1, conv.RoutingSoftmax, 1
	in := fill(&p, RNG(t), true)
	got, err := reference.Forward(&p, in, nil)
	if err != nil {
		t.Fatalf("%v", err)
	}
	c := p
	c.Op = conv.OpConv
	equalExact(t, "one-expert dynamic vs conv", p.DstShape(), got, refConv(&c, in.X, in.W, in.B, nil))
}
