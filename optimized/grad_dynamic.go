package optimized

import (
	"github.com/convverify/convverify/conv"
)

// Backward passes of the dynamic convolution (issue 12). Sample n is the
// conv of x[n] with W_n = Σₑ α[n,e]·w[e] and b_n = Σₑ α[n,e]·b[e], α the
// routing (sigmoid(r) or softmax(r/T)) of r = route_b + route_w·GAP(x[n]).
// Per sample, with the conv's own gradient pieces (grad_conv*.go):
//
//	dW_n = ConvBwdWeights(x[n], dy[n])            (runWeightsGemm, MB = 1)
//	dB_n[m] = Σ_o dy[n, m, o]                     (biasGrad)
//	dα[e] = ⟨dW_n, w[e]⟩ + ⟨dB_n, b[e]⟩
//	dr = dα·α(1 − α)  (sigmoid)   or   α·(dα − Σⱼ αⱼ·dαⱼ)/T  (softmax)
//	BWD_D:  dx[n] = ConvBwdData(dy[n], W_n) + (Σₑ dr[e]·route_w[e, c]) / spatial(I)
//	        (runConvBwdDataCol2im with the mixed kernel, then the routing
//	        term, through the global average pool, added to channel c)
//	BWD_W:  d(expert e) = Σₙ α[n,e]·dW_n,  d(bias e) = Σₙ α[n,e]·dB_n (BWD_WB),
//	        droute_b[e] = Σₙ dr[n,e],  droute_w[e, c] = Σₙ dr[n,e]·GAP(x[n, c])
//
// The routing (GAP, logits, α), dα, dr and the route gradients are computed
// in float64 from the float32 inputs and rounded once at the end; the mixed
// kernel is mixed in float64 and rounded once (mixInto); dW_n, dB_n and the
// data gradient are float32 GEMMs and sums in fixed orders, and the expert
// and bias gradients add float32(α·dW_n) image by image. Every step is at
// least as accurate as the float32 steps reference.GradMagnitude allows
// (routing error ρ, mixing γ_E, dα's γ_{L+1}, the products' roundings), so
// BoundC = 1 with conv.DynamicGradLength's N. Every reduction runs in
// an order fixed by the problem (the conv pieces are deterministic), so the
// result does not depend on workers.

func init() {
	registerGrad(GradVariant{
		Name:     "dynamic-bwd-mix",
		Ops:      []conv.Op{conv.OpDynamic},
		Dirs:     []conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB},
		Supports: func(p *conv.Problem) error { return nil },
		Run: func(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error {
			runDynamicBwd(p, in, dy, g, workers)
			return nil
		},
		// C = 1 with conv.DynamicGradLength's N: see above.
		BoundC: 1,
		// Not exact on the integer fill: GAP(x) is not an integer, and dr
		// through softmax divides by T, so droute_w and droute_b are real.
		Exact:         false,
		Deterministic: true,
		Kernel:        gemmKernel,
		AccumLength:   conv.DynamicGradLength,
	})
}

// dynamicRouting sets gap[c] = mean of x's channel c, and alpha, the
// routing weights of one sample (x [IC, I…]), in float64: the one place
// for the routing, of the forward variants' mixer and of the gradients.
func dynamicRouting(p *conv.Problem, x, routeW, routeB []float32, gap, r, alpha []float64) {
	isp := conv.Spatial(p.I)
	for e := range r {
		r[e] = float64(routeB[e])
	}
	for c := 0; c < p.IC; c++ {
		xc := x[c*isp : (c+1)*isp]
		s, i0 := sumAsm(xc) // a fixed order: 16 lane sums, then the tail
		for _, v := range xc[i0:] {
			s += float64(v)
		}
		gap[c] = s / float64(isp)
		for e := range r {
			r[e] += float64(routeW[e*p.IC+c]) * gap[c]
		}
	}
	if p.Routing == conv.RoutingSoftmax {
		conv.SoftmaxTInto(alpha, r, p.Temperature)
		return
	}
	for e, v := range r {
		alpha[e] = conv.Sigmoid(v)
	}
}

