package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
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
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d := newDepthwise(ex, p, w, b)
			return func(in conv.Inputs[float32], out []float32) { d.run(in.X, out) }, nil
		},
	}
}

// depthwise computes a convolution with one input channel per group
// (G = IC, OC = IC·multiplier, output channel oc reads input channel
// oc/multiplier): each task owns one input channel. In 2D (and 1D) it
// copies the padded rows of a block of output rows at a time into a small
// window (depthwisePlane); in 3D it writes the whole padded volume. Rows
// are phase-split at width stride > 1 (see paddedVolume), so the row
// kernel reads every tap contiguously and one call covers a block (a
// plane in 3D) of each of its OC/G output channels: bias, then the taps in
// (kd, kh, kw) order (padding taps add exact zeros), vectorised across
// each row. The sum per output does not depend on the blocking. Small
// planes, where a channel's row overheads outweigh its arithmetic, take the
// channels-last path instead (dwCL, chosen by dwChoose): blocks of 16
// channels in the vector lanes, the same sum per output in the same order.
// Other 2D planes of a 3×3 undilated kernel at stride 1 or 2 with one
// output channel per input channel take the path from the input rows
// (dw3x3), with no window copy.
type depthwise struct {
	ex     *executor
	p      *conv.Problem
	w, b   []float32
	pv     paddedVolume
	plan   tapPlan
	pads   [][]float32 // per worker, zero from the start: fill and the window copy keep the padding zero
	rows   int         // output rows per window (dwBlockRows), rank ≤ 2
	x, out []float32   // the current run's
	task   func(wk, task int)
	cl     *dwCL  // the channels-last path, else nil
	d3     *dw3x3 // the 3×3 path from the input rows, else nil
}

func newDepthwise(ex *executor, p *conv.Problem, w, b []float32) *depthwise {
	d := &depthwise{ex: ex, p: p, w: w, b: b}
	if dwChoose(p) == dwCLPath {
		d.cl = newDwCL(ex, p, w, b)
		d.task = d.runCLTask
		return d
	}
	if d.d3 = newDw3x3(p); d.d3 != nil {
		d.task = d.run3x3Task
		return d
	}
	d.pv = newPaddedVolume(p)
	if d.pv.dp == 1 {
		d.pv = d.pv.alignRows()
	}
	d.plan = newTapPlan(d.pv.tapOffsets(p, 1))
	size := d.pv.size()
	if d.pv.dp == 1 {
		d.rows = dwBlockRows(p, d.pv.wp)
		size = dwWindow(p, d.rows)*d.pv.wp + vecAlign
	}
	d.pads = ex.perWorkerZero(size)
	d.task = d.runTask
	return d
}

func (d *depthwise) run(x, out []float32) {
	d.x, d.out = x, out
	// affine: a plane is a fraction of a microsecond at 14² and 7², and
	// with one shared counter two workers passed its line back and forth
	// on every claim; paired over the shared counter (2 workers, calls
	// alternated): MobileNet's depthwise layers 512 at 14² 1.08, 1024 at
	// 7² 1.37, 128 at 56² 1.10, 256 at 28² stride 2 2.25, 32 at 112² 1.01
	d.ex.forEachAffine(depthwiseTasks(d.p), d.task)
	d.x, d.out = nil, nil
}

// depthwiseTasks is depthwise's task count: image × input channel, or
// image × channel block on the channels-last path.
func depthwiseTasks(p *conv.Problem) int {
	if dwChoose(p) != dwRowsPath {
		return p.MB * ceilDiv(p.G, dwLanes)
	}
	return p.MB * p.G
}

func (d *depthwise) runCLTask(wk, task int) {
	b := d.cl.blocks
	d.cl.task(d.p, d.x, d.out, wk, task/b, task%b)
}

// run3x3Task is the task of the 3×3 path from the input rows: one plane
// (dw3x3).
func (d *depthwise) run3x3Task(_, task int) {
	p := d.p
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	n, g := task/p.G, task%p.G
	bias := float32(0)
	if d.b != nil {
		bias = d.b[g]
	}
	d.d3.plane(p, d.out[(n*p.OC+g)*osp:][:osp], d.x[(n*p.IC+g)*isp:][:isp], d.w[g*9:(g+1)*9], bias)
}

func (d *depthwise) runTask(wk, task int) {
	p, pv := d.p, d.pv
	mult := p.OCG()
	taps := p.Taps()
	isp, osp := conv.Spatial(p.I), conv.Spatial(p.O)
	OD, OH, OW := p.O[0], p.O[1], p.O[2]
	n, g := task/p.G, task%p.G
	buf := d.pads[wk]
	if pv.dp == 1 {
		buf = alignVec(buf)
	}
	xc := d.x[(n*p.IC+g)*isp : (n*p.IC+g+1)*isp]
	hitIf(mult > 1, pathDwMultiplier)
	if pv.dp == 1 {
		hit(pathDwWindow)
		depthwisePlane(p, pv, d.plan, xc, d.w, d.b, d.out[n*p.OC*osp:], buf, g, d.rows)
		return
	}
	hit(pathDwVolume)
	pv.fill(p, xc, buf)
	for o := 0; o < mult; o++ {
		oc := g*mult + o
		bias := float32(0)
		if d.b != nil {
			bias = d.b[oc]
		}
		wc := d.w[oc*taps : (oc+1)*taps]
		for od := 0; od < OD; od++ {
			// all OH rows of the plane in one call: output rows OW apart,
			// their input rows SH padded rows apart
			plane := d.out[(n*p.OC+oc)*osp+od*OH*OW:][:OH*OW]
			d.plan.run(plane, OW, OH, OW, buf[pv.rowBase(p, od, 0):], p.S[1]*pv.wp, wc, bias)
		}
	}
}

