package oracles

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// MaxAbsSum returns an upper bound, in units of the inputs' finest grid q, on
// every partial sum any correct evaluation of p on in can form:
//
//	conv, dynamic:  max_{n,g,o} Σ_{icg,k} |x[n, ic, o·s − p + k·d]| · Ŵ[g, icg, k]
//	deconv:         max_{n,g,o} Σ_{(ic,i,k) → o} |x[n, ic, i]| · Ŵ[g, icg, k]
//	deform:         as conv at the sampled pixel, times |mask|
//
// plus max|b|, where Ŵ[g, icg, k] is the largest |w| over the output channels
// of group g (and over experts), so the bound costs IC·ΠK·ΠO per sample rather
// than a convolution. For dynamic the bound is
//
//	2ʲ · (Σₑαₑ · M + Σₑ αₑ·max|bₑ|)  and at least M + max|b|
//
// with q = 2⁻ʲ the grid of the routing weights α and M the conv bound above:
// it covers both mixing the kernels first and mixing the E outputs after.
//
// A float32 computation of integer inputs is exact in every order when the
// result is < ExactLimit = 2²⁴. MaxAbsSum returns +Inf when an input is not an
// integer (x, w, b, offsets, mask) or an α is not a multiple of 2⁻³⁰: there
// is then no exactness to claim.
func MaxAbsSum(p *conv.Problem, in conv.Inputs[float64]) float64 {
	if p.Validate() != nil || in.Check(p) != nil {
		return math.Inf(1)
	}
	for _, s := range [][]float64{in.X, in.W, in.B, in.Offset, in.Mask} {
		if !allIntegers(s) {
			return math.Inf(1)
		}
	}
	wmax := groupWeightMax(p, in.W)
	var m float64
	switch p.Op {
	case conv.OpDeconv:
		m = deconvAbsBound(p, in.X, wmax)
	case conv.OpDeform:
		m = deformAbsBound(p, in, wmax)
	default:
		m = convAbsBound(p, in.X, wmax)
	}
	bmax := make([]float64, max(1, p.E))
	if in.B != nil {
		per := p.OC
		for i, v := range in.B {
			bmax[i/per] = math.Max(bmax[i/per], math.Abs(v))
		}
	}
	if p.Op != conv.OpDynamic {
		return m + bmax[0]
	}
	worst := m + maxOf(bmax)
	for _, alpha := range RoutingWeights(p, in) {
		j := 0
		var sa, sb float64
		for e, a := range alpha {
			aj, ok := dyadicExponent(a)
			if !ok {
				return math.Inf(1)
			}
			j = max(j, aj)
			sa += a
			sb += a * bmax[e]
		}
		worst = math.Max(worst, math.Ldexp(sa*m+sb, j))
	}
	return worst
}

func allIntegers(s []float64) bool {
	for _, v := range s {
		if math.Trunc(v) != v { // false for NaN and ±Inf too
			return false
		}
	}
	return true
}

func maxOf(s []float64) float64 {
	var m float64
	for _, v := range s {
		m = math.Max(m, v)
	}
	return m
}

// dyadicExponent returns the smallest j ≤ 30 with a·2ʲ an integer.
func dyadicExponent(a float64) (int, bool) {
	for j := 0; j <= 30; j++ {
		if v := math.Ldexp(a, j); math.Trunc(v) == v {
			return j, true
		}
	}
	return 0, false
}

// groupWeightMax returns Ŵ[g][icg·taps + k] = max |w| over the output
// channels of group g joined to input channel icg by tap k (and over experts).
func groupWeightMax(p *conv.Problem, w []float64) [][]float64 {
	icg, ocg, taps := p.ICG(), p.OCG(), p.Taps()
	out := make([][]float64, p.G)
	for g := range out {
		out[g] = make([]float64, icg*taps)
	}
	upd := func(g, c int, k []float64) {
		dst := out[g][c*taps : (c+1)*taps]
		for t, v := range k {
			dst[t] = math.Max(dst[t], math.Abs(v))
		}
	}
	switch p.Op {
	case conv.OpDeconv: // [IC, OCG, K]
		for ic := 0; ic < p.IC; ic++ {
			for m := 0; m < ocg; m++ {
				off := (ic*ocg + m) * taps
				upd(ic/icg, ic%icg, w[off:off+taps])
			}
		}
	default: // [E?, OC, ICG, K]
		for i := 0; i < len(w)/taps; i++ {
			oc := (i / icg) % p.OC
			upd(oc/ocg, i%icg, w[i*taps:(i+1)*taps])
		}
	}
	return out
}

