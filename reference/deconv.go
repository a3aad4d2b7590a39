package reference

import "github.com/convverify/convverify/conv"

// Deconv is the transposed convolution, written as the scatter that defines
// it rather than through Conv, so that the adjoint identity between the two
// is a real check:
//
//	y[n, g·OC/G + m, i·s − p_begin + k·dil] += x[n, c, i] · w[c, m, k]
//
// for every input channel c (group g = c / (IC/G)), output channel m < OC/G,
// input position i and tap k. Targets outside [0, O) are dropped; p.O already
// includes output padding (negative end padding). Every element starts at
// b[oc] (0 if b is nil), so one that receives nothing is the bias.
// Weights are [IC, OC/G, K…].
func Deconv(p *conv.Problem, x, w, b []float64, c *Counter) []float64 {
	icg, ocg := p.ICG(), p.OCG()
	y := make([]float64, conv.Elems(p.DstShape()))
	if b != nil {
		for n := 0; n < p.MB; n++ {
			for oc := 0; oc < p.OC; oc++ {
				for od := 0; od < p.O[conv.D]; od++ {
					for oh := 0; oh < p.O[conv.H]; oh++ {
						for ow := 0; ow < p.O[conv.W]; ow++ {
							y[at(p.OC, p.O, n, oc, od, oh, ow)] = b[oc]
						}
					}
				}
			}
		}
	}
	for n := 0; n < p.MB; n++ {
		for ic := 0; ic < p.IC; ic++ {
			g := ic / icg
			for m := 0; m < ocg; m++ {
				oc := g*ocg + m
				for id := 0; id < p.I[conv.D]; id++ {
					for ih := 0; ih < p.I[conv.H]; ih++ {
						for iw := 0; iw < p.I[conv.W]; iw++ {
							v := x[at(p.IC, p.I, n, ic, id, ih, iw)]
							for kd := 0; kd < p.K[conv.D]; kd++ {
								for kh := 0; kh < p.K[conv.H]; kh++ {
									for kw := 0; kw < p.K[conv.W]; kw++ {
										c.tap()
										od := id*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
										oh := ih*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
										ow := iw*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
										if !inside(od, p.O[conv.D]) || !inside(oh, p.O[conv.H]) || !inside(ow, p.O[conv.W]) {
											continue // lands in the cropped border
										}
										c.mac()
										y[at(p.OC, p.O, n, oc, od, oh, ow)] += v * w[at(ocg, p.K, ic, m, kd, kh, kw)]
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return y
}
