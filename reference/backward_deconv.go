package reference

import "github.com/convverify/convverify/conv"

// DeconvBackwardData is the gradient of Deconv with respect to its input: each
// input element gathers the output elements its scatter reached,
//
//	dx[n, c, i] = Σ_{m < OC/G} Σ_k dy[n, g·OC/G + m, i·s − p_begin + k·dil] · w[c, m, k]
//
// with g = c / (IC/G), targets outside [0, O) (the cropped border) skipped.
// dy is [MB, OC, O…], w [IC, OC/G, K…], dx [MB, IC, I…].
func DeconvBackwardData(p *conv.Problem, dy, w []float64) []float64 {
	icg, ocg := p.ICG(), p.OCG()
	dx := make([]float64, conv.Elems(p.SrcShape()))
	for n := 0; n < p.MB; n++ {
		for c := 0; c < p.IC; c++ {
			g := c / icg
			for id := 0; id < p.I[conv.D]; id++ {
				for ih := 0; ih < p.I[conv.H]; ih++ {
					for iw := 0; iw < p.I[conv.W]; iw++ {
						var sum float64
						for m := 0; m < ocg; m++ {
							for kd := 0; kd < p.K[conv.D]; kd++ {
								od := id*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
								if !inside(od, p.O[conv.D]) {
									continue
								}
								for kh := 0; kh < p.K[conv.H]; kh++ {
									oh := ih*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
									if !inside(oh, p.O[conv.H]) {
										continue
									}
									for kw := 0; kw < p.K[conv.W]; kw++ {
										ow := iw*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
										if !inside(ow, p.O[conv.W]) {
											continue
										}
										sum += dy[at(p.OC, p.O, n, g*ocg+m, od, oh, ow)] * w[at(ocg, p.K, c, m, kd, kh, kw)]
									}
								}
							}
						}
						dx[at(p.IC, p.I, n, c, id, ih, iw)] = sum
					}
				}
			}
		}
	}
	return dx
}

// DeconvBackwardWeights is the gradient of Deconv with respect to its weights:
//
//	dw[c, m, k] = Σ_n Σ_i x[n, c, i] · dy[n, g·OC/G + m, i·s − p_begin + k·dil]
//
// over the input positions whose target lies inside the output. x is
// [MB, IC, I…], dy [MB, OC, O…], dw [IC, OC/G, K…]. The bias gradient is
// BiasGrad, as for conv.
func DeconvBackwardWeights(p *conv.Problem, x, dy []float64) []float64 {
	icg, ocg := p.ICG(), p.OCG()
	dw := make([]float64, conv.Elems(p.WeightShape()))
	for c := 0; c < p.IC; c++ {
		g := c / icg
		for m := 0; m < ocg; m++ {
			for kd := 0; kd < p.K[conv.D]; kd++ {
				for kh := 0; kh < p.K[conv.H]; kh++ {
					for kw := 0; kw < p.K[conv.W]; kw++ {
						var sum float64
						for n := 0; n < p.MB; n++ {
							for id := 0; id < p.I[conv.D]; id++ {
								od := id*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
								if !inside(od, p.O[conv.D]) {
									continue
								}
								for ih := 0; ih < p.I[conv.H]; ih++ {
									oh := ih*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
									if !inside(oh, p.O[conv.H]) {
										continue
									}
									for iw := 0; iw < p.I[conv.W]; iw++ {
										ow := iw*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
										if !inside(ow, p.O[conv.W]) {
											continue
										}
										sum += x[at(p.IC, p.I, n, c, id, ih, iw)] * dy[at(p.OC, p.O, n, g*ocg+m, od, oh, ow)]
									}
								}
							}
						}
						dw[at(ocg, p.K, c, m, kd, kh, kw)] = sum
					}
				}
			}
		}
	}
	return dw
}
