package optimized

import "github.com/convverify/convverify/conv"

// The direct convolution is blocked as output-channel blocks × output-row
// blocks: each task owns ocBlock output channels of rowBlock output rows. The
// input is copied once into padded volumes (phase-split rows at width stride
// > 1, see paddedVolume) and each output row is one pass of the row kernel
// (multiTap: AVX-512, pure Go under noasm), whose accumulators hold up to 64
// outputs in four ZMM registers while all (IC/G)·taps terms stream through.
// (ocBlock and rowBlock are in tiles.go.)

func directTiledVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "direct-tiled",
			Ops:      []conv.Op{conv.OpConv},
			Supports: func(p *conv.Problem) error { return nil },
			// C = 1: every output is bias + Σ x·w over its taps (padding taps
			// add exact zeros), summed recursively in float32 in (c, kd, kh,
			// kw) order, each step a multiply-add (fused in the row kernel,
			// which only removes roundings).
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		run: func(p *conv.Problem, in conv.Inputs[float32], out []float32, workers int) error {
			directTiled(p, in.X, in.W, in.B, out, workers)
			return nil
		},
	}
}

func directTiled(p *conv.Problem, x, w, b, out []float32, workers int) {
	directRows(p, x, w, b, out, workers)
}

// directRows is the direct convolution. The input is
// written once into padded volumes; each task owns an ocBlock of output
// channels on rowBlock output rows and runs each channel's rows as one
// row-kernel call over all (IC/G)·taps terms, whose offsets are the same for
// every row and whose weights are the channel's contiguous [c][kd][kh][kw]
// block: each row (64 outputs per pass) accumulates in registers.
func directRows(p *conv.Problem, x, w, b, out []float32, workers int) {
	icg, ocg := p.ICG(), p.OCG()
	taps := p.Taps()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	OD, OH, OW := p.O[0], p.O[1], p.O[2]
	pv := newPaddedVolume(p)
	psz := pv.size()
	padded := make([]float32, p.MB*p.IC*psz)
	forEach(workers, p.MB*p.IC, func(_, nc int) {
		pv.fill(p, x[nc*isp:(nc+1)*isp], padded[nc*psz:(nc+1)*psz])
	})
	plan := newTapPlan(pv.tapOffsets(p, icg))
	nb := ceilDiv(ocg, ocBlock)
	rb := ceilDiv(OH, rowBlock)
	forEach(workers, p.MB*p.G*nb*OD*rb, func(_, task int) {
		blk := task % rb
		task /= rb
		od := task % OD
		task /= OD
		ob := task % nb
		task /= nb
		g := task % p.G
		n := task / p.G
		oc0 := g*ocg + ob*ocBlock
		nob := min(ocBlock, (g+1)*ocg-oc0)
		oh0, oh1 := blk*rowBlock, min(OH, (blk+1)*rowBlock)
		hitIf(nob < ocBlock, pathDirectOCRem)
		hitIf(rb > 1 && oh1-oh0 < rowBlock, pathDirectRowRem)
		base := padded[(n*p.IC+g*icg)*psz+pv.rowBase(p, od, oh0):]
		for oc := oc0; oc < oc0+nob; oc++ {
			bias := float32(0)
			if b != nil {
				bias = b[oc]
			}
			rows := out[(n*p.OC+oc)*osp+(od*OH+oh0)*OW:][:(oh1-oh0)*OW]
			plan.run(rows, OW, oh1-oh0, OW, base, p.S[1]*pv.wp, w[oc*icg*taps:(oc+1)*icg*taps], bias)
		}
	})
}
