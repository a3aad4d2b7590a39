package properties

import (
	"pgregory.net/rapid"

	"github.com/convverify/convverify/conv"
)

func onesVec(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// OverlapMap returns, for a transposed convolution of the given rank with
// kernel k and stride s (no padding) on an input of n per axis, how many
// (input, tap) pairs land on each output element: the deconvolution of an
// all-ones input with an all-ones kernel. It also returns the output size per
// axis. An uneven map in the interior is the checkerboard of Odena et al.
func OverlapMap(rank, k, s, n int) ([]float64, int) {
	p := conv.New(conv.OpDeconv, rank)
	for _, a := range p.Axes() {
		p.I[a], p.K[a], p.S[a] = n, k, s
	}
	if err := p.Resolve(); err != nil {
		return nil, 0
	}
	return refDeconv(&p, onesVec(conv.Elems(p.SrcShape())), onesVec(conv.Elems(p.WeightShape())), nil, nil), p.O[conv.W]
}

// ResizeConvMap returns the same count for the alternative of section 9:
// nearest-neighbour upsampling by s, then a stride-1 convolution with an
// all-ones k-tap kernel (no padding).
func ResizeConvMap(rank, k, s, n int) ([]float64, int) {
	up := conv.New(conv.OpConv, rank)
	for _, a := range up.Axes() {
		up.I[a], up.K[a] = n*s, k
	}
	if err := up.Resolve(); err != nil {
		return nil, 0
	}
	return refConv(&up, onesVec(conv.Elems(up.SrcShape())), onesVec(conv.Elems(up.WeightShape())), nil, nil), up.O[conv.W]
}

// Interior returns the values of a rank-r map of side o at positions lo..hi
// (inclusive) on every axis.
func Interior(m []float64, rank, o, lo, hi int) []float64 {
	var out []float64
	for i, v := range m {
		ok := true
		for r, j := 0, i; r < rank; r, j = r+1, j/o {
			if c := j % o; c < lo || c > hi {
				ok = false
			}
		}
		if ok {
			out = append(out, v)
		}
	}
	return out
}

// DeconvInterior is the range of output positions that every input position
// able to reach them exists for: [k−1, s·(n−1)]. Outside it the map thins out
// at the border whatever the stride.
func DeconvInterior(k, s, n int) (lo, hi int) { return k - 1, s * (n - 1) }

func uniform(v []float64) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return len(v) > 0
}

// PropCheckerboard: the overlap count of a stride-s, k-tap transposed
// convolution is uniform in the interior exactly when s divides k (then every
// output gets (k/s)^rank contributions; when k < s some get none), whereas
// nearest resize followed by a conv is uniform everywhere, k^rank.
func PropCheckerboard(t *rapid.T) {
	rank := rapid.IntRange(1, 2).Draw(t, "rank")
	k := rapid.IntRange(1, 7).Draw(t, "k")
	s := rapid.IntRange(1, 4).Draw(t, "s")
	n := k + s + 2
	m, o := OverlapMap(rank, k, s, n)
	lo, hi := DeconvInterior(k, s, n)
	in := Interior(m, rank, o, lo, hi)
	if uniform(in) != (k%s == 0) {
		t.Fatalf("k=%d s=%d: interior overlap uniform = %v (values %v), s divides k = %v", k, s, uniform(in), in, k%s == 0)
	}
	if k%s == 0 {
		want := 1.0
		for r := 0; r < rank; r++ {
			want *= float64(k / s)
		}
		if in[0] != want {
			t.Fatalf("k=%d s=%d: uniform overlap %v, want (k/s)^rank = %v", k, s, in[0], want)
		}
	}
	rm, _ := ResizeConvMap(rank, k, s, n)
	if !uniform(rm) {
		t.Fatalf("resize ×%d + conv k=%d is not uniform: %v", s, k, rm)
	}
}
