package optimized

import (
	"math"

	"github.com/convverify/convverify/conv"
)

// Backward passes of the deformable convolution (issue 12), DCNv2 as
// torchvision's deform_conv2d: for input channel c of offset group
// dg = c/(IC/DG), tap k = (dg·KH + kh)·KW + kw and output j, the forward pass
// reads the column value col[(c, kh, kw), j] = μ·v, v = bilinear(x[c], p)
// at the position p = (oh·SH − PH + kh·DH + Δy, ow·SW − PW + kw·DW + Δx), μ the
// mask (1 for DCNv1), and out_g = W_g·col (optimized/deform.go). So
//
//	BWD_W:  dw_g = dy_g·colᵀ                     (GEMM over the outputs, per image)
//	BWD_D:  dcol_g = W_gᵀ·dy_g                   (GEMM over the OCG outputs of the group)
//	        dx[corner]   += dcol·μ·λ(corner)     (the bilinear scatter)
//	        dmask[k, j]  += dcol·v               (over the channels of the offset group)
//	        doffset[2k, j]   += dcol·μ·∂v/∂py,  doffset[2k+1, j] += dcol·μ·∂v/∂px
//
// with ∂v/∂py = (1 − lx)(x10 − x00) + lx(x11 − x01) (and x likewise) in the
// cell of ⌊p⌋ (reference.DeformBackward). Positions, bilinear weights,
// samples and derivatives are computed in float64 from the float32 inputs
// (exact positions and fractions, near-exact weights), and each product
// with the float32 dcol is rounded once to float32: fewer roundings than
// the terms' errors reference.GradMagnitude allows (E', the weights' γ₅,
// the derivative's γ₅·2A), and the sums are float32 sums of the
// conv.DeformGradLength terms in a fixed order, so BoundC = 1 with
// those N (AccumLength).
//
// Determinism: BWD_W's tasks are (group, block of input channels), each
// owning its rows of dw and summing over images and column tiles in order
// (the tiles' samples and transposed dy computed once per tile before).
// BWD_D runs image by image and column tile by tile: tasks (offset group,
// tap) compute the tile's samples once; then tasks (group, block of input
// channels) own their channels of dx (cleared at the first tile, then
// scattered in tile, channel, tap, position order) and add their channels'
// shares of dmask and doffset in the tile, in ascending channel order, into
// one share [taps, tile] per run of channels of one offset group (a buffer
// [IC, taps, tile] indexed by the run's first channel); then tasks (tap of
// an offset group) add the group's runs in ascending order. Nothing depends
// on the worker count.

func init() {
	registerGrad(GradVariant{
		Name:     "deform-bwd-im2col",
		Ops:      []conv.Op{conv.OpDeform},
		Dirs:     []conv.Dir{conv.DirBwdD, conv.DirBwdW, conv.DirBwdWB},
		Supports: func(p *conv.Problem) error { return nil },
		Run: func(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) error {
			if p.Dir == conv.DirBwdD {
				runDeformBwdData(p, in, dy, g, workers)
				return nil
			}
			runDeformBwdWeights(p, in, dy, g.DW, workers)
			if g.DB != nil {
				biasGrad(p, dy, g.DB)
			}
			return nil
		},
		// C = 1 with conv.DeformGradLength's N: see above.
		BoundC: 1,
		// Integer offsets put every sample on a pixel (weights 0 and 1,
		// derivatives differences of pixels), and the integer fill's mask is
		// in {0, 1, 2}: every product and partial sum is an exact integer.
		Exact:         true,
		Deterministic: true,
		Kernel:        gemmKernel,
		AccumLength:   conv.DeformGradLength,
	})
}

// deformSample is one deformable sample, in float64: the four neighbours'
// indices into an IH×IW plane (0 for one outside the plane), and per
// neighbour (00, 01, 10, 11) its bilinear weight lam and the derivatives of
// that weight along y and x, cy and cx (all 0 for a neighbour outside, so
// that Σ lam·x is the sample v, Σ cy·x = (1 − lx)(x10 − x00) + lx(x11 − x01)
// = ∂v/∂py and Σ cx·x = ∂v/∂px with outside neighbours reading 0), and mu
// the mask (1 without). ok is false for a sample at or beyond one pixel
// outside (or NaN), which reads 0 and has zero gradients. It is the
// forward's tap table (deformTapsGo, deform.go) in float64 throughout,
// with the mask kept apart (dmask needs the sample without it) and the
// derivatives beside the weights.
type deformSample struct {
	idx         [4]int32
	lam, cy, cx [4]float64
	mu          float64
	in          uint8 // bit i: neighbour i inside the plane
	ok          bool
}

