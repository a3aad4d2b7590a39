package reference

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// This file bounds the float32 error that the terms of an output's sum carry
// before they are summed: the sampled values of deform and the routed, mixed
// kernel of dynamic. Conv and deconv terms are products of inputs, whose
// rounding the summation bound γ_N already counts. docs/bounds.md derives
// every formula here; the comments name the step of the derivation.

// Float32 rounding counts of the steps below, each a γ_k (conv.Gamma).
const (
	// positionRoundings: p = (o·s − pad + k·d) + Δ in any order of the two
	// additions, two roundings at most (§deform, step 1); γ₂ rather than u
	// keeps the second-order terms.
	positionRoundings = 2
	// bilinearRoundings: weights (1 − l)(1 − l') carry 3 roundings (two
	// subtractions from 1, one product), the sum of four products 4 more in
	// any order, with or without FMA (step 3).
	bilinearRoundings = 7
	// expRoundings: a float32 exp within 1 ulp has relative error ≤ 2u, at
	// most γ₂ (steps of §dynamic).
	expRoundings = 2
	// sigmoidRoundings: e^r/(1 + e^r) — two exps, one addition, one
	// division — the costlier of the two usual formulas (1/(1 + e^−r) has 4).
	sigmoidRoundings = 2*expRoundings + 2
)

// termError returns, per output element, the bound on Σₖ|ŵₖ|·|t̃ₖ − tₖ| that
// conv.MagnitudeOfTermError turns into magnitude units: for deform the
// sampled values mask·bilinear(x, p) computed in float32 with float32
// positions and weights, for dynamic the kernel Σₑ α̃ₑ·wₑ mixed in float32
// from float32 routing. It returns nil for conv and deconv. mag is the
// magnitude of the exact terms, Σ|t·w| per element.
func termError(p *conv.Problem, in conv.Inputs[float64], mag []float64) []float64 {
	switch p.Op {
	case conv.OpDeform:
		return deformTermError(p, in)
	case conv.OpDynamic:
		return dynamicTermError(p, in, mag)
	}
	return nil
}

// deformTermError is Σ over Deform's taps of |w|·|mask|·E', where E'
// (sampleError) bounds |c̃ − c|/|mask| for the computed column value
// c̃ = fl(mask·ṽ) of one tap. E' depends on the input channel and the tap,
// not on the output channel, so it is computed once per output position.
func deformTermError(p *conv.Problem, in conv.Inputs[float64]) []float64 {
	icg, ocg := p.ICG(), p.OCG()
	icPerDG := p.IC / p.DG
	kh, kw := p.K[conv.H], p.K[conv.W]
	offCh, maskCh := 2*p.DG*kh*kw, p.DG*kh*kw
	e := make([]float64, conv.Elems(p.DstShape()))
	col := make([]float64, p.IC*kh*kw) // |mask|·E' per (input channel, tap) at one output position
	for n := 0; n < p.MB; n++ {
		for oh := 0; oh < p.O[conv.H]; oh++ {
			for ow := 0; ow < p.O[conv.W]; ow++ {
				for ic := 0; ic < p.IC; ic++ {
					dg := ic / icPerDG
					for i := 0; i < kh; i++ {
						for j := 0; j < kw; j++ {
							kidx := (dg*kh+i)*kw + j
							dy := in.Offset[at(offCh, p.O, n, 2*kidx, 0, oh, ow)]
							dx := in.Offset[at(offCh, p.O, n, 2*kidx+1, 0, oh, ow)]
							by := axisTerms{base: oh*p.S[conv.H] - p.PBegin[conv.H], tap: i * p.Dil[conv.H], off: dy}
							bx := axisTerms{base: ow*p.S[conv.W] - p.PBegin[conv.W], tap: j * p.Dil[conv.W], off: dx}
							t := sampleError(p, in.X, n, ic, by, bx)
							if in.Mask != nil {
								t *= math.Abs(in.Mask[at(maskCh, p.O, n, kidx, 0, oh, ow)])
							}
							col[(ic*kh+i)*kw+j] = t
						}
					}
				}
				for m := 0; m < p.OC; m++ {
					g := m / ocg
					var sum float64
					for ci := 0; ci < icg; ci++ {
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								sum += math.Abs(in.W[at(icg, p.K, m, ci, 0, i, j)]) * col[((g*icg+ci)*kh+i)*kw+j]
							}
						}
					}
					e[at(p.OC, p.O, n, m, 0, oh, ow)] = sum
				}
			}
		}
	}
	return e
}

