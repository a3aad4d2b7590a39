package adversarial

import "math"

// FMA32 returns a·b + c rounded once to float32 (round to nearest even).
//
// float32(math.FMA(a, b, c)) rounds twice (to float64, then to float32) and
// can differ from the correctly rounded result when the float64 sum lands
// exactly on a float32 midpoint. Here the product a·b is exact in float64
// (24 + 24 bits), s = fl64(a·b + c) and its exact error e (TwoSum) decide:
// if s is a float32 midpoint, the true value lies on e's side of it.
func FMA32(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact
	cc := float64(c)
	s := p + cc
	bb := s - p
	e := (p - (s - bb)) + (cc - bb)
	r := float32(s)
	if e == 0 || float64(r) == s || math.IsInf(s, 0) || math.IsNaN(s) {
		return r
	}
	lo, hi := r, r
	if float64(r) < s {
		hi = math.Nextafter32(r, float32(math.Inf(1)))
	} else {
		lo = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	if s == (float64(lo)+float64(hi))/2 { // a midpoint: exact in float64
		if e > 0 {
			return hi
		}
		return lo
	}
	return r
}
