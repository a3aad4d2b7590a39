package properties

import (
	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// Inflate returns the dense kernel of a dilated one: along each axis the k
// taps move to positions 0, d, 2d, …, d·(k−1) of a kernel of size
// d·(k−1) + 1, and the d − 1 positions between neighbouring taps hold 0.
// w is [C0, C1, K…]; the result is [C0, C1, ext…].
func Inflate(w []float64, c0, c1 int, k, dil [3]int) ([]float64, [3]int) {
	var ext [3]int
	for a := range ext {
		ext[a] = conv.ExtKernel(k[a], dil[a])
	}
	out := make([]float64, c0*c1*conv.Spatial(ext))
	for o := 0; o < c0; o++ {
		for i := 0; i < c1; i++ {
			each3(k, func(d, h, ww int) {
				out[at(c1, ext, o, i, d*dil[0], h*dil[1], ww*dil[2])] = w[at(c1, k, o, i, d, h, ww)]
			})
		}
	}
	return out, ext
}

// ZerosBetweenTaps counts, along axis a of an inflated kernel's first row,
// the zeros between each pair of neighbouring nonzero taps. Every count is
// d − 1 when the taps are nonzero (the Q&A says d).
func ZerosBetweenTaps(w []float64, ext [3]int, a int) []int {
	var line []float64
	for j := 0; j < ext[a]; j++ {
		var pos [3]int
		pos[a] = j
		line = append(line, w[at(1, ext, 0, 0, pos[0], pos[1], pos[2])])
	}
	var gaps []int
	last := -1
	for j, v := range line {
		if v != 0 {
			if last >= 0 {
				gaps = append(gaps, j-last-1)
			}
			last = j
		}
	}
	return gaps
}

// PropDilationIsInflatedKernel: a convolution with dilation d equals the
// undilated convolution (same stride and padding) with the zero-inflated
// kernel of size d·(k−1)+1, bit for bit; between neighbouring taps of that
// kernel sit exactly d − 1 zeros, and the parameter count does not change.
func PropDilationIsInflatedKernel(t *rapid.T) {
	p := ProblemGen(conv.OpConv).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, true)
	for i := range in.W {
		if in.W[i] == 0 {
			in.W[i] = 1 // nonzero taps, so the zeros counted are the inflation's
		}
	}
	wi, ext := Inflate(in.W, p.OC, p.ICG(), p.K, p.Dil)
	q := p
	q.K, q.Dil = ext, [3]int{1, 1, 1}
	if err := q.Resolve(); err != nil || q.O != p.O {
		t.Fatalf("inflated problem %#v: %v (output %v, want %v)", q, err, q.O, p.O)
	}
	equalExact(t, "conv with the zero-inflated kernel", p.DstShape(), refConv(&q, in.X, wi, in.B, nil), refConv(&p, in.X, in.W, in.B, nil))
	for _, a := range p.Axes() {
		for _, g := range ZerosBetweenTaps(wi, ext, a) {
			if g != p.Dil[a]-1 {
				t.Fatalf("axis %c, dilation %d: %d zeros between taps, want d−1 = %d", "dhw"[a], p.Dil[a], g, p.Dil[a]-1)
			}
		}
	}
	dense := p
	dense.Dil = [3]int{1, 1, 1}
	if p.Params(true) != dense.Params(true) {
		t.Fatalf("dilation changed the parameter count")
	}
}
