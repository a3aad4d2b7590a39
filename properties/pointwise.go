package properties

import (
	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// PropPointwiseIsMatmul: a 1×1 convolution (stride 1, no padding) is, at every
// pixel, the matrix–vector product y[:, pix] = W·x[:, pix] + b over channels
// with W the [OC, IC] weight; it mixes channels and never neighbours, and
// keeps the spatial size.
func PropPointwiseIsMatmul(t *rapid.T) {
	rank := rapid.IntRange(1, 3).Draw(t, "rank")
	var sp [3]int
	for a := range sp {
		sp[a] = 1
		if a >= 3-rank {
			sp[a] = rapid.IntRange(1, 7).Draw(t, "size")
		}
	}
	p := conv.Pointwise(rapid.IntRange(1, 2).Draw(t, "mb"), rapid.IntRange(1, 9).Draw(t, "ic"), rapid.IntRange(1, 9).Draw(t, "oc"), rank, sp)
	if err := p.Validate(); err != nil || !p.IsPointwise() || p.O != p.I {
		t.Fatalf("%#v: pointwise problem invalid (%v) or changes size", p, err)
	}
	p = rapid.Just(p).Draw(t, "p")
	in := fill(&p, RNG(t), true)
	got := refConv(&p, in.X, in.W, in.B, nil)
	n := conv.Spatial(sp)
	for b := 0; b < p.MB; b++ {
		for pix := 0; pix < n; pix++ {
			for m := 0; m < p.OC; m++ {
				want := in.B[m]
				for c := 0; c < p.IC; c++ {
					want += in.W[m*p.IC+c] * in.X[(b*p.IC+c)*n+pix]
				}
				if g := got[(b*p.OC+m)*n+pix]; g != want {
					t.Fatalf("sample %d pixel %d channel %d: conv %v, W·x+b %v", b, pix, m, g, want)
				}
			}
		}
	}
}

// separableOf returns a dense (G = 1) conv drawn by ProblemGen and its
// depthwise separable counterpart.
func separableOf(t *rapid.T) (conv.Problem, conv.Separable) {
	d := ProblemGen(conv.OpConv).Draw(t, "p")
	d.G = 1
	s, err := conv.NewSeparable(d)
	if err != nil {
		t.Fatalf("%#v: %v", d, err)
	}
	return d, s
}

// PropSeparableCost: with M input channels, N output channels and K² taps,
// the depthwise half costs M·K² and the pointwise half M·N per output pixel,
// so separable / dense = (M·K² + M·N) / (M·N·K²) = 1/N + 1/K² exactly, for
// the weights (no bias) and for the MACs the reference actually counts.
func PropSeparableCost(t *rapid.T) {
	d, s := separableOf(t)
	rng := RNG(t)
	x := ints(rng, conv.Elems(d.SrcShape()), 3)
	var cd, cs reference.Counter
	refConv(&d, x, ints(rng, conv.Elems(d.WeightShape()), 3), nil, &cd)
	reference.Separable(s, x, ints(rng, conv.Elems(s.Depthwise.WeightShape()), 3), nil,
		ints(rng, conv.Elems(s.Pointwise.WeightShape()), 3), nil, &cs)
	n, k2 := int64(d.OC), int64(d.Taps())
	// sep/dense = 1/N + 1/K²  ⇔  sep·N·K² = dense·(K² + N), in integers.
	if cs.Taps*n*k2 != cd.Taps*(k2+n) {
		t.Fatalf("counted MACs: separable %d, dense %d; ratio %.6g, 1/N + 1/K² = %.6g",
			cs.Taps, cd.Taps, float64(cs.Taps)/float64(cd.Taps), 1/float64(n)+1/float64(k2))
	}
	ps := int64(s.Depthwise.Params(false) + s.Pointwise.Params(false))
	if ps*n*k2 != int64(d.Params(false))*(k2+n) {
		t.Fatalf("params: separable %d, dense %d; ratio %.6g, 1/N + 1/K² = %.6g",
			ps, d.Params(false), float64(ps)/float64(d.Params(false)), 1/float64(n)+1/float64(k2))
	}
}

// PropSeparableIsFactoredConv: a depthwise separable conv is the dense conv
// whose kernel factors as W[n, m, k] = pw[n, m]·dw[m, k]: it can only express
// kernels whose every input channel's slice is one spatial filter scaled per
// output, which is what the parameter saving buys.
func PropSeparableIsFactoredConv(t *rapid.T) {
	d, s := separableOf(t)
	rng := RNG(t)
	x := ints(rng, conv.Elems(d.SrcShape()), 3)
	dw := ints(rng, conv.Elems(s.Depthwise.WeightShape()), 3)
	pw := ints(rng, conv.Elems(s.Pointwise.WeightShape()), 3)
	taps := d.Taps()
	w := make([]float64, conv.Elems(d.WeightShape()))
	for n := 0; n < d.OC; n++ {
		for m := 0; m < d.IC; m++ {
			for k := 0; k < taps; k++ {
				w[(n*d.IC+m)*taps+k] = pw[n*d.IC+m] * dw[m*taps+k]
			}
		}
	}
	equalExact(t, "dense conv with factored kernel", d.DstShape(),
		refConv(&d, x, w, nil, nil), reference.Separable(s, x, dw, nil, pw, nil, nil))
}
