package reference

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// DynamicGrads are the gradients of Dynamic: dx [MB, IC, I…], dw (the
// experts) [E, OC, IC/G, K…], db [E, OC] (b nil counts as 0 in α's gradient), droute_w
// [E, IC], droute_b [E].
type DynamicGrads struct {
	DX, DW, DB, DRouteW, DRouteB []float64
}

// DynamicBackward differentiates Dynamic at (x, w, b, routeW, routeB) along
// dy. With gap, r and α as in Alphas (recomputed here, not called), Wn =
// Σₑ α[n,e]·w[e], Bn = Σₑ α[n,e]·b[e], and for each sample n
//
//	dWn = ConvBackwardWeights(x[n], dy[n]),   dBn[m] = Σ_o dy[n, m, o]
//	dw[e]  = Σ_n α[n,e]·dWn,                  db[e] = Σ_n α[n,e]·dBn
//	dα[n,e] = ⟨dWn, w[e]⟩ + ⟨dBn, b[e]⟩
//	dr[n,e] = dα·α(1−α)                                      (sigmoid)
//	dr[n,e] = α[n,e]·(dα[n,e] − Σ_j α[n,j]·dα[n,j]) / T     (softmax(r/T))
//	droute_b[e] = Σ_n dr[n,e],  droute_w[e,c] = Σ_n dr[n,e]·gap[n,c]
//	dx[n, c, i] = ConvBackwardData(dy[n], Wn)[c, i] + Σₑ dr[n,e]·routeW[e,c] / (ID·IH·IW)
//
// the last term being the path through the global average pool.
func DynamicBackward(p *conv.Problem, x, w, b, routeW, routeB, dy []float64) DynamicGrads {
	one := *p
	one.Op, one.MB, one.E = conv.OpConv, 1, 1
	xn, yn := conv.Elems(one.SrcShape()), conv.Elems(one.DstShape())
	wsize := p.OC * p.ICG() * p.Taps()
	sp := conv.Spatial(p.I)
	gr := DynamicGrads{
		DX:      make([]float64, 0, p.MB*xn),
		DW:      make([]float64, p.E*wsize),
		DRouteW: make([]float64, p.E*p.IC),
		DRouteB: make([]float64, p.E),
		DB:      make([]float64, p.E*p.OC),
	}
	for n := 0; n < p.MB; n++ {
		xs, dys := x[n*xn:(n+1)*xn], dy[n*yn:(n+1)*yn]
		// The routing, from its definition.
		gap := make([]float64, p.IC)
		for c := range gap {
			var s float64
			for _, v := range xs[c*sp : (c+1)*sp] {
				s += v
			}
			gap[c] = s / float64(sp)
		}
		alpha := make([]float64, p.E)
		r := make([]float64, p.E)
		for e := range r {
			r[e] = routeB[e]
			for c := 0; c < p.IC; c++ {
				r[e] += routeW[e*p.IC+c] * gap[c]
			}
		}
		if p.Routing == conv.RoutingSoftmax {
			m := math.Inf(-1)
			for _, v := range r {
				m = math.Max(m, v/p.Temperature)
			}
			var z float64
			for e, v := range r {
				alpha[e] = math.Exp(v/p.Temperature - m)
				z += alpha[e]
			}
			for e := range alpha {
				alpha[e] /= z
			}
		} else {
			for e, v := range r {
				alpha[e] = 1 / (1 + math.Exp(-v))
			}
		}
		// The sample's mixed kernel, and the gradients of the mixed kernel and bias.
		wn := make([]float64, wsize)
		for e := 0; e < p.E; e++ {
			for i := range wn {
				wn[i] += alpha[e] * w[e*wsize+i]
			}
		}
		dwn := ConvBackwardWeights(&one, xs, dys)
		dbn := BiasGrad(&one, dys)
		dalpha := make([]float64, p.E)
		for e := 0; e < p.E; e++ {
			for i, v := range dwn {
				gr.DW[e*wsize+i] += alpha[e] * v
				dalpha[e] += v * w[e*wsize+i]
			}
			for m, v := range dbn {
				gr.DB[e*p.OC+m] += alpha[e] * v
				if b != nil {
					dalpha[e] += v * b[e*p.OC+m]
				}
			}
		}
		dr := make([]float64, p.E)
		if p.Routing == conv.RoutingSoftmax {
			var s float64
			for e := range alpha {
				s += alpha[e] * dalpha[e]
			}
			for e := range dr {
				dr[e] = alpha[e] * (dalpha[e] - s) / p.Temperature
			}
		} else {
			for e := range dr {
				dr[e] = dalpha[e] * alpha[e] * (1 - alpha[e])
			}
		}
		dgap := make([]float64, p.IC)
		for e := 0; e < p.E; e++ {
			gr.DRouteB[e] += dr[e]
			for c := 0; c < p.IC; c++ {
				gr.DRouteW[e*p.IC+c] += dr[e] * gap[c]
				dgap[c] += dr[e] * routeW[e*p.IC+c]
			}
		}
		dxn := ConvBackwardData(&one, dys, wn)
		for c := 0; c < p.IC; c++ {
			for i := c * sp; i < (c+1)*sp; i++ {
				dxn[i] += dgap[c] / float64(sp)
			}
		}
		gr.DX = append(gr.DX, dxn...)
	}
	return gr
}