func newDeformSample(IH, IW int, py, px, mu float64) (s deformSample) {
	s.mu = mu
	if !(py > -1 && py < float64(IH) && px > -1 && px < float64(IW)) {
		return s
	}
	fy, fx := math.Floor(py), math.Floor(px)
	y0, x0 := int(fy), int(fx)
	ly, lx := py-fy, px-fx
	lam := [4]float64{(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx}
	cy := [4]float64{-(1 - lx), -lx, 1 - lx, lx}
	cx := [4]float64{-(1 - ly), 1 - ly, -ly, ly}
	s.ok = true
	for i, d := range [4][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
		y, x := y0+d[0], x0+d[1]
		if y >= 0 && y < IH && x >= 0 && x < IW {
			s.in |= 1 << i
			s.idx[i] = int32(y*IW + x)
			s.lam[i], s.cy[i], s.cx[i] = lam[i], cy[i], cx[i]
		}
	}
	return s
}

// corners returns the four neighbours' values in xc (an outside one reads
// xc[0], whose coefficients are all 0).
func (s *deformSample) corners(xc []float32) [4]float64 {
	return [4]float64{float64(xc[s.idx[0]]), float64(xc[s.idx[1]]), float64(xc[s.idx[2]]), float64(xc[s.idx[3]])}
}

func dot4(a, b *[4]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] + a[3]*b[3] }

// deformSampleTap fills smp[j − j0] with the samples of tap k = kh·KW + kw
// of offset group dg of image n at outputs [j0, j1).
func deformSampleTap(p *conv.Problem, in conv.Inputs[float32], n, dg, k, j0, j1 int, smp []deformSample) {
	KW := p.K[2]
	taps := p.K[1] * KW
	kh, kw := k/KW, k%KW
	osp := conv.Spatial(p.O)
	OW := p.O[2]
	kidx := dg*taps + k
	offY := in.Offset[(n*2*p.DG*taps+2*kidx)*osp:]
	offX := in.Offset[(n*2*p.DG*taps+2*kidx+1)*osp:]
	var mk []float32
	if in.Mask != nil {
		mk = in.Mask[(n*p.DG*taps+kidx)*osp:]
	}
	for j := j0; j < j1; j++ {
		oh, ow := j/OW, j%OW
		py := float64(oh*p.S[1]-p.PBegin[1]+kh*p.Dil[1]) + float64(offY[j])
		px := float64(ow*p.S[2]-p.PBegin[2]+kw*p.Dil[2]) + float64(offX[j])
		mu := 1.0
		if mk != nil {
			mu = float64(mk[j])
		}
		smp[j-j0] = newDeformSample(p.I[1], p.I[2], py, px, mu)
	}
}

