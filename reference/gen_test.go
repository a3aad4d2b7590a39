package reference

import (
	"github.com/convverify/convverify/conv"
	"pgregory.net/rapid"
)

// Generators of small random problems. Sizes stay tiny so that hundreds of
// rapid checks of the naive loops run in well under a second each, while every
// feature (rank 1–3, groups, stride, dilation, asymmetric and negative end
// padding) is drawn.

// genConv draws a valid forward convolution of rank 1–3.
func genConv(t *rapid.T) *conv.Problem {
	return genConvRank(t, rapid.IntRange(1, 3).Draw(t, "rank"))
}

// genConvRank draws a valid forward convolution of the given rank.
func genConvRank(t *rapid.T, rank int) *conv.Problem {
	p := conv.New(conv.OpConv, rank)
	drawChannels(t, &p)
	for _, a := range p.Axes() {
		n := "dhw"[a : a+1]
		p.I[a] = rapid.IntRange(1, 7).Draw(t, "i"+n)
		p.K[a] = rapid.IntRange(1, 3).Draw(t, "k"+n)
		p.S[a] = rapid.IntRange(1, 3).Draw(t, "s"+n)
		p.Dil[a] = rapid.IntRange(1, 3).Draw(t, "dil"+n)
		p.PBegin[a] = rapid.IntRange(0, 2).Draw(t, "pb"+n)
		// The output must keep at least one element: i + pb + pe ≥ ext(k).
		lo := max(p.ExtK(a)-p.I[a]-p.PBegin[a], -3)
		p.PEnd[a] = rapid.IntRange(lo, lo+5).Draw(t, "pe"+n)
	}
	mustResolve(t, &p)
	return &p
}

// genDeconv draws a valid transposed convolution of rank 1–3, including end
// padding below the begin padding (output padding) and negative end padding.
func genDeconv(t *rapid.T) *conv.Problem {
	rank := rapid.IntRange(1, 3).Draw(t, "rank")
	p := conv.New(conv.OpDeconv, rank)
	drawChannels(t, &p)
	for _, a := range p.Axes() {
		n := "dhw"[a : a+1]
		p.I[a] = rapid.IntRange(1, 5).Draw(t, "i"+n)
		p.K[a] = rapid.IntRange(1, 3).Draw(t, "k"+n)
		p.S[a] = rapid.IntRange(1, 3).Draw(t, "s"+n)
		p.Dil[a] = rapid.IntRange(1, 3).Draw(t, "dil"+n)
		p.PBegin[a] = rapid.IntRange(0, 2).Draw(t, "pb"+n)
		// The output must keep at least one element: s(i−1) + ext(k) − pb − pe ≥ 1.
		hi := min(p.S[a]*(p.I[a]-1)+p.ExtK(a)-p.PBegin[a]-1, 3)
		p.PEnd[a] = rapid.IntRange(hi-5, hi).Draw(t, "pe"+n)
	}
	mustResolve(t, &p)
	return &p
}

// genDeform draws a valid 2D deformable convolution (offset groups, optional mask).
func genDeform(t *rapid.T) *conv.Problem {
	p := genConvRank(t, 2)
	p.Op = conv.OpDeform
	p.DG = rapid.SampledFrom(divisors(p.IC)).Draw(t, "dg")
	p.Mask = rapid.Bool().Draw(t, "mask")
	mustResolve(t, p)
	return p
}

// genDynamic draws a dynamic convolution of rank 1–3 with 1–3 experts.
func genDynamic(t *rapid.T) *conv.Problem {
	p := genConv(t)
	p.Op = conv.OpDynamic
	p.E = rapid.IntRange(1, 3).Draw(t, "experts")
	if rapid.Bool().Draw(t, "softmax") {
		p.Routing = conv.RoutingSoftmax
		p.Temperature = rapid.SampledFrom([]float64{0.5, 1, 4, 30}).Draw(t, "temperature")
	}
	mustResolve(t, p)
	return p
}

func drawChannels(t *rapid.T, p *conv.Problem) {
	p.MB = rapid.IntRange(1, 2).Draw(t, "mb")
	p.G = rapid.IntRange(1, 3).Draw(t, "g")
	p.IC = p.G * rapid.IntRange(1, 3).Draw(t, "icg")
	p.OC = p.G * rapid.IntRange(1, 3).Draw(t, "ocg")
}

func mustResolve(t *rapid.T, p *conv.Problem) {
	if err := p.Resolve(); err != nil {
		t.Fatalf("generator drew an invalid problem %#v: %v", *p, err)
	}
}

func divisors(n int) []int {
	var d []int
	for i := 1; i <= n; i++ {
		if n%i == 0 {
			d = append(d, i)
		}
	}
	return d
}

// ints draws n integer-valued floats in [−lim, lim], with at least one non-zero
// so that no test runs on all zeros. Sums of products of such values stay far
// below 2⁵³, so float64 arithmetic on them is exact.
func ints(t *rapid.T, n, lim int, label string) []float64 {
	v := rapid.SliceOfN(rapid.IntRange(-lim, lim), n, n).Draw(t, label)
	s := make([]float64, n)
	nonzero := false
	for i, x := range v {
		s[i] = float64(x)
		nonzero = nonzero || x != 0
	}
	if n > 0 && !nonzero {
		s[rapid.IntRange(0, n-1).Draw(t, label+"_nz")] = 1
	}
	return s
}

// reals draws n floats in [−1, 1] (not integer-valued: rounding happens).
func reals(t *rapid.T, n int, label string) []float64 {
	return rapid.SliceOfN(rapid.Float64Range(-1, 1), n, n).Draw(t, label)
}

// inputsFor draws every input p needs, integer-valued, bias included.
// Offsets are real (deform samples between pixels), masks in [0, 1].
func inputsFor(t *rapid.T, p *conv.Problem) conv.Inputs[float64] {
	in := conv.Inputs[float64]{
		X: ints(t, conv.Elems(p.SrcShape()), 8, "x"),
		W: ints(t, conv.Elems(p.WeightShape()), 8, "w"),
	}
	if rapid.Bool().Draw(t, "bias") {
		in.B = ints(t, conv.Elems(p.BiasShape()), 8, "b")
	}
	switch p.Op {
	case conv.OpDeform:
		in.Offset = rapid.SliceOfN(rapid.Float64Range(-3, 3), conv.Elems(p.OffsetShape()), conv.Elems(p.OffsetShape())).Draw(t, "offset")
		if p.Mask {
			in.Mask = rapid.SliceOfN(rapid.Float64Range(0, 1), conv.Elems(p.MaskShape()), conv.Elems(p.MaskShape())).Draw(t, "mask")
		}
	case conv.OpDynamic:
		in.RouteW = reals(t, conv.Elems(p.RouteWShape()), "route_w")
		in.RouteB = reals(t, conv.Elems(p.RouteBShape()), "route_b")
	}
	return in
}
