package optimized

import (
	"github.com/convverify/convverify/conv"
)

// Dynamic convolution: per sample n, routing logits
//
//	r[n, e] = Σ_c RouteW[e, c]·GAP(x[n, c]) + RouteB[e]
//
// become expert weights α = sigmoid(r) or softmax(r/T), and sample n is
// convolved with W_n = Σ_e α[n, e]·W[e] and bias b_n = Σ_e α[n, e]·B[e].
//
// BoundC = 2 for both variants: routing and mixing run in float64 and each
// mixed weight is rounded once to float32, one rounding more per term than
// direct float32 summation with the mixed kernel (whose magnitude
// Σ|x|·|W_n| ≤ Σ|x|·Σα|W_e|). Exact on the integer fill, whose routing
// makes every α a dyadic rational (0, ½, 1, 1/2ʲ), so the float64 mix of
// small integers is exact and so is its float32 rounding.

// mixKernels returns the per-sample kernels [MB, OC, IC/G, K…] and biases
// [MB, OC] (nil without bias).
func mixKernels(p *conv.Problem, in conv.Inputs[float32], workers int) (wmix, bmix []float32) {
	isp := conv.Spatial(p.I)
	per := p.OC * p.ICG() * p.Taps()
	wmix = make([]float32, p.MB*per)
	if in.B != nil {
		bmix = make([]float32, p.MB*p.OC)
	}
	hitIf(p.Routing == conv.RoutingSoftmax, pathDynSoftmax)
	hitIf(p.Routing != conv.RoutingSoftmax, pathDynSigmoid)
	hitIf(in.B != nil, pathDynBias)
	forEach(workers, p.MB, func(_, n int) {
		r := make([]float64, p.E)
		for e := range r {
			r[e] = float64(in.RouteB[e])
		}
		for c := 0; c < p.IC; c++ {
			var s float64
			for _, v := range in.X[(n*p.IC+c)*isp : (n*p.IC+c+1)*isp] {
				s += float64(v)
			}
			gap := s / float64(isp)
			for e := range r {
				r[e] += float64(in.RouteW[e*p.IC+c]) * gap
			}
		}
		var alpha []float64
		if p.Routing == conv.RoutingSoftmax {
			alpha = conv.SoftmaxT(r, p.Temperature)
		} else {
			alpha = make([]float64, p.E)
			for e, v := range r {
				alpha[e] = conv.Sigmoid(v)
			}
		}
		mix := func(dst, src []float32, size int) {
			for i := range dst {
				var s float64
				for e, a := range alpha {
					s += a * float64(src[e*size+i])
				}
				dst[i] = float32(s)
			}
		}
		mix(wmix[n*per:(n+1)*per], in.W, per)
		if bmix != nil {
			mix(bmix[n*p.OC:(n+1)*p.OC], in.B, p.OC)
		}
	})
	return wmix, bmix
}

func dynamicMixVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:          "dynamic-mix",
			Ops:           []conv.Op{conv.OpDynamic},
			Supports:      func(p *conv.Problem) error { return nil },
			BoundC:        2,
			Exact:         true,
			Deterministic: true,
		},
		run: func(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
			wmix, bmix := mixKernels(p, in, workers)
			q := *p
			q.Op, q.MB = conv.OpConv, 1
			isp, osp := p.IC*conv.Spatial(p.I), p.OC*conv.Spatial(p.O)
			per := p.OC * p.ICG() * p.Taps()
			for n := 0; n < p.MB; n++ {
				var bn []float32
				if bmix != nil {
					bn = bmix[n*p.OC : (n+1)*p.OC]
				}
				convGemm(&q, in.X[n*isp:(n+1)*isp], wmix[n*per:(n+1)*per], bn, out[n*osp:(n+1)*osp], workers, asmGemm, true)
			}
			return nil
		},
	}
}

func dynamicGroupedVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:          "dynamic-grouped",
			Ops:           []conv.Op{conv.OpDynamic},
			Supports:      func(p *conv.Problem) error { return nil },
			BoundC:        2,
			Exact:         true,
			Deterministic: true,
		},
		run: func(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
			wmix, bmix := mixKernels(p, in, workers)
			// The batch as one grouped convolution: [MB, IC, I…] is the same
			// memory as [1, MB·IC, I…], the per-sample kernels stack to
			// [MB·OC, IC/G, K…], and G' = MB·G keeps every sample in its own groups.
			q := *p
			q.Op, q.MB, q.G, q.IC, q.OC = conv.OpConv, 1, p.MB*p.G, p.MB*p.IC, p.MB*p.OC
			convGemm(&q, in.X, wmix, bmix, out, workers, asmGemm, true)
			return nil
		},
	}
}