// runDeformBwdWeights computes dw [OC, IC/G, KH, KW] (see the file comment).
// For each image and column tile in order: tasks (offset group, tap)
// compute the tile's samples and tasks (group) transpose the tile of dy
// once; then tasks (group, block of input channels) build their rows of
// col and add col·dyᵀ into their own accumulator (rows × OCG), which holds
// the task's sum over the images and tiles so far.
func runDeformBwdWeights(p *conv.Problem, in conv.Inputs[float32], dy, dw []float32, workers int) {
	ex := newOneShot(workers)
	defer ex.release()
	icg, ocg, taps := p.ICG(), p.OCG(), p.Taps()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	cpg := p.IC / p.DG
	cbs := gradChannelBlock(icg, taps)
	cblocks := ceilDiv(icg, cbs)
	nt := min(colTile, osp)
	ex.useGemm(cbs*taps, ocg, nt)
	cols := ex.perWorker(cbs * taps * nt)
	dyt := ex.scratch(p.G * nt * ocg)                    // per group: the tile of dy, positions × OCG
	accs := ex.scratch(p.G * cblocks * cbs * taps * ocg) // per task
	smpAll := make([]deformSample, p.DG*taps*nt)         // the tile's samples, [DG, taps, tile]
	for n := 0; n < p.MB; n++ {
		for j0 := 0; j0 < osp; j0 += colTile {
			j1 := min(osp, j0+colTile)
			w := j1 - j0
			ex.forEach(p.DG*taps+p.G, func(wk, t int) {
				if t < p.DG*taps {
					deformSampleTap(p, in, n, t/taps, t%taps, j0, j1, smpAll[t*w:(t+1)*w])
					return
				}
				g := t - p.DG*taps
				transposeTile(dy[(n*p.OC+g*ocg)*osp+j0:], osp, ocg, w, dyt[g*w*ocg:(g+1)*w*ocg])
			})
			beta := float32(1)
			if n == 0 && j0 == 0 {
				beta = 0
			}
			ex.forEach(p.G*cblocks, func(wk, t int) {
				cb, g := t%cblocks, t/cblocks
				c0 := cb * cbs
				nc := min(cbs, icg-c0)
				rows := nc * taps
				col := cols[wk][:rows*w]
				for ci := 0; ci < nc; ci++ {
					c := g*icg + c0 + ci
					dg := c / cpg
					smp := smpAll[dg*taps*w : (dg+1)*taps*w]
					xc := in.X[(n*p.IC+c)*isp : (n*p.IC+c+1)*isp]
					row := col[ci*taps*w : (ci+1)*taps*w]
					for i := range smp {
						s := &smp[i]
						x := s.corners(xc)
						row[i] = float32(s.mu * dot4(&s.lam, &x))
					}
				}
				acc := accs[t*cbs*taps*ocg:][:rows*ocg]
				asmGemm(ex.gemmWS(wk), rows, ocg, w, col, w, dyt[g*w*ocg:(g+1)*w*ocg], ocg, beta, acc, ocg)
			})
		}
	}
	ex.forEach(p.G*cblocks, func(wk, t int) {
		cb, g := t%cblocks, t/cblocks
		c0 := cb * cbs
		rows := min(cbs, icg-c0) * taps
		acc := accs[t*cbs*taps*ocg:][:rows*ocg]
		for m := 0; m < ocg; m++ {
			dst := dw[((g*ocg+m)*icg+c0)*taps:][:rows]
			for r := range dst {
				dst[r] = acc[r*ocg+m]
			}
		}
	})
}

