package reference

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// DeformGrads are the gradients of Deform: dx [MB, IC, H, W], dw [OC, IC/G,
// KH, KW], doffset shaped as the offsets and dmask as the mask (nil for DCNv1).
type DeformGrads struct {
	DX, DW, DOffset, DMask []float64
}

// DeformBackward differentiates Deform (torchvision deform_conv2d, DCNv2
// when mask is non-nil) at (x, w, offset, mask) along dy. For every output
// element (n, m, oh, ow), input channel c and tap (kh, kw) the forward pass
// adds v·μ·w with v = bilinear(x, py, px) and μ the mask (1 for DCNv1), so
//
//	dw[m, c, kh, kw]          += dy · v · μ
//	dmask[n, kidx, oh, ow]    += dy · v · w
//	dx[corner]                += dy · μ · w · λ(corner)      (each of the four corners inside the image)
//	doffset[n, 2·kidx, oh, ow]   += dy · μ · w · ∂v/∂py
//	doffset[n, 2·kidx+1, oh, ow] += dy · μ · w · ∂v/∂px
//
// where λ is the corner's bilinear weight and, with ly = py − ⌊py⌋,
// lx = px − ⌊px⌋ and x00…x11 the corners (0 outside the image),
//
//	∂v/∂py = (1−lx)(x10 − x00) + lx(x11 − x01)
//	∂v/∂px = (1−ly)(x01 − x00) + ly(x11 − x10)
//
// — torchvision's get_coordinate_weight. A sample at or beyond one pixel
// outside the image reads 0 and has zero gradient everywhere. At an integer
// position v has a kink; the formula takes the one-sided derivative towards
// +∞ (⌊py⌋ = py), as torchvision does.
func DeformBackward(p *conv.Problem, x, w, offset, mask, dy []float64) DeformGrads {
	icg, ocg := p.ICG(), p.OCG()
	icPerDG := p.IC / p.DG
	kh, kw := p.K[conv.H], p.K[conv.W]
	ih, iw := p.I[conv.H], p.I[conv.W]
	offCh, maskCh := 2*p.DG*kh*kw, p.DG*kh*kw
	g := DeformGrads{
		DX:      make([]float64, conv.Elems(p.SrcShape())),
		DW:      make([]float64, conv.Elems(p.WeightShape())),
		DOffset: make([]float64, conv.Elems(p.OffsetShape())),
	}
	if mask != nil {
		g.DMask = make([]float64, conv.Elems(p.MaskShape()))
	}
	for n := 0; n < p.MB; n++ {
		for m := 0; m < p.OC; m++ {
			grp := m / ocg
			for oh := 0; oh < p.O[conv.H]; oh++ {
				for ow := 0; ow < p.O[conv.W]; ow++ {
					gy := dy[at(p.OC, p.O, n, m, 0, oh, ow)]
					for ci := 0; ci < icg; ci++ {
						ic := grp*icg + ci
						dg := ic / icPerDG
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								kidx := (dg*kh+i)*kw + j
								oy := at(offCh, p.O, n, 2*kidx, 0, oh, ow)
								ox := at(offCh, p.O, n, 2*kidx+1, 0, oh, ow)
								py := float64(oh*p.S[conv.H]-p.PBegin[conv.H]+i*p.Dil[conv.H]) + offset[oy]
								px := float64(ow*p.S[conv.W]-p.PBegin[conv.W]+j*p.Dil[conv.W]) + offset[ox]
								wv := w[at(icg, p.K, m, ci, 0, i, j)]
								mu, mi := 1.0, 0
								if mask != nil {
									mi = at(maskCh, p.O, n, kidx, 0, oh, ow)
									mu = mask[mi]
								}
								if !(py > -1 && py < float64(ih) && px > -1 && px < float64(iw)) {
									continue // all four corners outside: value and gradients 0
								}
								y0, x0 := math.Floor(py), math.Floor(px)
								ly, lx := py-y0, px-x0
								r, s := int(y0), int(x0)
								var xc [2][2]float64 // corners, 0 outside
								for a := 0; a < 2; a++ {
									for b := 0; b < 2; b++ {
										if inside(r+a, ih) && inside(s+b, iw) {
											xc[a][b] = x[at(p.IC, p.I, n, ic, 0, r+a, s+b)]
										}
									}
								}
								v := (1-ly)*(1-lx)*xc[0][0] + (1-ly)*lx*xc[0][1] + ly*(1-lx)*xc[1][0] + ly*lx*xc[1][1]
								g.DW[at(icg, p.K, m, ci, 0, i, j)] += gy * v * mu
								if mask != nil {
									g.DMask[mi] += gy * v * wv
								}
								gs := gy * mu * wv // gradient of the sample v
								lam := [2][2]float64{{(1 - ly) * (1 - lx), (1 - ly) * lx}, {ly * (1 - lx), ly * lx}}
								for a := 0; a < 2; a++ {
									for b := 0; b < 2; b++ {
										if inside(r+a, ih) && inside(s+b, iw) {
											g.DX[at(p.IC, p.I, n, ic, 0, r+a, s+b)] += gs * lam[a][b]
										}
									}
								}
								g.DOffset[oy] += gs * ((1-lx)*(xc[1][0]-xc[0][0]) + lx*(xc[1][1]-xc[0][1]))
								g.DOffset[ox] += gs * ((1-ly)*(xc[0][1]-xc[0][0]) + ly*(xc[1][1]-xc[1][0]))
							}
						}
					}
				}
			}
		}
	}
	return g
}
