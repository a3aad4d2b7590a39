package properties

import (
	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// shift returns x moved by delta along each spatial axis (x'[i] = x[i − δ]),
// with zeros shifted in.
func shift(x []float64, mb, ch int, sp [3]int, delta [3]int) []float64 {
	out := make([]float64, len(x))
	for n := 0; n < mb; n++ {
		for c := 0; c < ch; c++ {
			each3(sp, func(d, h, w int) {
				s := [3]int{d - delta[0], h - delta[1], w - delta[2]}
				for a := 0; a < 3; a++ {
					if s[a] < 0 || s[a] >= sp[a] {
						return
					}
				}
				out[at(ch, sp, n, c, d, h, w)] = x[at(ch, sp, n, c, s[0], s[1], s[2])]
			})
		}
	}
	return out
}

// readsInside reports whether output position o of axis a reads only input
// positions in [lo, hi).
func readsInside(p *conv.Problem, a, o, lo, hi int) bool {
	first := o*p.S[a] - p.PBegin[a]
	last := first + p.Dil[a]*(p.K[a]-1)
	return first >= lo && last < hi
}

// convAtStride draws a conv of rank 1 or 2 with the given stride on every axis.
func convAtStride(t *rapid.T, strides []int) conv.Problem {
	p := ProblemGen(conv.OpConv).Filter(func(p conv.Problem) bool { return p.Rank <= 2 }).Draw(t, "base")
	s := rapid.SampledFrom(strides).Draw(t, "stride")
	for _, a := range p.Axes() {
		p.S[a] = s
		ext := p.ExtK(a)
		p.PEnd[a] = max(p.PBegin[a], ext-p.I[a]-p.PBegin[a])
	}
	mustResolve(&p)
	return rapid.Just(p).Draw(t, "p") // the problem as run, for the counterexample
}

// equivariant checks conv(shift_δ(x))[o] = conv(x)[o − δ/s] at every output
// o whose window, and whose window moved back by δ, lie inside the input, and
// returns the first position where it fails.
func equivariant(p *conv.Problem, x, w []float64, delta [3]int) (bad string, tested int) {
	y := refConv(p, x, w, nil, nil)
	ys := refConv(p, shift(x, p.MB, p.IC, p.I, delta), w, nil, nil)
	var od [3]int
	for a := 0; a < 3; a++ {
		od[a] = delta[a] / p.S[a]
	}
	for n := 0; n < p.MB; n++ {
		for m := 0; m < p.OC; m++ {
			each3(p.O, func(d, h, ww int) {
				if bad != "" {
					return
				}
				o := [3]int{d, h, ww}
				for a := 0; a < 3; a++ {
					if !readsInside(p, a, o[a], 0, p.I[a]) || !readsInside(p, a, o[a], delta[a], p.I[a]+delta[a]) || o[a]-od[a] < 0 || o[a]-od[a] >= p.O[a] {
						return
					}
				}
				tested++
				if a, b := ys[at(p.OC, p.O, n, m, d, h, ww)], y[at(p.OC, p.O, n, m, d-od[0], h-od[1], ww-od[2])]; a != b {
					bad = conv.MultiIndex(p.DstShape(), at(p.OC, p.O, n, m, d, h, ww))
				}
			})
		}
	}
	return bad, tested
}

// PropShiftEquivariance: weight sharing makes convolution equivariant to
// translation: conv(shift_δ(x)) = shift_{δ/s}(conv(x)) at every output whose
// window stays clear of the border, for every shift δ that is a multiple of
// the stride s (any δ at stride 1).
func PropShiftEquivariance(t *rapid.T) {
	p := convAtStride(t, []int{1, 2, 3})
	rng := RNG(t)
	var delta [3]int
	for _, a := range p.Axes() {
		delta[a] = p.S[a] * rapid.IntRange(-2, 2).Draw(t, "shift/s")
	}
	x, w := ints(rng, conv.Elems(p.SrcShape()), 4), ints(rng, conv.Elems(p.WeightShape()), 4)
	if bad, _ := equivariant(&p, x, w, delta); bad != "" {
		t.Fatalf("shift %v: conv(shift(x)) ≠ shift(conv(x)) at %s", delta, bad)
	}
}

// PropStridedShiftEquivariance states the equivariance at any stride for a
// one-pixel shift of the last axis, reading the output shifted by one pixel
// too. It is false for stride > 1 (a one-pixel input shift moves a stride-s
// output by 1/s of a pixel, which no output shift reproduces); rapid finds
// and shrinks the counterexample.
func PropStridedShiftEquivariance(t *rapid.T) {
	p := convAtStride(t, []int{1, 2, 3})
	rng := RNG(t)
	x, w := ints(rng, conv.Elems(p.SrcShape()), 4), ints(rng, conv.Elems(p.WeightShape()), 4)
	y := refConv(&p, x, w, nil, nil)
	ys := refConv(&p, shift(x, p.MB, p.IC, p.I, [3]int{0, 0, 1}), w, nil, nil)
	for n := 0; n < p.MB; n++ {
		for m := 0; m < p.OC; m++ {
			each3(p.O, func(d, h, ww int) {
				o := [3]int{d, h, ww}
				for a := 0; a < 3; a++ {
					sh := b2i(a == conv.W)
					if !readsInside(&p, a, o[a], 0, p.I[a]) || !readsInside(&p, a, o[a], sh, p.I[a]+sh) || o[a]-sh < 0 {
						return
					}
				}
				if a, b := ys[at(p.OC, p.O, n, m, d, h, ww)], y[at(p.OC, p.O, n, m, d, h, ww-1)]; a != b {
					t.Fatalf("stride %d: conv(shift₁(x)) = %v at %v but shift₁(conv(x)) = %v", p.S[conv.W], a, o, b)
				}
			})
		}
	}
}

// PropTranslationInvariance states section 16's "translation invariance"
// literally, conv(shift(x)) = conv(x) away from the borders. It is false: a
// conv layer is equivariant (its output moves with its input), not invariant;
// invariance needs a pooling over all positions on top. rapid shrinks the
// counterexample.
func PropTranslationInvariance(t *rapid.T) {
	p := convAtStride(t, []int{1})
	rng := RNG(t)
	x, w := ints(rng, conv.Elems(p.SrcShape()), 4), ints(rng, conv.Elems(p.WeightShape()), 4)
	y := refConv(&p, x, w, nil, nil)
	ys := refConv(&p, shift(x, p.MB, p.IC, p.I, [3]int{0, 0, 1}), w, nil, nil)
	for i := range y {
		if y[i] != ys[i] {
			t.Fatalf("conv(x) = %v but conv(shift₁(x)) = %v at %s", y[i], ys[i], conv.MultiIndex(p.DstShape(), i))
		}
	}
}
