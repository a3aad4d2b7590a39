package properties

import (
	"math"
	"math/rand/v2"

	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

// ERF pulls an impulse at the centre output of a stack of stride-1,
// unpadded convolutions of the given rank back to the input with the adjoint
// (reference.Deconv): the gradient of that output with respect to the input,
// which is the effective receptive field of Luo et al. (2016) for a linear
// stack. kernels[l] has k^rank weights. It returns the map and its side,
// margin pixels wider than the theoretical field n·(k−1)+1 on each side.
func ERF(rank, k, margin int, kernels [][]float64) ([]float64, int) {
	n := len(kernels)
	side := n*(k-1) + 1 + 2*margin
	probs := make([]conv.Problem, n)
	size := side
	for l := range probs {
		p := conv.New(conv.OpConv, rank)
		for _, a := range p.Axes() {
			p.I[a], p.K[a] = size, k
		}
		_ = p.Resolve()
		probs[l] = p
		size = p.O[conv.W]
	}
	last := probs[n-1]
	g := make([]float64, conv.Elems(last.DstShape()))
	c := size / 2
	idx := 0
	for r := 0; r < rank; r++ {
		idx = idx*size + c
	}
	g[idx] = 1
	for l := n - 1; l >= 0; l-- {
		d := probs[l]
		d.Op, d.I, d.O = conv.OpDeconv, probs[l].O, probs[l].I
		g = refDeconv(&d, g, kernels[l], nil, nil)
	}
	return g, side
}

// UniformKernels returns n kernels of k^rank equal weights 1/k^rank.
func UniformKernels(n, k, rank int) [][]float64 {
	taps := int(math.Pow(float64(k), float64(rank)))
	ks := make([][]float64, n)
	for l := range ks {
		ks[l] = make([]float64, taps)
		for i := range ks[l] {
			ks[l][i] = 1 / float64(taps)
		}
	}
	return ks
}

// moments returns the total, mean, and 2nd–4th central moments of v read as
// a distribution on 0..len−1.
func moments(v []float64) (tot, mean, m2, m3, m4 float64) {
	for i, x := range v {
		tot += x
		mean += float64(i) * x
	}
	mean /= tot
	for i, x := range v {
		d := float64(i) - mean
		m2 += d * d * x / tot
		m3 += d * d * d * x / tot
		m4 += d * d * d * d * x / tot
	}
	return
}

// marginal sums a rank-r map of side n over every axis but axis a (0 is the
// outermost), giving its marginal distribution along a.
func marginal(m []float64, rank, n, a int) []float64 {
	out := make([]float64, n)
	stride := 1
	for r := a + 1; r < rank; r++ {
		stride *= n
	}
	for i, v := range m {
		out[(i/stride)%n] += v
	}
	return out
}

// PropEffectiveReceptiveField: pull the centre output of n stacked 1D or 2D
// convs with random positive kernels back to the input. The gradient is zero
// outside the theoretical field and nonzero on all of it, and read as a
// distribution it is the law of a sum of n independent taps, one per layer:
// along each axis the mean, variance and third and fourth cumulants of its
// marginal are the sums of the layers' marginals' (checked to 1e-9). So its
// spread grows like √n while the field grows like n, and its excess kurtosis
// shrinks like 1/n: the Gaussian-like decay of section 10 is the central
// limit theorem.
func PropEffectiveReceptiveField(t *rapid.T) {
	rank := rapid.IntRange(1, 2).Draw(t, "rank")
	n := rapid.IntRange(1, 8).Draw(t, "layers")
	k := rapid.IntRange(2, 5).Draw(t, "k")
	rng := RNG(t)
	const margin = 3
	taps := k
	if rank == 2 {
		taps = k * k
	}
	ks := make([][]float64, n)
	for l := range ks {
		ks[l] = make([]float64, taps)
		for i := range ks[l] {
			ks[l][i] = 1 + float64(rng.IntN(4))
		}
	}
	g, side := ERF(rank, k, margin, ks)
	field := n*(k-1) + 1
	for i, v := range g {
		inside := true
		for r, j := 0, i; r < rank; r, j = r+1, j/side {
			c := j % side
			inside = inside && c >= margin && c < margin+field
		}
		if inside != (v > 0) {
			t.Fatalf("position %d: gradient %v, inside the field of %d from %d: %v", i, v, field, margin, inside)
		}
	}
	for a := 0; a < rank; a++ {
		var mean, k2, k3, k4 float64
		for _, w := range ks {
			// The adjoint reads kernels forward, so tap a moves the field by +a.
			_, m, c2, c3, c4 := moments(marginal(w, rank, k, a))
			mean += m
			k2 += c2
			k3 += c3
			k4 += c4 - 3*c2*c2
		}
		_, gm, g2, g3, g4 := moments(marginal(g, rank, side, a))
		got := []float64{gm - margin, g2, g3, g4 - 3*g2*g2}
		want := []float64{mean, k2, k3, k4}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-9*(1+math.Abs(want[i])) {
				t.Fatalf("axis %d: cumulant %d of the gradient %v, sum over layers %v (n=%d, k=%d)", a, i+1, got[i], want[i], n, k)
			}
		}
	}
}

// ERFStats summarises a 1D gradient map: the standard deviation and the
// share of its mass within ±2σ of its mean, both in input pixels.
func ERFStats(g []float64) (sigma, within2 float64) {
	tot, mean, m2, _, _ := moments(g)
	sigma = math.Sqrt(m2)
	for i, v := range g {
		if math.Abs(float64(i)-mean) <= 2*sigma {
			within2 += v / tot
		}
	}
	return sigma, within2
}

// RandomPositiveKernels returns n kernels of k^rank weights uniform in (0, 1].
func RandomPositiveKernels(rng *rand.Rand, n, k, rank int) [][]float64 {
	ks := UniformKernels(n, k, rank)
	for _, w := range ks {
		for i := range w {
			w[i] = 1 - rng.Float64()
		}
	}
	return ks
}