// runDynamicBwd computes the gradients p.Dir writes (see the file comment),
// sample by sample; each conv piece runs its own tasks on workers.
func runDynamicBwd(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) {
	one := *p
	one.Op, one.MB, one.E, one.Dir = conv.OpConv, 1, 1, conv.DirFwdD
	xn, yn := conv.Elems(one.SrcShape()), conv.Elems(one.DstShape())
	per := p.OC * p.ICG() * p.Taps()
	isp := conv.Spatial(p.I)
	gap, r, alpha := make([]float64, p.IC), make([]float64, p.E), make([]float64, p.E)
	da, dr := make([]float64, p.E), make([]float64, p.E)
	dW, dB := make([]float32, per), make([]float32, p.OC)
	var wmix []float32
	bwdD := p.Dir == conv.DirBwdD
	if bwdD {
		wmix = make([]float32, per)
	}
	var drw, drb []float64 // route gradients, accumulated in float64
	if !bwdD {
		drw, drb = make([]float64, p.E*p.IC), make([]float64, p.E)
	}
	for n := 0; n < p.MB; n++ {
		xs, dys := in.X[n*xn:(n+1)*xn], dy[n*yn:(n+1)*yn]
		dynamicRouting(p, xs, in.RouteW, in.RouteB, gap, r, alpha)
		runWeightsGemm(&one, xs, dys, dW, workers)
		biasGrad(&one, dys, dB)
		for e := 0; e < p.E; e++ {
			var s float64
			for i, v := range dW {
				s += float64(v) * float64(in.W[e*per+i])
			}
			if in.B != nil {
				for m, v := range dB {
					s += float64(v) * float64(in.B[e*p.OC+m])
				}
			}
			da[e] = s
		}
		if p.Routing == conv.RoutingSoftmax {
			var s float64
			for e := range da {
				s += alpha[e] * da[e]
			}
			for e := range dr {
				dr[e] = alpha[e] * (da[e] - s) / p.Temperature
			}
		} else {
			for e := range dr {
				dr[e] = da[e] * alpha[e] * (1 - alpha[e])
			}
		}
		if bwdD {
			mixInto(wmix, in.W, per, alpha)
			dxn := g.DX[n*xn : (n+1)*xn]
			runConvBwdDataCol2im(&one, wmix, dys, dxn, workers)
			for c := 0; c < p.IC; c++ {
				var s float64
				for e := range dr {
					s += dr[e] * float64(in.RouteW[e*p.IC+c])
				}
				t := float32(s / float64(isp))
				row := dxn[c*isp : (c+1)*isp]
				for i := range row {
					row[i] += t
				}
			}
			continue
		}
		for e := 0; e < p.E; e++ {
			accumScaled(g.DW[e*per:(e+1)*per], dW, alpha[e], n == 0)
			if g.DB != nil {
				accumScaled(g.DB[e*p.OC:(e+1)*p.OC], dB, alpha[e], n == 0)
			}
			drb[e] += dr[e]
			for c := 0; c < p.IC; c++ {
				drw[e*p.IC+c] += dr[e] * gap[c]
			}
		}
	}
	if !bwdD {
		for i, v := range drw {
			g.DRouteW[i] = float32(v)
		}
		for i, v := range drb {
			g.DRouteB[i] = float32(v)
		}
	}
}

// accumScaled sets (first) or adds dst[i] = float32(a·src[i]): the product
// rounded once, the sum in float32.
func accumScaled(dst, src []float32, a float64, first bool) {
	if first {
		for i, v := range src {
			dst[i] = float32(a * float64(v))
		}
		return
	}
	for i, v := range src {
		dst[i] += float32(a * float64(v))
	}
}
