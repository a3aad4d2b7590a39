package properties

import (
	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// channels returns channels [c0, c1) of an [MB, ch, sp…] tensor.
func channels(v []float64, mb, ch int, sp [3]int, c0, c1 int) []float64 {
	n := conv.Spatial(sp)
	out := make([]float64, 0, mb*(c1-c0)*n)
	for i := 0; i < mb; i++ {
		out = append(out, v[(i*ch+c0)*n:(i*ch+c1)*n]...)
	}
	return out
}

// putChannels writes src ([MB, c1−c0, sp…]) into channels [c0, c1) of dst.
func putChannels(dst, src []float64, mb, ch int, sp [3]int, c0, c1 int) {
	n := conv.Spatial(sp)
	for i := 0; i < mb; i++ {
		copy(dst[(i*ch+c0)*n:(i*ch+c1)*n], src[i*(c1-c0)*n:(i+1)*(c1-c0)*n])
	}
}

func equalExact(t *rapid.T, what string, shape []int, got, want []float64) {
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s differs at %s: got %v, want %v", what, conv.MultiIndex(shape, i), got[i], want[i])
		}
	}
}

// PropGroupedCost: splitting IC and OC into G groups divides the weights and
// the work by G exactly: Params(dense) = G·Params(grouped) and the reference's
// counted MACs (dense taps and in-bounds taps alike) satisfy the same.
func PropGroupedCost(t *rapid.T) {
	p := ProblemGen(conv.OpConv, conv.OpDeconv).Draw(t, "p")
	rng := RNG(t)
	d := p
	d.G = 1
	in := fill(&p, rng, true)
	var cg, cd reference.Counter
	run := func(q *conv.Problem, c *reference.Counter) {
		w := ints(rng, conv.Elems(q.WeightShape()), 2)
		if _, err := reference.Forward(q, conv.Inputs[float64]{X: in.X, W: w}, c); err != nil {
			t.Fatalf("%v", err)
		}
	}
	run(&p, &cg)
	run(&d, &cd)
	g := int64(p.G)
	if int64(p.Params(false))*g != int64(d.Params(false)) {
		t.Fatalf("params: grouped %d × G=%d ≠ dense %d", p.Params(false), g, d.Params(false))
	}
	if cg.Taps*g != cd.Taps || cg.MACs*g != cd.MACs {
		t.Fatalf("counted work: grouped %+v × G=%d ≠ dense %+v", cg, g, cd)
	}
	if cg.Taps != p.MACs() || cd.Taps != d.MACs() {
		t.Fatalf("counted taps %d, %d disagree with MACs() %d, %d", cg.Taps, cd.Taps, p.MACs(), d.MACs())
	}
}

// PropGroupedIsConcat: a grouped conv (or deconv) is G independent ungrouped
// ones, group g reading input channels [g·IC/G, (g+1)·IC/G) and writing output
// channels [g·OC/G, (g+1)·OC/G), with its slice of the weights; the outputs
// concatenated along channels are the grouped output.
func PropGroupedIsConcat(t *rapid.T) {
	p := ProblemGen(conv.OpConv, conv.OpDeconv).Draw(t, "p")
	in := fill(&p, RNG(t), true)
	want, err := reference.Forward(&p, conv.Inputs[float64]{X: in.X, W: in.W, B: in.B}, nil)
	if err != nil {
		t.Fatalf("%v", err)
	}
	s := p
	s.G, s.IC, s.OC = 1, p.ICG(), p.OCG()
	got := make([]float64, len(want))
	wPer := conv.Elems(s.WeightShape())
	for g := 0; g < p.G; g++ {
		x := channels(in.X, p.MB, p.IC, p.I, g*s.IC, (g+1)*s.IC)
		// Conv weights [OC, IC/G, K…] and deconv weights [IC, OC/G, K…] both
		// keep one group's rows contiguous.
		w := in.W[g*wPer : (g+1)*wPer]
		b := in.B[g*s.OC : (g+1)*s.OC]
		y, err := reference.Forward(&s, conv.Inputs[float64]{X: x, W: w, B: b}, nil)
		if err != nil {
			t.Fatalf("group %d: %v", g, err)
		}
		putChannels(got, y, p.MB, p.OC, p.O, g*s.OC, (g+1)*s.OC)
	}
	equalExact(t, "concatenated groups", p.DstShape(), got, want)
}

// PropGroupedIsBlockDiagonal: a grouped conv is the dense conv whose weight
// [OC, IC, K…] is block-diagonal, W[m, c] = w[m, c − g·IC/G] when input
// channel c belongs to output channel m's group g, and 0 otherwise: the
// "sparse operation" of section 11, made exact.
func PropGroupedIsBlockDiagonal(t *rapid.T) {
	p := ProblemGen(conv.OpConv).Draw(t, "p")
	in := fill(&p, RNG(t), true)
	want := refConv(&p, in.X, in.W, in.B, nil)
	d := p
	d.G = 1
	taps, icg, ocg := p.Taps(), p.ICG(), p.OCG()
	wd := make([]float64, conv.Elems(d.WeightShape()))
	zeros := 0
	for m := 0; m < p.OC; m++ {
		g := m / ocg
		for c := 0; c < icg; c++ {
			copy(wd[(m*p.IC+g*icg+c)*taps:(m*p.IC+g*icg+c+1)*taps], in.W[(m*icg+c)*taps:(m*icg+c+1)*taps])
		}
	}
	for _, v := range wd {
		if v == 0 {
			zeros++
		}
	}
	if off := len(wd) - len(in.W); zeros < off {
		t.Fatalf("block-diagonal kernel has %d zeros, fewer than the %d off-diagonal entries", zeros, off)
	}
	equalExact(t, "dense conv with block-diagonal kernel", p.DstShape(), refConv(&d, in.X, wd, in.B, nil), want)
}

// PropDepthwise: with G = IC = OC every output channel c is the single-channel
// convolution of input channel c with its own kernel w[c, 0]; no channel mixes.
func PropDepthwise(t *rapid.T) {
	p := ProblemGen(conv.OpConv).Draw(t, "p")
	c := rapid.IntRange(2, 6).Draw(t, "channels")
	p.G, p.IC, p.OC = c, c, c
	if err := p.Validate(); err != nil {
		t.Fatalf("%v", err)
	}
	p = rapid.Just(p).Draw(t, "p")
	if !p.IsDepthwise() {
		t.Fatalf("%#v: G = IC = OC is not reported depthwise", p)
	}
	in := fill(&p, RNG(t), true)
	want := refConv(&p, in.X, in.W, in.B, nil)
	one := p
	one.G, one.IC, one.OC = 1, 1, 1
	got := make([]float64, len(want))
	taps := p.Taps()
	for ch := 0; ch < c; ch++ {
		y := refConv(&one, channels(in.X, p.MB, c, p.I, ch, ch+1), in.W[ch*taps:(ch+1)*taps], in.B[ch:ch+1], nil)
		putChannels(got, y, p.MB, c, p.O, ch, ch+1)
	}
	equalExact(t, "per-channel convs", p.DstShape(), got, want)
	if p.Params(false) != c*taps {
		t.Fatalf("depthwise params %d, want C·K² = %d", p.Params(false), c*taps)
	}
}
