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
// oc/multiplier): each task writes one input channel into a padded volume
// (phase-split rows at width stride > 1, see paddedVolume), then each output
// plane of its OC/G output channels is one row-kernel call over all its rows
// (bias, then the taps in (kd, kh, kw) order; padding taps add exact zeros),
// vectorised across each row.
func depthwise(p *conv.Problem, x, w, b, out []float32, workers int) {
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

// axpy sets y[i] += a·x[i] (len(x) ≥ len(y)).
func axpy(y, x []float32, a float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}
