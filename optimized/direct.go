package optimized

import "convverify/conv"

// The direct convolution is blocked as output-channel blocks × output rows:
// each task owns ocBlock output channels of one output row.
//
//   - Unit width stride (directRows): the input is copied once into padded
//     volumes and each output row is one call of the AVX-512 row kernel
//     (multiTap), whose accumulators hold up to 64 outputs in four ZMM
//     registers while all (IC/G)·taps terms stream through.
//   - Other strides (pure Go): the row is walked in tiles of wTile positions,
//     the ocBlock×wTile accumulators in a small array that stays in L1 while
//     every (input channel, tap) is added.
const (
	ocBlock  = 4
	wTile    = 16
	rowBlock = 8 // output rows per task of the unit-stride path
)

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
	if p.S[2] == 1 {
		directRows(p, x, w, b, out, workers)
		return
	}
	icg, ocg := p.ICG(), p.OCG()
	taps := p.Taps()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	OD, OH, OW := p.O[0], p.O[1], p.O[2]
	IH, IW := p.I[1], p.I[2]
	nb := ceilDiv(ocg, ocBlock)
	forEach(workers, p.MB*p.G*nb*OD*OH, func(_, task int) {
		row := task % (OD * OH)
		od, oh := row/OH, row%OH
		task /= OD * OH
		ob := task % nb
		task /= nb
		g := task % p.G
		n := task / p.G
		oc0 := g*ocg + ob*ocBlock
		nob := min(ocBlock, (g+1)*ocg-oc0)
		var acc [ocBlock][wTile]float32
		var xs [wTile]float32
		for ow0 := 0; ow0 < OW; ow0 += wTile {
			nw := min(wTile, OW-ow0)
			for o := 0; o < nob; o++ {
				v := float32(0)
				if b != nil {
					v = b[oc0+o]
				}
				for t := 0; t < nw; t++ {
					acc[o][t] = v
				}
			}
			for c := 0; c < icg; c++ {
				xc := x[(n*p.IC+g*icg+c)*isp:]
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
							gatherRow(xs[:nw], xrow, ow0*p.S[2]-p.PBegin[2]+kw*p.Dil[2], p.S[2])
							tap := (kd*p.K[1]+kh)*p.K[2] + kw
							for o := 0; o < nob; o++ {
								wv := w[((oc0+o)*icg+c)*taps+tap]
								a := acc[o][:nw]
								for t, xv := range xs[:nw] {
									a[t] += wv * xv
								}
							}
						}
					}
				}
			}
			for o := 0; o < nob; o++ {
				copy(out[(n*p.OC+oc0+o)*osp+(od*OH+oh)*OW+ow0:][:nw], acc[o][:nw])
			}
		}
	})
}

// directRows is the direct convolution at unit width stride. The input is
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
