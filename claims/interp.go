package claims

import (
	"math/rand/v2"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// Interpolation as a transposed convolution: ×2 upsampling by nearest
// neighbour is a stride-2 transposed conv with a 2×2 kernel of ones, and
// bilinear ×2 (half-pixel centres, PyTorch's align_corners=False) is a
// stride-2, padding-1 transposed conv with the 4×4 kernel
// [¼ ¾ ¾ ¼]ᵀ[¼ ¾ ¾ ¼], except on the one-pixel border, where interpolation
// clamps to the edge and the transposed conv sees zeros. Both kernels are
// fixed: a learned transposed conv of that shape can take them as its
// weights, which is what §7's "replaces interpolation" rests on.

// upsampleSide is the side of the map the interpolation checks draw.
const upsampleSide = 6

// deconv2x computes a single-channel stride-2 transposed conv of x (n×n).
func deconv2x(x []float64, n int, w []float64, k, pad int) ([]float64, int) {
	p := conv.New(conv.OpDeconv, 2)
	for _, a := range p.Axes() {
		p.I[a], p.K[a], p.S[a], p.PBegin[a], p.PEnd[a] = n, k, 2, pad, pad
	}
	if err := p.Resolve(); err != nil {
		panic(err)
	}
	return reference.Deconv(&p, x, w, nil, nil), p.O[conv.W]
}

// nearest2x is nearest-neighbour ×2 upsampling of x (n×n).
func nearest2x(x []float64, n int) []float64 {
	y := make([]float64, 4*n*n)
	for i := 0; i < 2*n; i++ {
		for j := 0; j < 2*n; j++ {
			y[i*2*n+j] = x[(i/2)*n+j/2]
		}
	}
	return y
}

// bilinear2x is bilinear ×2 upsampling of x (n×n) with half-pixel centres:
// output i samples input coordinate (i + 0.5)/2 − 0.5, clamped to the edge.
func bilinear2x(x []float64, n int) []float64 {
	coord := func(i int) (lo, hi int, t float64) {
		c := (float64(i)+0.5)/2 - 0.5
		if c < 0 {
			c = 0
		}
		lo = int(c)
		hi = min(lo+1, n-1)
		return lo, hi, c - float64(lo)
	}
	y := make([]float64, 4*n*n)
	for i := 0; i < 2*n; i++ {
		i0, i1, ti := coord(i)
		for j := 0; j < 2*n; j++ {
			j0, j1, tj := coord(j)
			top := x[i0*n+j0]*(1-tj) + x[i0*n+j1]*tj
			bot := x[i1*n+j0]*(1-tj) + x[i1*n+j1]*tj
			y[i*2*n+j] = top*(1-ti) + bot*ti
		}
	}
	return y
}

// interpolationIsDeconv checks both equalities on a random integer map
// (the products are dyadic, so equality is exact) and returns how many
// outputs of each agree, and of how many (bilinear: interior only).
func interpolationIsDeconv(rng *rand.Rand) (nearestSame, nearestAll, bilinSame, bilinInterior int) {
	n := upsampleSide
	x := ints(rng, n*n)
	ones := []float64{1, 1, 1, 1}
	yn, _ := deconv2x(x, n, ones, 2, 0)
	for i, v := range nearest2x(x, n) {
		nearestAll++
		if yn[i] == v {
			nearestSame++
		}
	}
	t := []float64{0.25, 0.75, 0.75, 0.25}
	w := make([]float64, 16)
	for u := range 4 {
		for v := range 4 {
			w[u*4+v] = t[u] * t[v]
		}
	}
	yb, o := deconv2x(x, n, w, 4, 1)
	b := bilinear2x(x, n)
	for i := 1; i < o-1; i++ {
		for j := 1; j < o-1; j++ {
			bilinInterior++
			if yb[i*o+j] == b[i*o+j] {
				bilinSame++
			}
		}
	}
	return
}

// resizeConvIsDeconv checks that nearest ×2 followed by a 3×3 conv (padding
// 1) is one stride-2, padding-1 transposed conv whose 4×4 kernel is the
// 2×2 box convolved with the 3×3 kernel rotated 180° (w[a][b] = Σ k[t][u]
// over the t, u with a−2+t and b−2+u in the box): a transposed conv whose
// 16 weights are fixed up to the conv's 9. It returns how many outputs
// agree, of how many.
func resizeConvIsDeconv(rng *rand.Rand) (same, all int) {
	n := upsampleSide
	x, k := ints(rng, n*n), ints(rng, 9)
	up := nearest2x(x, n)
	cp := conv2d(1, 1, 2*n, 3, 1, 1, 1, 1)
	y := reference.Conv(&cp, up, k, nil, nil)
	w := make([]float64, 16)
	for a := range 4 {
		for b := range 4 {
			for t := range 3 {
				for u := range 3 {
					if i, j := a-2+t, b-2+u; i >= 0 && i < 2 && j >= 0 && j < 2 {
						w[a*4+b] += k[t*3+u]
					}
				}
			}
		}
	}
	z, _ := deconv2x(x, n, w, 4, 1)
	for i := range y {
		all++
		if i < len(z) && z[i] == y[i] {
			same++
		}
	}
	return same, all
}
