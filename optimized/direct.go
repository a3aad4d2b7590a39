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
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d := newDirectRows(ex, p, w, b)
			return func(in conv.Inputs[float32], out []float32) { d.run(in.X, out) }, nil
		},
	}
}

// directRows is the direct convolution. The input is
// written once into padded volumes; each task owns an ocBlock of output
// channels on rowBlock output rows and runs each channel's rows as one
// row-kernel call over all (IC/G)·taps terms, whose offsets are the same for
// every row and whose weights are the channel's contiguous [c][kd][kh][kw]
// block: each row (64 outputs per pass) accumulates in registers.
type directRows struct {
	ex                 *executor
	p                  *conv.Problem
	w, b               []float32
	pv                 paddedVolume
	padded             []float32 // padding zero from the start; runs write data slots only
	plan               tapPlan
	nb, rb             int
	x, out             []float32 // the current run's
	fillTask, rowsTask func(wk, task int)
}

func newDirectRows(ex *executor, p *conv.Problem, w, b []float32) *directRows {
	d := &directRows{ex: ex, p: p, w: w, b: b, pv: newPaddedVolume(p)}
	icg := p.ICG()
	isp, psz := conv.Spatial(p.I), d.pv.size()
	d.padded = ex.floats(p.MB * p.IC * psz)
	d.plan = newTapPlan(d.pv.tapOffsets(p, icg))
	d.nb = ceilDiv(p.OCG(), ocBlock)
	d.rb = ceilDiv(p.O[1], rowBlock)
	d.fillTask = func(_, nc int) {
		d.pv.fill(d.p, d.x[nc*isp:(nc+1)*isp], d.padded[nc*psz:(nc+1)*psz])
	}
	d.rowsTask = d.runTask
	return d
}

func (d *directRows) run(x, out []float32) {
	p := d.p
	d.x, d.out = x, out
	d.ex.forEach(p.MB*p.IC, d.fillTask)
	d.ex.forEach(p.MB*p.G*d.nb*p.O[0]*d.rb, d.rowsTask)
	d.x, d.out = nil, nil
}

func (d *directRows) runTask(_, task int) {
	p, pv, nb, rb := d.p, d.pv, d.nb, d.rb
	icg, ocg, taps := p.ICG(), p.OCG(), p.Taps()
	osp, psz := conv.Spatial(p.O), pv.size()
	OD, OH, OW := p.O[0], p.O[1], p.O[2]
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
	base := d.padded[(n*p.IC+g*icg)*psz+pv.rowBase(p, od, oh0):]
	for oc := oc0; oc < oc0+nob; oc++ {
		bias := float32(0)
		if d.b != nil {
			bias = d.b[oc]
		}
		rows := d.out[(n*p.OC+oc)*osp+(od*OH+oh0)*OW:][:(oh1-oh0)*OW]
		d.plan.run(rows, OW, oh1-oh0, OW, base, p.S[1]*pv.wp, d.w[oc*icg*taps:(oc+1)*icg*taps], bias)
	}
}
