package properties

import (
	"math"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// each3 calls f on every (d, h, w) of a [D, H, W] extent.
func each3(sz [3]int, f func(d, h, w int)) {
	for d := 0; d < sz[conv.D]; d++ {
		for h := 0; h < sz[conv.H]; h++ {
			for w := 0; w < sz[conv.W]; w++ {
				f(d, h, w)
			}
		}
	}
}

// mirror returns the convolution whose adjoint is the deconvolution p:
// channels and spatial sizes swap sides, kernel, stride, padding, dilation
// and groups stay. Its weights [OC', IC'/G, K…] = [p.IC, p.OC/G, K…] are the
// deconvolution's, read as they lie in memory.
func mirror(t *rapid.T, p conv.Problem) conv.Problem {
	q := p
	q.Op = conv.OpConv
	q.IC, q.OC = p.OC, p.IC
	q.I = p.O
	if err := q.Resolve(); err != nil {
		t.Fatalf("mirrored conv of %#v is invalid: %v", p, err)
	}
	if q.O != p.I {
		t.Fatalf("mirrored conv of %#v has output %v, want the deconv's input %v", p, q.O, p.I)
	}
	return q
}

// PropDeconvOutSize: along each axis the scatter of a transposed convolution
// reaches exactly s·(i−1) + d·(k−1) + 1 positions (conv.DeconvOutSize with no
// padding): measured on a problem whose output is extended by a margin of
// negative end padding, so a formula that is too small or too large shows.
// With padding, the output is that full scatter cropped by p_begin in front
// and p_end behind (a negative p_end, the output padding, appends positions
// that receive nothing). The forward conv with the same parameters maps the
// deconv's output size back to its input size.
func PropDeconvOutSize(t *rapid.T) {
	p := ProblemGen(conv.OpDeconv).Draw(t, "p")
	rng := RNG(t)
	const margin = 3
	full := p
	for _, a := range p.Axes() {
		full.PBegin[a], full.PEnd[a] = 0, -margin
	}
	if err := full.Resolve(); err != nil {
		t.Fatalf("uncropped problem: %v", err)
	}
	ones := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	y := refDeconv(&full, ones(conv.Elems(full.SrcShape())), ones(conv.Elems(full.WeightShape())), nil, nil)
	var last [3]int
	each3(full.O, func(d, h, w int) {
		if y[at(full.OC, full.O, 0, 0, d, h, w)] != 0 {
			last = [3]int{max(last[0], d), max(last[1], h), max(last[2], w)}
		}
	})
	for _, a := range p.Axes() {
		want := p.S[a]*(p.I[a]-1) + p.Dil[a]*(p.K[a]-1) + 1
		if got := last[a] + 1; got != want || conv.DeconvOutSize(p.I[a], p.K[a], p.S[a], 0, 0, p.Dil[a]) != want {
			t.Fatalf("axis %c: the scatter reaches %d positions, s·(i−1)+d·(k−1)+1 = %d, DeconvOutSize = %d",
				"dhw"[a], got, want, conv.DeconvOutSize(p.I[a], p.K[a], p.S[a], 0, 0, p.Dil[a]))
		}
		if back := conv.OutSize(p.O[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a], p.Dil[a]); back != p.I[a] {
			t.Fatalf("axis %c: conv of the deconv's output size %d gives %d, want its input size %d", "dhw"[a], p.O[a], back, p.I[a])
		}
	}
	x, w := ints(rng, conv.Elems(p.SrcShape()), 4), ints(rng, conv.Elems(p.WeightShape()), 4)
	yf := refDeconv(&full, x, w, nil, nil)
	yp := refDeconv(&p, x, w, nil, nil)
	for n := 0; n < p.MB; n++ {
		for c := 0; c < p.OC; c++ {
			each3(p.O, func(d, h, ww int) {
				src := [3]int{d + p.PBegin[0], h + p.PBegin[1], ww + p.PBegin[2]}
				var want float64
				if src[0] < full.O[0]-margin*b2i(p.Rank == 3) && src[1] < full.O[1]-margin*b2i(p.Rank >= 2) && src[2] < full.O[2]-margin {
					want = yf[at(full.OC, full.O, n, c, src[0], src[1], src[2])]
				}
				if got := yp[at(p.OC, p.O, n, c, d, h, ww)]; got != want {
					t.Fatalf("cropped output at [%d %d %d %d %d] = %v, the full scatter has %v there", n, c, d, h, ww, got, want)
				}
			})
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// PropAdjoint: transposed convolution is the adjoint of convolution,
//
//	⟨conv(y), x⟩ = ⟨y, deconv(x)⟩
//
// for the deconvolution p and its mirrored convolution with the same weights,
// exactly on integers. This is what "transposed" means: the conv's matrix
// transposed, and why deconv is conv's backward pass with respect to its input.
func PropAdjoint(t *rapid.T) {
	p := ProblemGen(conv.OpDeconv).Draw(t, "p")
	rng := RNG(t)
	q := mirror(t, p)
	w := ints(rng, conv.Elems(p.WeightShape()), 4)
	x := ints(rng, conv.Elems(p.SrcShape()), 4)
	y := ints(rng, conv.Elems(p.DstShape()), 4)
	lhs := dot(refConv(&q, y, w, nil, nil), x)
	rhs := dot(y, refDeconv(&p, x, w, nil, nil))
	if lhs != rhs {
		t.Fatalf("⟨conv(y), x⟩ = %v but ⟨y, deconv(x)⟩ = %v", lhs, rhs)
	}
}

// PropDeconvIsZeroInsertConv: the Q&A's recipe is right once completed.
// Along each axis insert s−1 zeros between input elements, pad with
// d·(k−1) − p_begin in front and d·(k−1) − p_end behind, and run a stride-1
// convolution with the same dilation, the kernel rotated by 180° and the
// weight's in/out channel axes swapped:
//
//	wc[g·OCG + m, c, k] = wd[g·ICG + c, m, K−1−k]
//
// The result is the deconvolution, bit for bit on integers.
func PropDeconvIsZeroInsertConv(t *rapid.T) {
	p := ProblemGen(conv.OpDeconv).Draw(t, "p")
	rng := RNG(t)
	in := fill(&p, rng, true)
	want := refDeconv(&p, in.X, in.W, in.B, nil)

	c := conv.New(conv.OpConv, p.Rank)
	c.MB, c.G, c.IC, c.OC = p.MB, p.G, p.IC, p.OC
	var front [3]int
	for _, a := range p.Axes() {
		e := p.Dil[a] * (p.K[a] - 1)
		front[a] = e - p.PBegin[a]
		c.I[a] = p.S[a]*(p.I[a]-1) + 1 + 2*e - p.PBegin[a] - p.PEnd[a]
		c.K[a], c.Dil[a] = p.K[a], p.Dil[a]
	}
	if err := c.Resolve(); err != nil {
		t.Fatalf("zero-inserted conv: %v", err)
	}
	z := make([]float64, conv.Elems(c.SrcShape()))
	for n := 0; n < p.MB; n++ {
		for ch := 0; ch < p.IC; ch++ {
			each3(p.I, func(d, h, w int) {
				pos := [3]int{front[0] + d*p.S[0], front[1] + h*p.S[1], front[2] + w*p.S[2]}
				for a := 0; a < 3; a++ {
					if pos[a] < 0 || pos[a] >= c.I[a] {
						return // cropped by a begin padding beyond the kernel's reach
					}
				}
				z[at(c.IC, c.I, n, ch, pos[0], pos[1], pos[2])] = in.X[at(p.IC, p.I, n, ch, d, h, w)]
			})
		}
	}
	wc := make([]float64, conv.Elems(c.WeightShape()))
	icg, ocg := p.ICG(), p.OCG()
	for g := 0; g < p.G; g++ {
		for m := 0; m < ocg; m++ {
			for ci := 0; ci < icg; ci++ {
				each3(p.K, func(d, h, w int) {
					wc[at(icg, p.K, g*ocg+m, ci, d, h, w)] =
						in.W[at(ocg, p.K, g*icg+ci, m, p.K[0]-1-d, p.K[1]-1-h, p.K[2]-1-w)]
				})
			}
		}
	}
	got := refConv(&c, z, wc, in.B, nil)
	if len(got) != len(want) {
		t.Fatalf("zero-inserted conv has %d outputs, deconv %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("at %s: deconv %v, zero insertion + padding + rotated-kernel conv %v", conv.MultiIndex(p.DstShape(), i), want[i], got[i])
		}
	}
}

// PropDeconvRestoresShapeNotValues: the transposed convolution with the same
// parameters maps conv's output shape back to its input shape, but
// deconv(conv(x)) ≠ x: transposing is not inverting (WᵀW ≠ I for real weights).
func PropDeconvRestoresShapeNotValues(t *rapid.T) {
	p := ProblemGen(conv.OpConv).Draw(t, "p")
	rng := RNG(t)
	q := p
	q.Op = conv.OpDeconv
	q.IC, q.OC, q.I = p.OC, p.IC, p.O
	if err := q.Resolve(); err != nil {
		t.Fatalf("transposed twin: %v", err)
	}
	if q.O != p.I {
		t.Fatalf("deconv of the conv output has size %v, the conv input %v", q.O, p.I)
	}
	x, w := normals(rng, conv.Elems(p.SrcShape())), normals(rng, conv.Elems(p.WeightShape()))
	back := refDeconv(&q, refConv(&p, x, w, nil, nil), w, nil, nil)
	var diff float64
	for i := range x {
		diff = math.Max(diff, math.Abs(back[i]-x[i]))
	}
	if diff < 1e-9 {
		t.Fatalf("deconv(conv(x)) = x (max difference %g): transposition inverted a random convolution", diff)
	}
}