// axisTerms are the three terms of a sampling position on one axis:
// base = o·s − pad and tap = k·dil (integers), off = Δ (a float32 input).
type axisTerms struct {
	base, tap int
	off       float64
}

func (a axisTerms) pos() float64 { return float64(a.base+a.tap) + a.off }

// slack bounds |p* − p|, the distance between the exact position p and the
// position p* at which a float32 implementation's bilinear weights are exact
// (docs/bounds.md §deform, steps 1–2). The two integers base and tap add
// exactly; the rounding is that of adding Δ, u·|p|, or, in an order that adds
// Δ to one integer first, u·|that partial sum| more. The fraction
// l = p̃ − ⌊p̃⌋ is exact unless ⌊p̃⌋ = −1, where p̃ + 1 rounds by at most u.
func (a axisTerms) slack() float64 {
	p := math.Abs(a.pos())
	first := math.Max(math.Abs(float64(a.base)+a.off), math.Abs(float64(a.tap)+a.off))
	s := conv.Gamma(positionRoundings) * (p + first)
	if a.pos()-s < 0 {
		s += conv.U32
	}
	return s
}

// sampleError bounds, for one tap, |fl(mask·ṽ) − mask·v|/|mask| where v is
// x[n, ic] interpolated at the exact position and ṽ the float32
// interpolation at the computed one (docs/bounds.md §deform):
//
//	E  = L_y·δ_y + L_x·δ_x + γ₇·A        (steps 2–3: moved position, rounded weights and sum)
//	E' = E + u·(A + E)                   (step 4: the product with the mask)
//
// δ are the slacks; over the box p ± δ, L_y and L_x are the largest
// differences between vertically and horizontally adjacent neighbours (the
// interpolant is continuous and piecewise bilinear, neighbours outside the
// image being 0, so these bound its partial derivatives there), and A is the
// largest |x| among the neighbours the box reaches.
func sampleError(p *conv.Problem, x []float64, n, ic int, ay, ax axisTerms) float64 {
	py, px := ay.pos(), ax.pos()
	dy, dx := ay.slack(), ax.slack()
	ih, iw := p.I[conv.H], p.I[conv.W]
	if math.IsNaN(py) || math.IsNaN(px) || math.IsInf(py, 0) || math.IsInf(px, 0) {
		return 0 // the reference reads 0 there; a float32 implementation reads 0 or NaN, never a wrong finite value
	}
	// Rows r and columns c of the neighbours that the box's cells reach,
	// clamped to the ring of zeros around the image (beyond it all is 0).
	r0, r1 := cellRange(py, dy, ih)
	c0, c1 := cellRange(px, dx, iw)
	if r0 > r1 || c0 > c1 {
		return 0
	}
	pix := func(r, c int) float64 {
		if !inside(r, ih) || !inside(c, iw) {
			return 0
		}
		return x[at(p.IC, p.I, n, ic, 0, r, c)]
	}
	var ly, lx, a float64
	for r := r0; r <= r1+1; r++ {
		for c := c0; c <= c1+1; c++ {
			v := pix(r, c)
			a = math.Max(a, math.Abs(v))
			if r <= r1 {
				ly = math.Max(ly, math.Abs(pix(r+1, c)-v))
			}
			if c <= c1 {
				lx = math.Max(lx, math.Abs(pix(r, c+1)-v))
			}
		}
	}
	e := ly*dy + lx*dx + conv.Gamma(bilinearRoundings)*a
	return e + conv.U32*(a+e)
}

// cellRange returns the first and last cell index ⌊q⌋ for q in [v − d, v + d],
// clamped to [−1, size − 1]: the cells whose four neighbours are not all
// outside an axis of the given size. lo > hi when there is none.
func cellRange(v, d float64, size int) (lo, hi int) {
	a, b := math.Floor(v-d), math.Floor(v+d)
	a = math.Max(a, -1)
	b = math.Min(b, float64(size-1))
	if a > b {
		return 1, 0
	}
	return int(a), int(b)
}

