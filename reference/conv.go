package reference

import "github.com/convverify/convverify/conv"

// Conv is the forward convolution (cross-correlation, no kernel flip):
//
//	y[n, m, o] = b[m] + Σ_{c < IC/G} Σ_k x[n, g·IC/G + c, o·s − p_begin + k·dil] · w[m, c, k]
//
// with g = m / (OC/G), o and k running over all three spatial axes, and x read
// as 0 outside [0, I). End padding only shapes O (p.O), so negative end padding
// simply leaves the last input rows unread. b may be nil (no bias).
func Conv(p *conv.Problem, x, w, b []float64, c *Counter) []float64 {
	icg, ocg := p.ICG(), p.OCG()
	y := make([]float64, conv.Elems(p.DstShape()))
	for n := 0; n < p.MB; n++ {
		for m := 0; m < p.OC; m++ {
			g := m / ocg
			for od := 0; od < p.O[conv.D]; od++ {
				for oh := 0; oh < p.O[conv.H]; oh++ {
					for ow := 0; ow < p.O[conv.W]; ow++ {
						var sum float64
						if b != nil {
							sum = b[m]
						}
						for ci := 0; ci < icg; ci++ {
							ic := g*icg + ci
							for kd := 0; kd < p.K[conv.D]; kd++ {
								for kh := 0; kh < p.K[conv.H]; kh++ {
									for kw := 0; kw < p.K[conv.W]; kw++ {
										c.tap()
										id := od*p.S[conv.D] - p.PBegin[conv.D] + kd*p.Dil[conv.D]
										ih := oh*p.S[conv.H] - p.PBegin[conv.H] + kh*p.Dil[conv.H]
										iw := ow*p.S[conv.W] - p.PBegin[conv.W] + kw*p.Dil[conv.W]
										if !inside(id, p.I[conv.D]) || !inside(ih, p.I[conv.H]) || !inside(iw, p.I[conv.W]) {
											continue // padding reads 0
										}
										c.mac()
										sum += x[at(p.IC, p.I, n, ic, id, ih, iw)] * w[at(icg, p.K, m, ci, kd, kh, kw)]
									}
								}
							}
						}
						y[at(p.OC, p.O, n, m, od, oh, ow)] = sum
					}
				}
			}
		}
	}
	return y
}
