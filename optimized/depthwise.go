package optimized

import (
	"fmt"

	"convverify/conv"
)

func depthwiseVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name: "depthwise-direct",
			Ops:  []conv.Op{conv.OpConv},
			Supports: func(p *conv.Problem) error {
				if p.ICG() != 1 {
					return fmt.Errorf("depthwise-direct: ic/g = %d, needs one input channel per group (g = ic)", p.ICG())
				}
				return nil
			},
			// C = 1: bias + Σ over in-range taps of x·w, recursive float32 sum.
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		run: func(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
			depthwise(p, in.X, in.W, in.B, out, workers)
			return nil
		},
	}
}

// depthwise computes a convolution with one input channel per group
// (G = IC, OC = IC·multiplier, output channel oc reads input channel
// oc/multiplier). Each task owns one output row; each in-range tap adds
// w·x over the row's valid width span, a loop across width that the
// compiler keeps branch-free; unit width stride goes to depthwiseRows.
func depthwise(p *conv.Problem, x, w, b, out []float32, workers int) {
	if p.S[2] == 1 {
		depthwiseRows(p, x, w, b, out, workers)
		return
	}
	mult := p.OCG()
	taps := p.Taps()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	OD, OH, OW := p.O[0], p.O[1], p.O[2]
	IH, IW := p.I[1], p.I[2]
	sw, pw, dw := p.S[2], p.PBegin[2], p.Dil[2]
	// Valid output span per kw: 0 ≤ ow·sw − pw + kw·dw < IW.
	lo := make([]int, p.K[2])
	hi := make([]int, p.K[2])
	for kw := range lo {
		off := kw*dw - pw
		l := 0
		if off < 0 {
			l = ceilDiv(-off, sw)
		}
		h := 0
		if last := IW - 1 - off; last >= 0 {
			h = last/sw + 1
		}
		lo[kw], hi[kw] = min(l, OW), min(h, OW)
	}
	forEach(workers, p.MB*p.OC*OD, func(_, task int) {
		od := task % OD
		oc := (task / OD) % p.OC
		n := task / (OD * p.OC)
		xc := x[(n*p.IC+oc/mult)*isp:]
		wc := w[oc*taps : (oc+1)*taps]
		bias := float32(0)
		if b != nil {
			bias = b[oc]
		}
		for oh := 0; oh < OH; oh++ {
			orow := out[(n*p.OC+oc)*osp+(od*OH+oh)*OW:][:OW]
			fill(orow, bias)
			for kd := 0; kd < p.K[0]; kd++ {
				id := od*p.S[0] - p.PBegin[0] + kd*p.Dil[0]
				if id < 0 || id >= p.I[0] {
					continue
				}
				for kh := 0; kh < p.K[1]; kh++ {
					ih := oh*p.S[1] - p.PBegin[1] + kh*p.Dil[1]
					if ih < 0 || ih >= IH {
						continue
					}
					xrow := xc[(id*IH+ih)*IW : (id*IH+ih+1)*IW]
					for kw := 0; kw < p.K[2]; kw++ {
						l, h := lo[kw], hi[kw]
						if h <= l {
							continue
						}
						wv := wc[(kd*p.K[1]+kh)*p.K[2]+kw]
						off := kw*dw - pw
						for ow, iw := l, l*sw+off; ow < h; ow, iw = ow+1, iw+sw {
							orow[ow] += wv * xrow[iw]
						}
					}
				}
			}
		}
	})
}

// axpy sets y[i] += a·x[i] (len(x) ≥ len(y)).
func axpy(y, x []float32, a float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

// depthwiseRows is depthwise at unit width stride: each task writes one
// input channel into a padded volume, then every output row of its OC/G
// output channels is one row-kernel call (bias, then the taps in
// (kd, kh, kw) order; padding taps add exact zeros), vectorised across the row.
func depthwiseRows(p *conv.Problem, x, w, b, out []float32, workers int) {
	mult := p.OCG()
	taps := p.Taps()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	OD, OH, OW := p.O[0], p.O[1], p.O[2]
	pv := newPaddedVolume(p)
	plan := newTapPlan(pv.tapOffsets(p, 1))
	pads := newScratch(workers)
	defer pads.release()
	forEach(workers, p.MB*p.G, func(wk, task int) {
		n, g := task/p.G, task%p.G
		buf := pads.get(wk, pv.size())
		pv.fill(p, x[(n*p.IC+g)*isp:(n*p.IC+g+1)*isp], buf)
		for o := 0; o < mult; o++ {
			oc := g*mult + o
			bias := float32(0)
			if b != nil {
				bias = b[oc]
			}
			wc := w[oc*taps : (oc+1)*taps]
			for od := 0; od < OD; od++ {
				// all OH rows of the plane in one call: output rows OW apart,
				// their input rows SH padded rows apart
				plane := out[(n*p.OC+oc)*osp+od*OH*OW:][:OH*OW]
				plan.run(plane, OW, OH, OW, buf[pv.rowBase(p, od, 0):], p.S[1]*pv.wp, wc, bias)
			}
		}
	})
}
