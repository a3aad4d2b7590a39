package optimized

import (
	"math"

	"github.com/convverify/convverify/conv"
)

func deformVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "deform-im2col",
			Ops:      []conv.Op{conv.OpDeform},
			Supports: func(p *conv.Problem) error { return nil },
			// C = 2: as im2col-gemm (C = 1) plus one more rounding per term:
			// each sample mask·bilinear(x) is computed in float64 (positions
			// and weights exact) and rounded once to float32 before the GEMM,
			// so a term w·col carries 2u instead of u.
			BoundC: 2,
			// Integer offsets put every sample on a pixel (bilinear weights
			// 1, 0, 0, 0), so integer inputs stay exact.
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d := newDeform(ex, p, w, b)
			return d.run, nil
		},
	}
}

// deform computes a deformable convolution (DCNv1, or DCNv2 with a mask)
// with a deformable im2col: for input channel c of offset group
// dg = c/(IC/DG), tap k = (dg·KH + kh)·KW + kw and output j = (oh, ow),
//
//	col[(c, kh, kw), j] = mask[k, j] · bilinear(x[c], oh·SH − PH + kh·DH + Δy[k, j],
//	                                              ow·SW − PW + kw·DW + Δx[k, j])
//
// with neighbours outside the unpadded input reading 0 (torchvision
// deform_conv2d, ONNX DeformConv); then out_g = W_g·col as in im2col-gemm.
type deform struct {
	ex      *executor
	p       *conv.Problem
	w, b    []float32
	cols    [][]float32     // per worker
	samples [][]bilinearTap // per worker
	tiles   int
	in      conv.Inputs[float32] // the current run's
	out     []float32
	task    func(wk, task int)
}

func newDeform(ex *executor, p *conv.Problem, w, b []float32) *deform {
	d := &deform{ex: ex, p: p, w: w, b: b}
	osp := conv.Spatial(p.O)
	taps := p.K[1] * p.K[2]
	nt := min(colTile, osp)
	d.tiles = ceilDiv(osp, colTile)
	ex.useGemm(p.OCG(), nt, p.ICG()*taps)
	d.cols = ex.perWorker(p.ICG() * taps * nt)
	d.samples = make([][]bilinearTap, ex.workers)
	for i := range d.samples {
		d.samples[i] = make([]bilinearTap, taps*nt)
	}
	d.task = d.runTask
	return d
}

func (d *deform) run(in conv.Inputs[float32], out []float32) {
	d.in, d.out = in, out
	d.ex.forEach(d.p.MB*d.p.G*d.tiles, d.task)
	d.in, d.out = conv.Inputs[float32]{}, nil
}

func (d *deform) runTask(wk, task int) {
	p, in, out, tiles := d.p, d.in, d.out, d.tiles
	icg, ocg := p.ICG(), p.OCG()
	KH, KW := p.K[1], p.K[2]
	taps := KH * KW
	k := icg * taps
	IH, IW := p.I[1], p.I[2]
	OW := p.O[2]
	osp, isp := conv.Spatial(p.O), conv.Spatial(p.I)
	cpg := p.IC / p.DG // channels per offset group
	t := task % tiles
	g := (task / tiles) % p.G
	n := task / (tiles * p.G)
	j0, j1 := t*colTile, min(osp, (t+1)*colTile)
	nt := j1 - j0
	col := d.cols[wk][:k*nt]
	smp := d.samples[wk][:taps*nt]
	curDG := -1
	hitIf(in.Mask != nil, pathDeformMask)
	hitIf(p.DG > 1, pathDeformDG)
	var outside, edge bool
	for ci := 0; ci < icg; ci++ {
		c := g*icg + ci
		if dg := c / cpg; dg != curDG {
			// Sampling positions and weights depend on the offset group,
			// not the channel: computed once per group and tile.
			curDG = dg
			for kh := 0; kh < KH; kh++ {
				for kw := 0; kw < KW; kw++ {
					kidx := (dg*KH+kh)*KW + kw
					offY := in.Offset[(n*2*p.DG*taps+2*kidx)*osp:]
					offX := in.Offset[(n*2*p.DG*taps+2*kidx+1)*osp:]
					var mask []float32
					if in.Mask != nil {
						mask = in.Mask[(n*p.DG*taps+kidx)*osp:]
					}
					st := smp[(kh*KW+kw)*nt : (kh*KW+kw+1)*nt]
					for j := j0; j < j1; j++ {
						oh, ow := j/OW, j%OW
						py := float64(oh*p.S[1]-p.PBegin[1]+kh*p.Dil[1]) + float64(offY[j])
						px := float64(ow*p.S[2]-p.PBegin[2]+kw*p.Dil[2]) + float64(offX[j])
						m := 1.0
						if mask != nil {
							m = float64(mask[j])
						}
						var inside uint8
						st[j-j0], inside = newBilinearTap(IH, IW, py, px, m)
						if inside != 0xf {
							outside = outside || inside == 0
							edge = edge || inside != 0
						}
					}
				}
			}
		}
		xc := in.X[(n*p.IC+c)*isp : (n*p.IC+c+1)*isp]
		row := col[ci*taps*nt : (ci+1)*taps*nt]
		for i, s := range smp {
			row[i] = float32(s.w[0]*float64(xc[s.idx[0]]) + s.w[1]*float64(xc[s.idx[1]]) +
				s.w[2]*float64(xc[s.idx[2]]) + s.w[3]*float64(xc[s.idx[3]]))
		}
	}
	c := out[(n*p.OC+g*ocg)*osp+j0:]
	beta := float32(0)
	if d.b != nil {
		beta = 1
		for o := 0; o < ocg; o++ {
			fill(c[o*osp:o*osp+nt], d.b[g*ocg+o])
		}
	}
	hitIf(outside, pathDeformOut)
	hitIf(edge, pathDeformEdge)
	asmGemm(d.ex.gemmWS(wk), ocg, nt, k, d.w[g*ocg*k:], k, col, nt, beta, c, osp)
}

// bilinearTap is one deformable sample: four neighbour indices into an
// IH×IW plane and their weights (bilinear weight × mask, 0 for a neighbour
// outside the plane, whose index is then 0 so the read stays in bounds).
type bilinearTap struct {
	idx [4]int32
	w   [4]float64
}

// newBilinearTap locates (py, px) in float64 (positions and weights exact
// for float32 offsets) with every neighbour outside the unpadded plane
// weighted 0 (zero padding); bit i of inside is set when neighbour i lies
// inside the plane.
func newBilinearTap(IH, IW int, py, px, mask float64) (s bilinearTap, inside uint8) {
	if !(py > -1 && py < float64(IH) && px > -1 && px < float64(IW)) {
		return s, 0 // all four neighbours outside (also rejects NaN)
	}
	fy, fx := math.Floor(py), math.Floor(px)
	y0, x0 := int(fy), int(fx)
	ly, lx := py-fy, px-fx
	ws := [4]float64{(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx}
	for i, d := range [4][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
		y, x := y0+d[0], x0+d[1]
		if y >= 0 && y < IH && x >= 0 && x < IW {
			inside |= 1 << i
			s.idx[i] = int32(y*IW + x)
			s.w[i] = ws[i] * mask
		}
	}
	return s, inside
}
