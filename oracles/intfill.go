package oracles

import (
	"math"
	"math/rand/v2"

	"github.com/convverify/convverify/conv"
)

// IntRange is benchdnn's range for f32 source and weights: integers in [−32, 32].
const IntRange = 32

// ExactLimit is 2²⁴: every integer of magnitude up to it is a float32, so a sum
// of integers whose Σ|terms| stays below it is exact in any order.
const ExactLimit = 1 << 24

// routeFar is the routing logit magnitude that IntFill uses: e^−1000 is 0
// and e^1000 is +Inf in float32 and float64 alike, so sigmoid(±1000) =
// 1/(1 + e^∓1000) is exactly 1 or 0 and a softmax loser gets exactly 0.
const routeFar = 1000

// IntFillDensity is the Bernoulli density with which IntFill keeps a source
// value (benchdnn thins the source so sums stay exact):
//
//	ρ = min(1, (2²⁴/4) / (N · E|x| · E|w| · f))
//
// where N = (IC/G)·ΠK is the accumulation length, E|x| = E|w| ≈ R/2 the mean
// magnitude of an integer uniform in [−R, R], and f the extra factor of the op
// (E·2 for dynamic, whose bound covers every expert at quantum ½; 1 otherwise).
// The quarter leaves room for the fluctuation of a sum of N random terms; the
// fill then checks the actual bound (MaxAbsSum) and thins further if needed.
func IntFillDensity(p *conv.Problem) float64 {
	n := float64(p.ICG() * p.Taps())
	m := float64(IntRange*(IntRange+1)) / float64(2*IntRange+1)
	f := 1.0
	switch p.Op {
	case conv.OpDynamic:
		f = 2 * float64(p.E)
	case conv.OpDeform:
		if p.Mask {
			f = 1 // mask uniform in {0, 1, 2}: mean magnitude 1
		}
	}
	return math.Min(1, ExactLimit/4/(n*m*m*f))
}

// IntFill returns inputs for p with small integer values, benchdnn style: x and
// w in [−32, 32] (x thinned with density IntFillDensity), bias in [−16, 16], so
// that every accumulated |sum| (bias included) stays below 2²⁴. Every float32
// partial sum is then exact, any correct summation order gives the exact
// result, and a float32 result can be compared with == against the float64 one.
//
//   - deform: offsets are integers in [−3, 3], so the bilinear weights are 0 and
//     1 and every sample reads one pixel or none; mask values are in {0, 1, 2}.
//   - dynamic: route_w = 0 and route_b ∈ {−1000, 0, +1000}, so α is exactly 0,
//     ½ or 1 (sigmoid), or 1/k for k = 2ʲ winners and 0 for the rest (softmax):
//     every mixed weight is then a multiple of ½ or 1/k and sums stay exact.
//     The price: routing does not depend on x in exact mode (a logit that does
//     is some GAP·w + b, irrational through sigmoid unless ±∞ or 0), and a
//     sigmoid written as eʳ/(1 + eʳ) gives NaN at r = 1000 (a real overflow bug).
//
// exact is false only when no density met the bound (accumulation lengths of
// millions) or a softmax temperature too large for ±1000·T; the inputs are
// still integers then, but a test must compare them within a bound.
// MaxAbsSum(p, in) < ExactLimit holds whenever exact is true.
//
// IntFill allocates every input of p in float64: check p.CheckBudget(8, budget)
// first for problems that may not fit in memory.
func IntFill(p *conv.Problem, rng *rand.Rand) (in conv.Inputs[float64], exact bool) {
	exact = true
	rho := IntFillDensity(p)
	ints := func(n, r int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(rng.IntN(2*r+1) - r)
		}
		return s
	}
	in.W = ints(conv.Elems(p.WeightShape()), IntRange)
	ensureNonzero(in.W, rng, IntRange)
	in.B = ints(conv.Elems(p.BiasShape()), 16)
	switch p.Op {
	case conv.OpDeform:
		in.Offset = ints(conv.Elems(p.OffsetShape()), 3)
		if p.Mask {
			in.Mask = make([]float64, conv.Elems(p.MaskShape()))
			for i := range in.Mask {
				in.Mask[i] = float64(rng.IntN(3))
			}
		}
	case conv.OpDynamic:
		var ok bool
		in.RouteW, in.RouteB, ok = exactRouting(p, rng)
		exact = exact && ok
	}
	nx := conv.Elems(p.SrcShape())
	for attempt := 0; ; attempt++ {
		in.X = make([]float64, nx)
		for i := range in.X {
			if rng.Float64() < rho {
				in.X[i] = float64(rng.IntN(2*IntRange+1) - IntRange)
			}
		}
		ensureNonzero(in.X, rng, IntRange)
		if MaxAbsSum(p, in) < ExactLimit {
			return in, exact
		}
		if attempt == 30 {
			return in, false
		}
		rho /= 2
	}
}

