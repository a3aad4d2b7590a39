package reference

import "github.com/convverify/convverify/conv"

// ConvBackwardData is the gradient of Conv with respect to its input, written
// as the scatter of every tap that the forward pass reads:
//
//	dx[n, g·IC/G + c, o·s − p_begin + k·dil] += dy[n, m, o] · w[m, c, k]
//
// with g = m / (OC/G). Taps that land in padding carry no gradient, so input
// positions that the forward pass never reads (past a negative end padding,
// between strided taps) stay exactly 0. dy is [MB, OC, O…], w [OC, IC/G, K…],
// dx [MB, IC, I…].
func ConvBackwardData(p *conv.Problem, dy, w []float64) []float64 {
	icg, ocg := p.ICG(), p.OCG()
	dx := make([]float64, conv.Elems(p.SrcShape()))
	for n := 0; n < p.MB; n++ {
		for m := 0; m < p.OC; m++ {
			g := m / ocg
			for od := 0; od < p.O[conv.D]; od++ {
				for oh := 0; oh < p.O[conv.H]; oh++ {
					for ow := 0; ow < p.O[conv.W]; ow++ {
						v := dy[at(p.OC, p.O, n, m, od, oh, ow)]
						for ci := 0; ci < icg; ci++ {
							for kd := 0; kd < p.K[conv.D]; kd++ {
								id := od*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
								if !inside(id, p.I[conv.D]) {
									continue
								}
								for kh := 0; kh < p.K[conv.H]; kh++ {
									ih := oh*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
									if !inside(ih, p.I[conv.H]) {
										continue
									}
									for kw := 0; kw < p.K[conv.W]; kw++ {
										iw := ow*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
										if !inside(iw, p.I[conv.W]) {
											continue
										}
										dx[at(p.IC, p.I, n, g*icg+ci, id, ih, iw)] += v * w[at(icg, p.K, m, ci, kd, kh, kw)]
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return dx
}

// ConvBackwardWeights is the gradient of Conv with respect to its weights:
//
//	dw[m, c, k] = Σ_n Σ_o dy[n, m, o] · x[n, g·IC/G + c, o·s − p_begin + k·dil]
//
// summed over the batch and every output position whose tap lands inside the
// input. x is [MB, IC, I…], dy [MB, OC, O…], dw [OC, IC/G, K…].
func ConvBackwardWeights(p *conv.Problem, x, dy []float64) []float64 {
	icg, ocg := p.ICG(), p.OCG()
	dw := make([]float64, conv.Elems(p.WeightShape()))
	for m := 0; m < p.OC; m++ {
		g := m / ocg
		for ci := 0; ci < icg; ci++ {
			for kd := 0; kd < p.K[conv.D]; kd++ {
				for kh := 0; kh < p.K[conv.H]; kh++ {
					for kw := 0; kw < p.K[conv.W]; kw++ {
						var sum float64
						for n := 0; n < p.MB; n++ {
							for od := 0; od < p.O[conv.D]; od++ {
								id := od*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
								if !inside(id, p.I[conv.D]) {
									continue
								}
								for oh := 0; oh < p.O[conv.H]; oh++ {
									ih := oh*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
									if !inside(ih, p.I[conv.H]) {
										continue
									}
									for ow := 0; ow < p.O[conv.W]; ow++ {
										iw := ow*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
										if !inside(iw, p.I[conv.W]) {
											continue
										}
										sum += dy[at(p.OC, p.O, n, m, od, oh, ow)] * x[at(p.IC, p.I, n, g*icg+ci, id, ih, iw)]
									}
								}
							}
						}
						dw[at(icg, p.K, m, ci, kd, kh, kw)] = sum
					}
				}
			}
		}
	}
	return dw
}

// BiasGrad is the gradient of the bias of conv, deconv and deform:
//
//	db[m] = Σ_n Σ_o dy[n, m, o]
//
// (every output element adds b[m] once). dy is [MB, OC, O…], db [OC].
func BiasGrad(p *conv.Problem, dy []float64) []float64 {
	db := make([]float64, p.OC)
	sp := conv.Spatial(p.O)
	for n := 0; n < p.MB; n++ {
		for m := 0; m < p.OC; m++ {
			for _, v := range dy[(n*p.OC+m)*sp : (n*p.OC+m+1)*sp] {
				db[m] += v
			}
		}
	}
	return db
}