// dynamicTermError is κₙ·mag per element of sample n: the float32 mixed
// kernel w̃ = Σₑ fl(α̃ₑ·wₑ) (bias likewise) differs from Σₑ αₑ·wₑ by at most
// κ·Σₑ αₑ|wₑ| elementwise, so the terms x·w̃ differ from x·w by at most
// κ·Σ|x|·Σₑ αₑ|wₑ| = κ·mag in all (docs/bounds.md §dynamic), with
//
//	κ = γ_E·(1 + ρ) + ρ,  ρ = max over e of |α̃ₑ − αₑ|/αₑ (routingError).
func dynamicTermError(p *conv.Problem, in conv.Inputs[float64], mag []float64) []float64 {
	rho := routingError(p, in)
	per := len(mag) / p.MB
	e := make([]float64, len(mag))
	for n := 0; n < p.MB; n++ {
		kappa := conv.Gamma(p.E)*(1+rho[n]) + rho[n]
		for i := n * per; i < (n+1)*per; i++ {
			e[i] = kappa * mag[i]
		}
	}
	return e
}

// routingError returns per sample n a bound ρₙ on the relative error
// |α̃ₑ − αₑ|/αₑ of float32 routing weights (docs/bounds.md §dynamic):
//
//	δgap_c = γ_{sp+1}·mean|x_c|                                 (sum of sp values, one or two roundings for /sp)
//	δr_e   = γ_{IC+1}·(|b_e| + Σ_c|W_ec|·(|gap_c| + δgap_c)) + Σ_c|W_ec|·δgap_c
//	sigmoid: ρ = (1 + γ₆)·exp(max δr) − 1                      (|d ln σ/dr| = 1 − σ ≤ 1)
//	softmax: δz_j = (1 + γ₂)·δr_j/|T| + γ₂·|z_j|, Z = max(|z_j| + δz_j),
//	         D = max δz_j + 2u·Z,  ρ = (1 + γ_{E+5})·exp(2D) − 1
//
// where z = r/T; softmax(z − m) = softmax(z) for any m, so only the rounding
// of z − max z counts, and a perturbation δ of the logits moves ln αₑ by at
// most |δₑ| + max|δ|.
func routingError(p *conv.Problem, in conv.Inputs[float64]) []float64 {
	sp := conv.Spatial(p.I)
	rho := make([]float64, p.MB)
	for n := 0; n < p.MB; n++ {
		gap, dgap := make([]float64, p.IC), make([]float64, p.IC)
		for c := 0; c < p.IC; c++ {
			var s, sa float64
			for _, v := range in.X[(n*p.IC+c)*sp : (n*p.IC+c+1)*sp] {
				s += v
				sa += math.Abs(v)
			}
			gap[c] = s / float64(sp)
			dgap[c] = conv.Gamma(sp+1) * sa / float64(sp)
		}
		dr := make([]float64, p.E)
		r := make([]float64, p.E)
		for e := 0; e < p.E; e++ {
			sum, prop := math.Abs(in.RouteB[e]), 0.0
			r[e] = in.RouteB[e]
			for c := 0; c < p.IC; c++ {
				w := in.RouteW[e*p.IC+c]
				r[e] += w * gap[c]
				sum += math.Abs(w) * (math.Abs(gap[c]) + dgap[c])
				prop += math.Abs(w) * dgap[c]
			}
			dr[e] = conv.Gamma(p.IC+1)*sum + prop
		}
		if p.Routing == conv.RoutingSoftmax {
			t := math.Abs(p.Temperature)
			var zmax, dmax float64
			for e := 0; e < p.E; e++ {
				z := math.Abs(r[e] / p.Temperature)
				dz := (1+conv.Gamma(2))*dr[e]/t + conv.Gamma(2)*z
				zmax = math.Max(zmax, z+dz)
				dmax = math.Max(dmax, dz)
			}
			d := dmax + 2*conv.U32*zmax
			rho[n] = (1+conv.Gamma(p.E+5))*math.Exp(2*d) - 1
		} else {
			var dmax float64
			for _, v := range dr {
				dmax = math.Max(dmax, v)
			}
			rho[n] = (1+conv.Gamma(sigmoidRoundings))*math.Exp(dmax) - 1
		}
	}
	return rho
}