// convAbsBound walks outputs and taps as a forward convolution.
func convAbsBound(p *conv.Problem, x []float64, wmax [][]float64) float64 {
	nI, icg, taps := conv.Spatial(p.I), p.ICG(), p.Taps()
	var worst float64
	for n := 0; n < p.MB; n++ {
		for g := 0; g < p.G; g++ {
			for o := 0; o < conv.Spatial(p.O); o++ {
				od, oh, ow := unflat(o, p.O)
				var s float64
				for c := 0; c < icg; c++ {
					xc := x[(n*p.IC+g*icg+c)*nI:]
					wc := wmax[g][c*taps:]
					for k := 0; k < taps; k++ {
						kd, kh, kw := unflat(k, p.K)
						id := od*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
						ih := oh*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
						iw := ow*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
						if id < 0 || id >= p.I[conv.D] || ih < 0 || ih >= p.I[conv.H] || iw < 0 || iw >= p.I[conv.W] {
							continue
						}
						s += math.Abs(xc[(id*p.I[conv.H]+ih)*p.I[conv.W]+iw]) * wc[k]
					}
				}
				worst = math.Max(worst, s)
			}
		}
	}
	return worst
}

// deconvAbsBound scatters |x|·Ŵ to the outputs each (input, tap) pair reaches.
func deconvAbsBound(p *conv.Problem, x []float64, wmax [][]float64) float64 {
	nI, nO, icg, taps := conv.Spatial(p.I), conv.Spatial(p.O), p.ICG(), p.Taps()
	acc := make([]float64, nO)
	var worst float64
	for n := 0; n < p.MB; n++ {
		for g := 0; g < p.G; g++ {
			clear(acc)
			for c := 0; c < icg; c++ {
				xc := x[(n*p.IC+g*icg+c)*nI:]
				wc := wmax[g][c*taps:]
				for i := 0; i < nI; i++ {
					v := math.Abs(xc[i])
					if v == 0 {
						continue
					}
					id, ih, iw := unflat(i, p.I)
					for k := 0; k < taps; k++ {
						kd, kh, kw := unflat(k, p.K)
						od := id*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
						oh := ih*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
						ow := iw*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
						if od < 0 || od >= p.O[conv.D] || oh < 0 || oh >= p.O[conv.H] || ow < 0 || ow >= p.O[conv.W] {
							continue
						}
						acc[(od*p.O[conv.H]+oh)*p.O[conv.W]+ow] += v * wc[k]
					}
				}
			}
			worst = math.Max(worst, maxOf(acc))
		}
	}
	return worst
}

// deformAbsBound reads, for every output and tap, the one pixel an integer
// offset lands on (none if it leaves the image), times |mask|.
func deformAbsBound(p *conv.Problem, in conv.Inputs[float64], wmax [][]float64) float64 {
	ih, iw := p.I[conv.H], p.I[conv.W]
	oh, ow := p.O[conv.H], p.O[conv.W]
	kh, kw := p.K[conv.H], p.K[conv.W]
	nI, nO, icg, taps, dgTaps := ih*iw, oh*ow, p.ICG(), kh*kw, p.DG*kh*kw
	var worst float64
	for n := 0; n < p.MB; n++ {
		off := in.Offset[n*2*dgTaps*nO:]
		for g := 0; g < p.G; g++ {
			for o := 0; o < nO; o++ {
				y, x := o/ow, o%ow
				var s float64
				for c := 0; c < icg; c++ {
					ic := g*icg + c
					dg := ic / (p.IC / p.DG)
					for k := 0; k < taps; k++ {
						kidx := dg*taps + k
						dy, dx := off[2*kidx*nO+o], off[(2*kidx+1)*nO+o]
						if math.Abs(dy) > 1<<30 || math.Abs(dx) > 1<<30 { // far outside; keeps int() in range
							continue
						}
						py := y*p.S[conv.H] - p.PBegin[conv.H] + (k/kw)*p.Dil[conv.H] + int(dy)
						px := x*p.S[conv.W] - p.PBegin[conv.W] + (k%kw)*p.Dil[conv.W] + int(dx)
						if py < 0 || py >= ih || px < 0 || px >= iw {
							continue
						}
						v := math.Abs(in.X[(n*p.IC+ic)*nI+py*iw+px]) * wmax[g][c*taps+k]
						if in.Mask != nil {
							v *= math.Abs(in.Mask[n*dgTaps*nO+kidx*nO+o])
						}
						s += v
					}
				}
				worst = math.Max(worst, s)
			}
		}
	}
	return worst
}
