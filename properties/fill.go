package properties

import (
	"math"
	"math/rand/v2"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/reference"
)

// ints returns n integers drawn uniformly from [−r, r], as float64: sums and
// products of a few thousand of them are exact, so identities built on them
// can demand bit-equality.
func ints(rng *rand.Rand, n, r int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(rng.IntN(2*r+1) - r)
	}
	return v
}

// normals returns n standard normal values: used where an identity must hold
// for real numbers, judged against a bound scaled by the magnitudes.
func normals(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// fill returns every input of p. With integer set, x, w, b, deform offsets and
// masks are small integers (bilinear sampling at integer positions reads one
// pixel exactly), so every output is an exact integer except a dynamic
// convolution's, whose routing weights are real.
func fill(p *conv.Problem, rng *rand.Rand, integer bool) conv.Inputs[float64] {
	vec := func(shape []int, r int) []float64 {
		if integer {
			return ints(rng, conv.Elems(shape), r)
		}
		return normals(rng, conv.Elems(shape))
	}
	in := conv.Inputs[float64]{X: vec(p.SrcShape(), 4), W: vec(p.WeightShape(), 4), B: vec(p.BiasShape(), 4)}
	switch p.Op {
	case conv.OpDeform:
		in.Offset = make([]float64, conv.Elems(p.OffsetShape()))
		for i := range in.Offset {
			if integer {
				in.Offset[i] = float64(rng.IntN(5) - 2)
			} else {
				in.Offset[i] = 4*rng.Float64() - 2
			}
		}
		if p.Mask {
			in.Mask = make([]float64, conv.Elems(p.MaskShape()))
			for i := range in.Mask {
				if integer {
					in.Mask[i] = float64(rng.IntN(3))
				} else {
					in.Mask[i] = rng.Float64()
				}
			}
		}
	case conv.OpDynamic:
		in.RouteW = normals(rng, conv.Elems(p.RouteWShape()))
		in.RouteB = normals(rng, conv.Elems(p.RouteBShape()))
	}
	return in
}

// at is the flat index of (n, c, d, h, w) in an [·, ch, sp…] tensor; the same
// NCDHW layout the reference uses for every rank.
func at(ch int, sp [3]int, n, c, d, h, w int) int {
	return (((n*ch+c)*sp[conv.D]+d)*sp[conv.H]+h)*sp[conv.W] + w
}

// dot is Σ aᵢ·bᵢ.
func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// maxAbs is max |vᵢ|.
func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// tol64 is the float64 error bound for a sum of n terms of total magnitude
// mag: n·ε·mag with ε = 2⁻⁵³, doubled for the second computation being compared.
func tol64(n int, mag float64) float64 { return 2*float64(n)*0x1p-53*mag + 1e-300 }

// refConv and refDeconv are the reference ops the properties call directly.
// They are variables only so that mutation_test.go can swap in a broken op
// and check that the properties catch it; nothing else assigns them.
var (
	refConv   = reference.Conv
	refDeconv = reference.Deconv
)
