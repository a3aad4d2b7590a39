package main

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// deformGrads computes the gradients of a deformable convolution (2D,
// torchvision's deform_conv2d semantics) in float32, the way torchvision's
// CPU backward is organised: per image, col[c, tap, o] = Σ_m w[m, c, tap]·
// dy[n, m, o] over the output channels of c's group (the columns' gradient),
// then for every sample the bilinear scatter into dx, the derivative of the
// sample along y and x into doffset, the sample into dmask; and dw, db from
// dy and the (masked) samples. A sample at (py, px) reads the four corners
// of its cell, each 0 outside the image; one with py ≤ −1, py ≥ H, px ≤ −1 or
// px ≥ W reads nothing and carries no gradient.
func deformGrads(p *conv.Problem, x, w, offset, mask, dy []float32) gradients {
	icg, ocg := p.ICG(), p.OCG()
	kh, kw := p.K[conv.H], p.K[conv.W]
	ih, iw := p.I[conv.H], p.I[conv.W]
	oh, ow := p.O[conv.H], p.O[conv.W]
	taps, osp, isp := kh*kw, oh*ow, ih*iw
	perDG := p.IC / p.DG
	wantD := p.Dir == conv.DirBwdD
	var g gradients
	if wantD {
		g.dx = make([]float32, conv.Elems(p.SrcShape()))
		g.doffset = make([]float32, conv.Elems(p.OffsetShape()))
		if p.Mask {
			g.dmask = make([]float32, conv.Elems(p.MaskShape()))
		}
	} else {
		g.dw = make([]float32, conv.Elems(p.WeightShape()))
	}
	if p.Dir == conv.DirBwdWB {
		g.db = make([]float32, p.OC)
	}
	col := make([]float32, p.IC*taps*osp)
	for n := 0; n < p.MB; n++ {
		if wantD {
			clear(col)
			for c := 0; c < p.IC; c++ {
				grp := c / icg
				for m := grp * ocg; m < (grp+1)*ocg; m++ {
					for t := 0; t < taps; t++ {
						wv := w[(m*icg+c-grp*icg)*taps+t]
						dst := col[(c*taps+t)*osp : (c*taps+t+1)*osp]
						src := dy[(n*p.OC+m)*osp : (n*p.OC+m+1)*osp]
						for o := range dst {
							dst[o] += wv * src[o]
						}
					}
				}
			}
		}
		if g.db != nil {
			for m := 0; m < p.OC; m++ {
				for _, v := range dy[(n*p.OC+m)*osp : (n*p.OC+m+1)*osp] {
					g.db[m] += v
				}
			}
		}
		for c := 0; c < p.IC; c++ {
			dg := c / perDG
			grp := c / icg
			xc := x[(n*p.IC+c)*isp : (n*p.IC+c+1)*isp]
			for i := 0; i < kh; i++ {
				for j := 0; j < kw; j++ {
					t := i*kw + j
					k := dg*taps + t
					for y := 0; y < oh; y++ {
						for z := 0; z < ow; z++ {
							o := y*ow + z
							iy := ((n*2*p.DG*taps+2*k)*oh+y)*ow + z
							ix := iy + osp
							mu, mi := float32(1), 0
							if p.Mask {
								mi = ((n*p.DG*taps+k)*oh+y)*ow + z
								mu = mask[mi]
							}
							py := float32(y*p.S[conv.H]-p.PBegin[conv.H]+i*p.Dil[conv.H]) + offset[iy]
							px := float32(z*p.S[conv.W]-p.PBegin[conv.W]+j*p.Dil[conv.W]) + offset[ix]
							if py <= -1 || py >= float32(ih) || px <= -1 || px >= float32(iw) {
								continue
							}
							fy, fx := float32(math.Floor(float64(py))), float32(math.Floor(float64(px)))
							r, s := int(fy), int(fx)
							ly, lx := py-fy, px-fx
							hy, hx := 1-ly, 1-lx
							var v00, v01, v10, v11 float32
							in00, in01 := r >= 0 && s >= 0, r >= 0 && s+1 < iw
							in10, in11 := r+1 < ih && s >= 0, r+1 < ih && s+1 < iw
							if in00 {
								v00 = xc[r*iw+s]
							}
							if in01 {
								v01 = xc[r*iw+s+1]
							}
							if in10 {
								v10 = xc[(r+1)*iw+s]
							}
							if in11 {
								v11 = xc[(r+1)*iw+s+1]
							}
							v := hy*hx*v00 + hy*lx*v01 + ly*hx*v10 + ly*lx*v11
							if wantD {
								cv := col[(c*taps+t)*osp+o]
								gs := cv * mu
								dxc := g.dx[(n*p.IC+c)*isp : (n*p.IC+c+1)*isp]
								if in00 {
									dxc[r*iw+s] += gs * (hy * hx)
								}
								if in01 {
									dxc[r*iw+s+1] += gs * (hy * lx)
								}
								if in10 {
									dxc[(r+1)*iw+s] += gs * (ly * hx)
								}
								if in11 {
									dxc[(r+1)*iw+s+1] += gs * (ly * lx)
								}
								g.doffset[iy] += gs * (hx*(v10-v00) + lx*(v11-v01))
								g.doffset[ix] += gs * (hy*(v01-v00) + ly*(v11-v10))
								if p.Mask {
									g.dmask[mi] += cv * v
								}
								continue
							}
							sv := mu * v
							for m := grp * ocg; m < (grp+1)*ocg; m++ {
								g.dw[(m*icg+c-grp*icg)*taps+t] += dy[(n*p.OC+m)*osp+o] * sv
							}
						}
					}
				}
			}
		}
	}
	return g
}
