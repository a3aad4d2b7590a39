package oracles

import (
	"github.com/convverify/convverify/conv"

	"gonum.org/v1/gonum/mat"
)

// RoutingWeights returns α[n][e], the expert weights of a dynamic convolution
// for every sample, computed here and not borrowed from the reference:
//
//	gap[ic] = (1/ΠI) · Σ_i x[n, ic, i]
//	r[e]    = Σ_ic route_w[e, ic] · gap[ic] + route_b[e]
//	α       = sigmoid(r)          (RoutingSigmoid, per expert)
//	α       = softmax(r / T)      (RoutingSoftmax)
//
// The inputs must have passed in.Check(p).
func RoutingWeights(p *conv.Problem, in conv.Inputs[float64]) [][]float64 {
	nI := conv.Spatial(p.I)
	alpha := make([][]float64, p.MB)
	gap := make([]float64, p.IC)
	for n := range alpha {
		for ic := range gap {
			var s float64
			for _, v := range in.X[(n*p.IC+ic)*nI : (n*p.IC+ic+1)*nI] {
				s += v
			}
			gap[ic] = s / float64(nI)
		}
		r := make([]float64, p.E)
		for e := range r {
			s := in.RouteB[e]
			for ic, g := range gap {
				s += in.RouteW[e*p.IC+ic] * g
			}
			r[e] = s
		}
		if p.Routing == conv.RoutingSoftmax {
			alpha[n] = conv.SoftmaxT(r, p.Temperature)
			continue
		}
		for e := range r {
			r[e] = conv.Sigmoid(r[e])
		}
		alpha[n] = r
	}
	return alpha
}

// MixedKernel returns the kernel Σₑ α[n,e]·w[e] ([OC, IC/G, K…]) and bias
// Σₑ α[n,e]·b[e] ([OC], nil without bias) that sample n of a dynamic
// convolution is convolved with.
func MixedKernel(p *conv.Problem, in conv.Inputs[float64], n int) (w, b []float64) {
	return mixKernel(p, in, RoutingWeights(p, in)[n])
}

func mixKernel(p *conv.Problem, in conv.Inputs[float64], alpha []float64) (w, b []float64) {
	kl := p.OC * p.ICG() * p.Taps()
	w = make([]float64, kl)
	for e, a := range alpha {
		for i, v := range in.W[e*kl : (e+1)*kl] {
			w[i] += a * v
		}
	}
	if in.B != nil {
		b = make([]float64, p.OC)
		for e, a := range alpha {
			for oc, v := range in.B[e*p.OC : (e+1)*p.OC] {
				b[oc] += a * v
			}
		}
	}
	return w, b
}

// MatrixDynamic returns the matrix of sample n of a dynamic convolution,
// Matrix of its mixed kernel, and the mixed bias (nil without bias):
// y[n] = M_n·x[n] + b_n. The inputs must have passed in.Check(p).
func MatrixDynamic(p *conv.Problem, in conv.Inputs[float64], n int) (*mat.Dense, []float64) {
	w, b := MixedKernel(p, in, n)
	return Matrix(p, w), b
}
