package main

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// dynamicGrads computes the gradients of a dynamic convolution (CondConv)
// in float32, by the chain rule written out per sample n:
//
//	gap[c] = mean of x[n,c];  r[e] = route_w[e]·gap + route_b[e]
//	α = sigmoid(r), or softmax(r / T)
//	y[n] = conv(x[n], Σₑ α[e]·w[e]) + Σₑ α[e]·b[e]
//
// dwmix = conv's weight gradient of sample n (Σ_o dy·x), dbmix = Σ_o dy;
// dα[e] = ⟨dwmix, w[e]⟩ + ⟨dbmix, b[e]⟩; dr = dα·α·(1 − α) (sigmoid) or
// α·(dα − Σ α·dα)/T (softmax); then dw[e] += α[e]·dwmix, db[e] +=
// α[e]·dbmix, droute_w[e,c] += dr[e]·gap[c], droute_b[e] += dr[e], and dx =
// conv's data gradient with the mixed kernel plus Σₑ dr[e]·route_w[e,c]/Π(in)
// at every position of channel c.
func dynamicGrads(p *conv.Problem, x, w, b, routeW, routeB, dy []float32) gradients {
	e, icg := p.E, p.ICG()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	wn := p.OC * icg * p.Taps() // one expert's kernel
	var g gradients
	wantD := p.Dir == conv.DirBwdD
	if wantD {
		g.dx = make([]float32, conv.Elems(p.SrcShape()))
	} else {
		g.dw = make([]float32, len(w))
		g.droutew = make([]float32, len(routeW))
		g.drouteb = make([]float32, len(routeB))
		if p.Dir == conv.DirBwdWB {
			g.db = make([]float32, e*p.OC)
		}
	}
	q := *p // one sample, as a conv with the mixed kernel
	q.Op, q.MB = conv.OpConv, 1
	gap := make([]float32, p.IC)
	alpha := make([]float32, e)
	dalpha := make([]float32, e)
	dr := make([]float32, e)
	wmix := make([]float32, wn)
	dwmix := make([]float32, wn)
	dbmix := make([]float32, p.OC)
	for n := 0; n < p.MB; n++ {
		xn := x[n*p.IC*isp : (n+1)*p.IC*isp]
		dyn := dy[n*p.OC*osp : (n+1)*p.OC*osp]
		for c := range gap {
			var s float32
			for _, v := range xn[c*isp : (c+1)*isp] {
				s += v
			}
			gap[c] = s / float32(isp)
		}
		for k := 0; k < e; k++ {
			r := routeB[k]
			for c := range gap {
				r += routeW[k*p.IC+c] * gap[c]
			}
			alpha[k] = r
		}
		if p.Routing == conv.RoutingSoftmax {
			t := float32(p.Temperature)
			most := float32(math.Inf(-1))
			for _, r := range alpha {
				most = max(most, r/t)
			}
			var sum float32
			for k, r := range alpha {
				alpha[k] = float32(math.Exp(float64(r/t - most)))
				sum += alpha[k]
			}
			for k := range alpha {
				alpha[k] /= sum
			}
		} else {
			for k, r := range alpha {
				alpha[k] = float32(1 / (1 + math.Exp(-float64(r))))
			}
		}
		clear(wmix)
		for k := 0; k < e; k++ {
			for i, v := range w[k*wn : (k+1)*wn] {
				wmix[i] += alpha[k] * v
			}
		}
		// The convolution part: dwmix, dbmix, and dx through the mixed kernel.
		clear(dwmix)
		clear(dbmix)
		var dxn []float32
		if wantD {
			dxn = g.dx[n*p.IC*isp : (n+1)*p.IC*isp]
		}
		pairs(&q, func(xi, wi, yi int) {
			dwmix[wi] += dyn[yi] * xn[xi]
			if wantD {
				dxn[xi] += dyn[yi] * wmix[wi]
			}
		})
		for m := 0; m < p.OC; m++ {
			for _, v := range dyn[m*osp : (m+1)*osp] {
				dbmix[m] += v
			}
		}
		// The routing part.
		for k := 0; k < e; k++ {
			var s float32
			for i, v := range w[k*wn : (k+1)*wn] {
				s += dwmix[i] * v
			}
			if b != nil {
				for m := 0; m < p.OC; m++ {
					s += dbmix[m] * b[k*p.OC+m]
				}
			}
			dalpha[k] = s
		}
		if p.Routing == conv.RoutingSoftmax {
			var dot float32
			for k := range alpha {
				dot += alpha[k] * dalpha[k]
			}
			for k := range alpha {
				dr[k] = alpha[k] * (dalpha[k] - dot) / float32(p.Temperature)
			}
		} else {
			for k := range alpha {
				dr[k] = dalpha[k] * alpha[k] * (1 - alpha[k])
			}
		}
		if wantD {
			for c := 0; c < p.IC; c++ {
				var dgap float32
				for k := 0; k < e; k++ {
					dgap += dr[k] * routeW[k*p.IC+c]
				}
				d := dgap / float32(isp)
				for i := range dxn[c*isp : (c+1)*isp] {
					dxn[c*isp+i] += d
				}
			}
			continue
		}
		for k := 0; k < e; k++ {
			for i, v := range dwmix {
				g.dw[k*wn+i] += alpha[k] * v
			}
			if g.db != nil {
				for m, v := range dbmix {
					g.db[k*p.OC+m] += alpha[k] * v
				}
			}
			for c := range gap {
				g.droutew[k*p.IC+c] += dr[k] * gap[c]
			}
			g.drouteb[k] += dr[k]
		}
	}
	return g
}