// dwOwnKernels reports whether depthwise takes its own paths where they
// apply, the 3×3 path from the input rows (dw3x3) and the channels-last
// one (dwCL): their kernels are AVX-512 assembly or Go, so with AVX-512,
// and with no assembly at all, they beat the row path as dwChoose
// measures; on an AVX2 machine the row kernel is assembly (multiTapAVX2)
// and theirs would be Go, and every plane takes the row path. A test
// switches dwForceOwn on to check those paths' Go code there.
func dwOwnKernels() bool {
	return hasMultiTapAsm || multiTapISA == multiTapGoISA || dwForceOwn
}

// dwForceOwn makes dwOwnKernels true (tests only).
var dwForceOwn bool

// dwWindow is the number of padded rows a block of rows output rows reads.
func dwWindow(p *conv.Problem, rows int) int { return (rows-1)*p.S[1] + p.ExtK(1) }

// dwBlockRows is depthwisePlane's block of output rows for padded rows of
// wp floats: the whole plane when its window fits dwWhole bytes (16 KiB,
// a third of L1: a 56² plane at stride 1 or 2, 28² and smaller), else
// dwRows (16). Why: the row kernel and the window copy cost a call and a
// few counters per block, and the rows two blocks share (ExtKH − SH of
// every block) are copied twice; larger windows than these fell out of L1
// beside the block's outputs. Interleaved A/B against blocks of 8 (with
// the prefetch below, since removed), 1 worker, median of paired ratios:
// MobileNet's depthwise layers 1.11 (112², stride 1), 1.23 (112², stride
// 2), 1.20 (56², stride 1), 1.33 (56², stride 2); 224² planes 1.06–1.09.
// Whole 112² planes in blocks of 30 or 32 rows (a 16 KiB window) ran at
// 0.96 of 16 at stride 1 and 0.94 at stride 2. Fixed by the shape, never
// by the workers.
func dwBlockRows(p *conv.Problem, wp int) int {
	if OH := p.O[1]; dwWindow(p, OH)*wp*4 <= dwWhole {
		return OH
	}
	return dwRows
}

// depthwisePlane is depthwise's task for one input channel g of a single
// input plane (rank ≤ 2). For each block of rows output rows
// (dwBlockRows) it copies the padded rows the block reads into win
// (dwWindow rows, reused: their padding slots stay zero once cleared) and
// runs the row kernel on them: the window stays in L1 for both the copy's
// stores and the kernel's loads, where a whole large padded plane would
// not (the rows shared by two blocks are copied twice, ExtKH − SH of
// every rows·SH). The input is not prefetched: the hardware's stream
// prefetch keeps up, and a software prefetch of the next block's rows
// (PREFETCHT1 on every fourth line) ran 3–15% slower on every plane of
// 56² and more (paired ratios, 1 worker; 1.07 faster without it at 112²
// stride 2 on 2 workers). out is the image's output
// [OC][OH·OW].
func depthwisePlane(p *conv.Problem, pv paddedVolume, plan tapPlan, x, w, b, out, win []float32, g, rows int) {
	mult, taps := p.OCG(), p.Taps()
	IH, IW := p.I[1], p.I[2]
	OH, OW := p.O[1], p.O[2]
	SH, PH := p.S[1], p.PBegin[1]
	hitIf(rows == OH && OH > dwRows, pathDwWholePlane)
	for oh0 := 0; oh0 < OH; oh0 += rows {
		oh1 := min(OH, oh0+rows)
		// padded rows [pr0, pr1) are window rows [0, pr1 − pr0); those
		// outside the input are padding
		pr0 := oh0 * SH
		pr1 := (oh1-1)*SH + p.ExtK(1)
		ih0, ih1 := max(0, pr0-PH), min(IH, pr1-PH)
		hitIf(oh1-oh0 < rows, pathDwRowRem)
		if ih1 <= ih0 {
			hit(pathDwWindowPad)
			clear(win[:(pr1-pr0)*pv.wp])
		} else {
			clear(win[:(ih0+PH-pr0)*pv.wp])
			clear(win[(ih1+PH-pr0)*pv.wp : (pr1-pr0)*pv.wp])
			if pv.sw == 1 {
				// one call for the window's rows (pv.copyRows' case 1)
				hit(pathPadStride1)
				copyRows1(win[(ih0+PH-pr0)*pv.wp+p.PBegin[2]:], pv.wp, x[ih0*IW:], IW, IW, ih1-ih0)
			} else {
				pv.copyRows(p, win[(ih0+PH-pr0)*pv.wp:], x[ih0*IW:], ih1-ih0)
			}
		}
		for o := 0; o < mult; o++ {
			oc := g*mult + o
			bias := float32(0)
			if b != nil {
				bias = b[oc]
			}
			rows := out[oc*OH*OW+oh0*OW:][:(oh1-oh0)*OW]
			plan.run(rows, OW, oh1-oh0, OW, win, SH*pv.wp, w[oc*taps:(oc+1)*taps], bias)
		}
	}
}

// axpy sets y[i] += a·x[i] (len(x) ≥ len(y)).
func axpy(y, x []float32, a float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}
