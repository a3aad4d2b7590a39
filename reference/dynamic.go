package reference

import "github.com/convverify/convverify/conv"

// Dynamic is the dynamic convolution (CondConv, Dynamic Convolution): each
// sample n is convolved with its own kernel and bias mixed from E experts,
//
//	y[n] = Conv(x[n], Σₑ α[n,e]·w[e], Σₑ α[n,e]·b[e])
//
// with α = Alphas(p, x, routeW, routeB). w is [E, OC, IC/G, K…], b [E, OC] or nil.
func Dynamic(p *conv.Problem, x, w, b, routeW, routeB []float64, c *Counter) []float64 {
	return dynamicWith(p, x, w, b, Alphas(p, x, routeW, routeB), c)
}

// dynamicWith convolves each sample with the experts mixed by the given α
// ([MB][E] flat), so that Magnitude can pass the real α with |x| and |w|.
func dynamicWith(p *conv.Problem, x, w, b, alpha []float64, c *Counter) []float64 {
	one := *p
	one.Op, one.MB = conv.OpConv, 1
	xn, yn := conv.Elems(one.SrcShape()), conv.Elems(one.DstShape())
	y := make([]float64, 0, p.MB*yn)
	for n := 0; n < p.MB; n++ {
		wn, bn := MixKernel(p, w, b, alpha[n*p.E:(n+1)*p.E])
		y = append(y, Conv(&one, x[n*xn:(n+1)*xn], wn, bn, c)...)
	}
	return y
}

// Alphas returns the routing weights α, [MB][E] flat:
//
//	gap[n, c] = mean over every spatial position of x[n, c]
//	r[n, e]   = routeB[e] + Σ_c routeW[e, c]·gap[n, c]
//	α[n, ·]   = sigmoid(r[n, ·])  or  softmax(r[n, ·] / T)
func Alphas(p *conv.Problem, x, routeW, routeB []float64) []float64 {
	sp := conv.Spatial(p.I)
	alpha := make([]float64, 0, p.MB*p.E)
	for n := 0; n < p.MB; n++ {
		gap := make([]float64, p.IC)
		for c := 0; c < p.IC; c++ {
			var s float64
			for _, v := range x[(n*p.IC+c)*sp : (n*p.IC+c+1)*sp] {
				s += v
			}
			gap[c] = s / float64(sp)
		}
		r := make([]float64, p.E)
		for e := 0; e < p.E; e++ {
			r[e] = routeB[e]
			for c := 0; c < p.IC; c++ {
				r[e] += routeW[e*p.IC+c] * gap[c]
			}
		}
		if p.Routing == conv.RoutingSoftmax {
			alpha = append(alpha, conv.SoftmaxT(r, p.Temperature)...)
		} else {
			for _, v := range r {
				alpha = append(alpha, conv.Sigmoid(v))
			}
		}
	}
	return alpha
}

// MixKernel returns one sample's kernel Σₑ α[e]·w[e] ([OC, IC/G, K…]) and bias
// Σₑ α[e]·b[e] ([OC], nil when b is nil); alpha has length E.
func MixKernel(p *conv.Problem, w, b, alpha []float64) (wn, bn []float64) {
	size := p.OC * p.ICG() * p.Taps()
	wn = make([]float64, size)
	for e := 0; e < p.E; e++ {
		for i := range wn {
			wn[i] += alpha[e] * w[e*size+i]
		}
	}
	if b != nil {
		bn = make([]float64, p.OC)
		for e := 0; e < p.E; e++ {
			for m := range bn {
				bn[m] += alpha[e] * b[e*p.OC+m]
			}
		}
	}
	return wn, bn
}