// ensureNonzero makes sure a filled tensor is not all zeros: a check on zeros
// passes a kernel that writes nothing.
func ensureNonzero(s []float64, rng *rand.Rand, r int) {
	for _, v := range s {
		if v != 0 {
			return
		}
	}
	v := float64(1 + rng.IntN(r))
	if rng.IntN(2) == 0 {
		v = -v
	}
	s[rng.IntN(len(s))] = v
}

// exactRouting draws route_w = 0 and route_b with at least one expert in use
// (all α = 0 would make every output 0).
func exactRouting(p *conv.Problem, rng *rand.Rand) (rw, rb []float64, ok bool) {
	rw = make([]float64, p.E*p.IC)
	rb = make([]float64, p.E)
	if p.Routing == conv.RoutingSoftmax {
		far := routeFar * p.Temperature
		if math.IsInf(far, 0) || math.IsNaN(far) {
			for e := range rb {
				rb[e] = rng.Float64()*2 - 1
			}
			return rw, rb, false
		}
		k := 1
		for 2*k <= 1+rng.IntN(p.E) {
			k *= 2
		}
		for e := range rb {
			rb[e] = -far
		}
		for _, e := range rng.Perm(p.E)[:k] {
			rb[e] = 0
		}
		return rw, rb, true
	}
	used := false
	for e := range rb {
		rb[e] = float64(rng.IntN(3)-1) * routeFar
		used = used || rb[e] > -routeFar
	}
	if !used {
		rb[rng.IntN(p.E)] = 0
	}
	return rw, rb, true
}

// RandomFill returns inputs for p with real values: x, w, b, route_w and
// route_b uniform in [−1, 1] (never all zeros); deform offsets uniform in
// [−R, R] with R = 1 + max(ext_kh, ext_kw)/2, so sampling points leave the image
// near its border, with one offset in eight a whole number (bilinear's floor
// edge); mask uniform in [0, 1].
func RandomFill(p *conv.Problem, rng *rand.Rand) conv.Inputs[float64] {
	uni := func(n int, lo, hi float64) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = lo + (hi-lo)*rng.Float64()
		}
		return s
	}
	in := conv.Inputs[float64]{
		X: uni(conv.Elems(p.SrcShape()), -1, 1),
		W: uni(conv.Elems(p.WeightShape()), -1, 1),
		B: uni(conv.Elems(p.BiasShape()), -1, 1),
	}
	ensureNonzero(in.X, rng, 1)
	ensureNonzero(in.W, rng, 1)
	switch p.Op {
	case conv.OpDeform:
		r := 1 + float64(max(p.ExtK(conv.H), p.ExtK(conv.W)))/2
		in.Offset = uni(conv.Elems(p.OffsetShape()), -r, r)
		for i := range in.Offset {
			if rng.IntN(8) == 0 {
				in.Offset[i] = math.Round(in.Offset[i])
			}
		}
		if p.Mask {
			in.Mask = uni(conv.Elems(p.MaskShape()), 0, 1)
		}
	case conv.OpDynamic:
		in.RouteW = uni(conv.Elems(p.RouteWShape()), -1, 1)
		in.RouteB = uni(conv.Elems(p.RouteBShape()), -1, 1)
	}
	return in
}