// runDeformBwdData computes dx, doffset and dmask (see the file comment).
func runDeformBwdData(p *conv.Problem, in conv.Inputs[float32], dy []float32, g conv.Grads[float32], workers int) {
	ex := newOneShot(workers)
	defer ex.release()
	icg, ocg, taps := p.ICG(), p.OCG(), p.Taps()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	cpg := p.IC / p.DG
	krows := icg * taps
	// wt[g] is W_gᵀ: rows (c, k), columns m.
	wt := ex.scratch(p.G * krows * ocg)
	for gr := 0; gr < p.G; gr++ {
		for m := 0; m < ocg; m++ {
			src := in.W[(gr*ocg+m)*krows : (gr*ocg+m+1)*krows]
			dst := wt[gr*krows*ocg+m:]
			for r, v := range src {
				dst[r*ocg] = v
			}
		}
	}
	cbs := gradChannelBlock(icg, taps)
	cblocks := ceilDiv(icg, cbs)
	nt := min(colTile, osp)
	ex.useGemm(cbs*taps, nt, ocg)
	dcols := ex.perWorker(cbs * taps * nt)
	// The tile's samples, [DG, taps, tile], computed once for every task.
	smpAll := make([]deformSample, p.DG*taps*nt)
	// Each channel's share of doffset (y, x) and dmask in the current tile,
	// [IC, taps, tile].
	share := p.IC * taps * nt
	offY, offX := ex.scratch(share), ex.scratch(share)
	var mshare []float32
	if g.DMask != nil {
		mshare = ex.scratch(share)
	}
	for n := 0; n < p.MB; n++ {
		for j0 := 0; j0 < osp; j0 += colTile {
			j1 := min(osp, j0+colTile)
			w := j1 - j0
			ex.forEach(p.DG*taps, func(wk, t int) {
				deformSampleTap(p, in, n, t/taps, t%taps, j0, j1, smpAll[t*w:(t+1)*w])
			})
			ex.forEach(p.G*cblocks, func(wk, t int) {
				cb, gr := t%cblocks, t/cblocks
				c0 := cb * cbs
				nc := min(cbs, icg-c0)
				rows := nc * taps
				a := wt[(gr*krows+c0*taps)*ocg:]
				dyg := dy[(n*p.OC+gr*ocg)*osp : (n*p.OC+(gr+1)*ocg)*osp]
				dxc := g.DX[(n*p.IC+gr*icg+c0)*isp : (n*p.IC+gr*icg+c0+nc)*isp]
				if j0 == 0 {
					clear(dxc)
				}
				dcol := dcols[wk][:rows*w]
				asmGemm(ex.gemmWS(wk), rows, w, ocg, a, ocg, dyg[j0:], osp, 0, dcol, w)
				run := 0 // the first channel of the current run of one offset group
				for ci := 0; ci < nc; ci++ {
					c := gr*icg + c0 + ci
					dg := c / cpg
					first := shareRunStart(c, icg, cbs, cpg)
					if first {
						run = c
					}
					smp := smpAll[dg*taps*w : (dg+1)*taps*w]
					xc := in.X[(n*p.IC+c)*isp : (n*p.IC+c+1)*isp]
					dx := dxc[ci*isp : (ci+1)*isp]
					drow := dcol[ci*taps*w : (ci+1)*taps*w]
					for k := 0; k < taps; k++ {
						sh := (run*taps + k) * w
						sy, sx := offY[sh:sh+w], offX[sh:sh+w]
						var sm []float32
						if mshare != nil {
							sm = mshare[sh : sh+w]
						}
						if first {
							clear(sy)
							clear(sx)
							clear(sm)
						}
						for jj := 0; jj < w; jj++ {
							s := &smp[k*w+jj]
							if !s.ok {
								continue
							}
							gc := float64(drow[k*w+jj])
							x := s.corners(xc)
							if sm != nil {
								sm[jj] += float32(gc * dot4(&s.lam, &x))
							}
							gm := gc * s.mu
							sy[jj] += float32(gm * dot4(&s.cy, &x))
							sx[jj] += float32(gm * dot4(&s.cx, &x))
							if s.in == 0xf { // all four neighbours inside: the common case
								dx[s.idx[0]] += float32(gm * s.lam[0])
								dx[s.idx[1]] += float32(gm * s.lam[1])
								dx[s.idx[2]] += float32(gm * s.lam[2])
								dx[s.idx[3]] += float32(gm * s.lam[3])
								continue
							}
							for i := range 4 {
								if s.in&(1<<i) != 0 {
									dx[s.idx[i]] += float32(gm * s.lam[i])
								}
							}
						}
					}
				}
			})
			// Sum the tile's shares over each offset group's channels, in order.
			ex.forEach(p.DG*taps, func(wk, t int) {
				dg, k := t/taps, t%taps
				kidx := dg*taps + k
				dOY := g.DOffset[(n*2*p.DG*taps+2*kidx)*osp+j0:][:w]
				dOX := g.DOffset[(n*2*p.DG*taps+2*kidx+1)*osp+j0:][:w]
				sumShares(offY, dg*cpg, cpg, k, taps, w, icg, cbs, dOY)
				sumShares(offX, dg*cpg, cpg, k, taps, w, icg, cbs, dOX)
				if mshare != nil {
					sumShares(mshare, dg*cpg, cpg, k, taps, w, icg, cbs, g.DMask[(n*p.DG*taps+kidx)*osp+j0:][:w])
				}
			})
		}
	}
}

// shareRunStart reports whether channel c starts a run of channels that one
// BWD_D task adds into one share: the first channel of a channel block
// (blocks of cbs channels within each group of icg) or of an offset group
// (cpg channels).
func shareRunStart(c, icg, cbs, cpg int) bool {
	return (c%icg)%cbs == 0 || c%cpg == 0
}

// sumShares sets dst[j] to the sum of the shares share[(c·taps + k)·w + j],
// j < w, of the runs that start in channels [c0, c0+nc) (shareRunStart),
// added in ascending order: with the runs' own sums, every element is the
// sum over the offset group's channels in ascending order.
func sumShares(share []float32, c0, nc, k, taps, w, icg, cbs int, dst []float32) {
	copy(dst, share[(c0*taps+k)*w:][:w]) // c0 starts an offset group: a run
	for c := c0 + 1; c < c0+nc; c++ {
		if shareRunStart(c, icg, cbs, nc) {
			addTo(dst, share[(c*taps+k)*w:][:w])
		}
	}
}
