package reference

import (
	"math"
	"slices"
	"testing"

	"github.com/convverify/convverify/conv"
	"pgregory.net/rapid"
)

// One expert with softmax routing has α = 1 exactly whatever the routing
// layer says, so the dynamic convolution is the plain convolution bit for bit.
func TestDynamicOneExpertSoftmaxIsConv(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDynamic(t)
		p.E, p.Routing, p.Temperature = 1, conv.RoutingSoftmax, 1
		in := inputsFor(t, p)
		if rapid.Bool().Draw(t, "zero route_w") {
			in.RouteW = make([]float64, len(in.RouteW))
		}
		var cd, cc Counter
		got, err := Forward(p, in, &cd)
		if err != nil {
			t.Fatal(err)
		}
		pc := *p
		pc.Op = conv.OpConv
		want := Conv(&pc, in.X, in.W, in.B, &cc)
		if !slices.Equal(got, want) {
			t.Fatalf("dynamic E=1\n got %v\nconv %v", got, want)
		}
		if cd != cc {
			t.Fatalf("dynamic counted %+v, conv %+v", cd, cc)
		}
	})
}

// The output is linear in the expert kernels: y[n] = Σₑ α[n,e]·Conv(x[n], w[e]) + Σₑ α[n,e]·b[e].
// α is irrational, so this holds to rounding: within 1e-12 of the magnitude.
func TestDynamicIsAlphaWeightedSumOfExpertConvs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genDynamic(t)
		in := inputsFor(t, p)
		got := Dynamic(p, in.X, in.W, in.B, in.RouteW, in.RouteB, nil)
		mag := Magnitude(p, in)
		alpha := Alphas(p, in.X, in.RouteW, in.RouteB)

		one := *p
		one.Op, one.MB = conv.OpConv, 1
		xn, yn := conv.Elems(one.SrcShape()), conv.Elems(one.DstShape())
		wn := conv.Elems(one.WeightShape())
		osp := conv.Spatial(p.O)
		for n := 0; n < p.MB; n++ {
			want := make([]float64, yn)
			for e := 0; e < p.E; e++ {
				a := alpha[n*p.E+e]
				for k, v := range Conv(&one, in.X[n*xn:(n+1)*xn], in.W[e*wn:(e+1)*wn], nil, nil) {
					want[k] += a * v
					if in.B != nil {
						want[k] += a * in.B[e*p.OC+k/osp]
					}
				}
			}
			for k := range want {
				if d := math.Abs(got[n*yn+k] - want[k]); d > 1e-12*(mag[n*yn+k]+1) {
					t.Fatalf("y[%d] flat %d: dynamic %v, Σ α·conv %v", n, k, got[n*yn+k], want[k])
				}
			}
		}
	})
}

// Alphas by hand: x constant per channel makes GAP(x) that constant.
// x = [1, 3] (ic 2, one pixel after GAP of a 2×2 plane each), routeW = [[1 0] [0 1] [1 1]],
// routeB = [0 −3 −4] gives r = [1 0 0] → sigmoid [σ(1) ½ ½], softmax(r/2) ∝ [e^½ 1 1].
func TestAlphasByHand(t *testing.T) {
	p := conv.New(conv.OpDynamic, 2)
	p.IC, p.E = 2, 3
	p.I[conv.H], p.I[conv.W] = 2, 2
	if err := p.Resolve(); err != nil {
		t.Fatal(err)
	}
	x := []float64{1, 1, 1, 1, 3, 3, 3, 3}
	rw := []float64{1, 0, 0, 1, 1, 1}
	rb := []float64{0, -3, -4}
	got := Alphas(&p, x, rw, rb)
	want := []float64{1 / (1 + math.Exp(-1)), 0.5, 0.5}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("sigmoid α = %v, want %v", got, want)
			break
		}
	}
	p.Routing, p.Temperature = conv.RoutingSoftmax, 2
	got = Alphas(&p, x, rw, rb)
	s := math.Exp(0.5) + 2
	want = []float64{math.Exp(0.5) / s, 1 / s, 1 / s}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("softmax α = %v, want %v", got, want)
			break
		}
	}
}

// MixKernel by hand: two experts of a 1×1 kernel with 2 output channels.
func TestMixKernelByHand(t *testing.T) {
	p := conv.New(conv.OpDynamic, 1)
	p.OC, p.E = 2, 2
	if err := p.Resolve(); err != nil {
		t.Fatal(err)
	}
	wn, bn := MixKernel(&p, []float64{1, 2, 10, 20}, []float64{3, 4, 30, 40}, []float64{0.5, 0.25})
	if !slices.Equal(wn, []float64{3, 6}) || !slices.Equal(bn, []float64{9, 12}) {
		t.Errorf("MixKernel = %v, %v; want [3 6], [9 12]", wn, bn)
	}
	if _, bn := MixKernel(&p, []float64{1, 2, 10, 20}, nil, []float64{0.5, 0.25}); bn != nil {
		t.Errorf("nil bias mixed into %v", bn)
	}
}
