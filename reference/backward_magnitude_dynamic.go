package reference

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// DynamicGradLength is conv.DynamicGradLength, the N that GradMagnitude's
// dynamic magnitudes are derived for.
var DynamicGradLength = conv.DynamicGradLength

// Roundings of the dynamic gradients' steps (γ_k, see dynamicGradMagnitude).
const (
	// tempRoundings: ·/T with T rounded to float32 and a product before it.
	tempRoundings = 3
	// gapDivRoundings: ·/spatial(I), or · fl(1/spatial(I)).
	gapDivRoundings = 2
)

// dynamicGradMagnitude is GradMagnitude for dynamic. Per sample n, α, gap
// and the float32 routing's relative error ρₙ are those of the forward bound
// (Alphas, routingError: |α̃ₑ − αₑ| ≤ ρ·αₑ, |g̃ap_c − gap_c| ≤ δgap_c =
// γ_{sp+1}·mean|x_c|), and κ = γ_E·(1 + ρ) + ρ bounds the mixed kernel's
// error relative to Σₑ αₑ|wₑ| (dynamicTermError). |dW|n and |dB|n are the
// conv's weight and bias gradients of sample n on |x|, |dy|.
//
//   - dw[e] = Σₙ α·dWn: terms dy·x·α (three factors, k = 1):
//     S = Σₙ α·|dW|n, T = Σₙ α·(ρ + u·(1 + ρ))·|dW|n.
//   - db[e] = Σₙ α·dBn: terms dy·α (two factors, k = 0): S = Σₙ α·|dB|n,
//     T = Σₙ ρ·α·|dB|n.
//   - dα[n,e] = ⟨dWn, wₑ⟩ + ⟨dBn, bₑ⟩ sums L = OC·spatial(O)·(IC/G·taps + 1)
//     products of at most three factors in any grouping, so its float32
//     error is Δαₑ ≤ γ_{L+1}·Mₑ, Mₑ = ⟨|dW|n, |wₑ|⟩ + ⟨|dB|n, |bₑ|⟩.
//   - dr, the gradient of the logits, with its float32 error Δdr:
//     softmax(r/T): s = Σⱼ αⱼ·dαⱼ, uₑ = dαₑ − s, drₑ = αₑ·uₑ/T;
//     Δs = Σⱼ [ρ·αⱼ(|dαⱼ| + Δαⱼ) + αⱼ·Δαⱼ + γ_E·(1 + ρ)αⱼ(|dαⱼ| + Δαⱼ)],
//     Δuₑ = Δαₑ + Δs + u·(|uₑ| + Δαₑ + Δs),
//     Δdrₑ = [ρ·αₑ(|uₑ| + Δuₑ) + αₑ·Δuₑ]·(1 + γ₃)/|T| + γ₃·αₑ|uₑ|/|T|.
//     sigmoid: σ' = α(1 − α) computed from α̃ as α̃·(1 − α̃) (2 roundings):
//     Δσ' = (1 + γ₂)·(ρα|1 − 2α| + ρ²α²) + γ₂·σ', drₑ = dαₑ·σ',
//     Δdrₑ = [Δαₑ(σ' + Δσ') + |dαₑ|·Δσ']·(1 + u) + u·|dαₑ|·σ'.
//   - droute_b[e] = Σₙ drₙₑ: terms dr (k = 0): S = Σ|dr|, T = Σ Δdr.
//   - droute_w[e, c] = Σₙ dr·gap_c: terms of two computed factors (k = 0):
//     S = Σ|dr·gap|, T = Σ (Δdr·|gap| + |dr|·δgap + Δdr·δgap).
//   - dx[n, c, i] = Σ dy·W̃n + t_R, t_R = dgap_c/sp, dgap_c = Σₑ drₑ·route_w[e, c]:
//     the conv terms (two factors, k = 0) give S = ConvBackwardData(|dy|,
//     Σₑ αₑ|wₑ|) and T = κ·S; the routing term is one more term, computed
//     with error E_R = [Δgap_c(1 + γ₂) + γ₂|dgap_c|]/sp where
//     Δgap_c = (1 + γ_E)·Σₑ|route_w|·Δdrₑ + γ_E·Σₑ|drₑ·route_w| (E products
//     summed); S adds |t_R|, T adds E_R.
//
// Each Δ follows from |ã·b̃ − a·b| ≤ |ã − a|·|b̃| + |a|·|b̃ − b| and one
// relative u per float32 operation (γ_k for k of them); the Δ are absolute
// errors, so cancellation (dαₑ ≈ s, α ≈ 1, dgap ≈ 0) cannot hide behind a
// small result. The order of the sigmoid's three factors dα·α·(1 − α) does
// not matter (the same three roundings). An implementation that sums the
// experts' data gradients instead of mixing the kernel first meets the
// same roundings per term (E − 1 additions and one product more, as κ
// counts). Every T is turned into magnitude units with N =
// DynamicGradLength (gradTermMag). The sigmoid derivative formula (from α̃)
// and the T rounding counts are assumptions about the implementation, as
// in routingError; a float32 chain rule written operation by operation
// (dynamicBackward32 in the tests) stays within a third of the bound.
func dynamicGradMagnitude(p *conv.Problem, in conv.Inputs[float64], dy []float64) (Grads, error) {
	if err := magnitudeCheck(p, in, dy); err != nil {
		return Grads{}, err
	}
	one := *p
	one.Op, one.MB, one.E, one.Dir = conv.OpConv, 1, 1, conv.DirBwdWB
	xn, yn := conv.Elems(one.SrcShape()), conv.Elems(one.DstShape())
	wsize := p.OC * p.ICG() * p.Taps()
	sp := conv.Spatial(p.I)
	u := conv.U32
	alpha := Alphas(p, in.X, in.RouteW, in.RouteB)
	rho := routingError(p, in)
	L := p.OC * conv.Spatial(p.O) * (p.ICG()*p.Taps() + 1)
	gL := conv.Gamma(L + 1)
	gE := conv.Gamma(p.E)

	bwdD := p.Dir == conv.DirBwdD
	var sDX, tDX, sDW, tDW, sDB, tDB, sRW, tRW, sRB, tRB []float64
	if bwdD {
		sDX, tDX = make([]float64, 0, len(in.X)), make([]float64, 0, len(in.X))
	} else {
		sDW, tDW = make([]float64, p.E*wsize), make([]float64, p.E*wsize)
		sDB, tDB = make([]float64, p.E*p.OC), make([]float64, p.E*p.OC)
		sRW, tRW = make([]float64, p.E*p.IC), make([]float64, p.E*p.IC)
		sRB, tRB = make([]float64, p.E), make([]float64, p.E)
	}
	for n := 0; n < p.MB; n++ {
		xs, dys := in.X[n*xn:(n+1)*xn], dy[n*yn:(n+1)*yn]
		al, rh := alpha[n*p.E:(n+1)*p.E], rho[n]
		gap, dgapIn := make([]float64, p.IC), make([]float64, p.IC) // gap and its float32 error δgap
		for c := range gap {
			var s, sa float64
			for _, v := range xs[c*sp : (c+1)*sp] {
				s += v
				sa += math.Abs(v)
			}
			gap[c] = s / float64(sp)
			dgapIn[c] = conv.Gamma(sp+1) * sa / float64(sp)
		}
		ax, ady := conv.Abs(xs), conv.Abs(dys)
		dW, dWa := ConvBackwardWeights(&one, xs, dys), ConvBackwardWeights(&one, ax, ady)
		dB, dBa := BiasGrad(&one, dys), BiasGrad(&one, ady)
		// dα, its float32 error, and dr with its error.
		da, dDa := make([]float64, p.E), make([]float64, p.E)
		for e := 0; e < p.E; e++ {
			var v, m float64
			for i, g := range dW {
				v += g * in.W[e*wsize+i]
				m += dWa[i] * math.Abs(in.W[e*wsize+i])
			}
			if in.B != nil {
				for o, g := range dB {
					v += g * in.B[e*p.OC+o]
					m += dBa[o] * math.Abs(in.B[e*p.OC+o])
				}
			}
			da[e], dDa[e] = v, gL*m
		}
		dr, dDr := make([]float64, p.E), make([]float64, p.E)
		if p.Routing == conv.RoutingSoftmax {
			var s, ds float64
			for j := range da {
				s += al[j] * da[j]
				pj := al[j] * (math.Abs(da[j]) + dDa[j])
				ds += rh*pj + al[j]*dDa[j] + gE*(1+rh)*pj
			}
			t := math.Abs(p.Temperature)
			g3 := conv.Gamma(tempRoundings)
			for e := range dr {
				ue := da[e] - s
				du := dDa[e] + ds + u*(math.Abs(ue)+dDa[e]+ds)
				dr[e] = al[e] * ue / p.Temperature
				dDr[e] = (rh*al[e]*(math.Abs(ue)+du)+al[e]*du)*(1+g3)/t + g3*al[e]*math.Abs(ue)/t
			}
		} else {
			g2 := conv.Gamma(2)
			for e := range dr {
				a := al[e]
				sd := a * (1 - a)
				dsd := (1+g2)*(rh*a*math.Abs(1-2*a)+rh*rh*a*a) + g2*sd
				dr[e] = da[e] * sd
				dDr[e] = (dDa[e]*(sd+dsd)+math.Abs(da[e])*dsd)*(1+u) + u*math.Abs(da[e])*sd
			}
		}
		if !bwdD {
			k1 := rh + u*(1+rh)
			for e := 0; e < p.E; e++ {
				for i, v := range dWa {
					sDW[e*wsize+i] += al[e] * v
					tDW[e*wsize+i] += al[e] * k1 * v
				}
				for o, v := range dBa {
					sDB[e*p.OC+o] += al[e] * v
					tDB[e*p.OC+o] += rh * al[e] * v
				}
				sRB[e] += math.Abs(dr[e])
				tRB[e] += dDr[e]
				for c := 0; c < p.IC; c++ {
					ag := math.Abs(gap[c])
					sRW[e*p.IC+c] += math.Abs(dr[e]) * ag
					tRW[e*p.IC+c] += dDr[e]*ag + math.Abs(dr[e])*dgapIn[c] + dDr[e]*dgapIn[c]
				}
			}
			continue
		}
		kappa := gE*(1+rh) + rh
		wa, _ := MixKernel(p, conv.Abs(in.W), nil, al)
		s1 := ConvBackwardData(&one, ady, wa)
		g2 := conv.Gamma(gapDivRoundings)
		for c := 0; c < p.IC; c++ {
			var dgap, dgapErr, dgapMag float64
			for e := 0; e < p.E; e++ {
				rw := in.RouteW[e*p.IC+c]
				dgap += dr[e] * rw
				dgapErr += math.Abs(rw) * dDr[e]
				dgapMag += math.Abs(dr[e] * rw)
			}
			dgapErr = (1+gE)*dgapErr + gE*dgapMag
			tR := math.Abs(dgap) / float64(sp)
			eR := (dgapErr*(1+g2) + g2*math.Abs(dgap)) / float64(sp)
			for _, v := range s1[c*sp : (c+1)*sp] {
				sDX = append(sDX, v+tR)
				tDX = append(tDX, kappa*v+eR)
			}
		}
	}
	var g Grads
	if bwdD {
		g.DX = combine(sDX, tDX, DynamicGradLength(p, "dx"))
		return g, nil
	}
	g.DW = combine(sDW, tDW, DynamicGradLength(p, "dw"))
	g.DRouteW = combine(sRW, tRW, DynamicGradLength(p, "droute_w"))
	g.DRouteB = combine(sRB, tRB, DynamicGradLength(p, "droute_b"))
	if p.Dir == conv.DirBwdWB {
		g.DB = combine(sDB, tDB, DynamicGradLength(p, "db"))
	}
	return g, nil
}
