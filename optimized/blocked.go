package optimized

import (
	"fmt"
	"slices"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

// direct-blocked is the direct convolution on flat phase planes with a
// register-blocked micro-kernel.
//
// Flat phase planes: each run writes the input once into zero-padded planes
// split by stride phase (space-to-depth): for strides (SD, SH, SW), phase
// (a, b, c) holds padded input (SD·i + a, SH·j + b, SW·l + c) at (i, j, l)
// of a Dq×Hq×Wq plane (Dq = ⌈Dp/SD⌉ … of the padded extents). Tap (kd, kh,
// kw) of output (od, oh, ow) then reads phase (kd·DD mod SD, kh·DH mod SH,
// kw·DW mod SW) at (od + kd·DD div SD, oh + kh·DH div SH, ow + kw·DW div
// SW): at flat position f = oh·Wq + ow of depth slice od plus an offset
// that depends only on the (channel, tap) term. So all outputs of a depth
// slice form one flat run of (OH−1)·Wq + OW positions, every term of every
// output at a constant offset; only the Wq − OW columns after each row are
// garbage (computed and never stored). Only the phases some tap reads are
// written. A 1×1 kernel at stride 1 without padding reads the input itself
// (no copy; the whole volume is one run).
//
// Micro-kernel (blockedKernel: AVX-512 or else AVX2+FMA assembly generated
// by gen/genblocked.py, pure Go under noasm or without either): MR output
// channels × T = 16·NV consecutive flat outputs in registers; per term k
// it loads the tile's input vectors at x + offs[k], broadcasts MR weights
// from the packed panel wp[k][MR] and does an FMA per accumulator. MR×T is
// 8×48, 6×64 or 12×32 with AVX-512 (and in Go), 6×16, 3×32 or 2×48 with
// AVX2 (blockedShapeTable), whichever wastes least of its tiles on padded
// channels and positions past the run (blockedShape). The last, partial
// tile of a run loads masked (it may end the buffer).
//
// Tasks are (image, group, depth slice, range of flat tiles, range of
// output-channel blocks; the ranges cut only for workers), and a task
// walks its tiles one by one: for each tile, K blocks of kc input channels
// (their input window, kc·(T + term span) floats, stays in L1 across the
// output-channel blocks) × every output-channel block, accumulating in a
// scratch tile per block, which the last K block's results leave to be
// copied (valid columns only) into the output. The output-channel blocks
// go in groups whose weight panels fit in L2 (all of them but in deep
// layers), the tiles looping inside a group, so that a deep layer's
// weights are read from L3 once, not once per tile. The ranges split only as far as the
// workers need (splitTarget); the K blocks, their order and every
// output's summation are fixed by the problem.

func directBlockedVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "direct-blocked",
			Ops:      []conv.Op{conv.OpConv},
			Supports: func(p *conv.Problem) error { return nil },
			// C = 1: every output starts at its bias and adds its IC/G·taps
			// terms x·w one at a time in (c, kd, kh, kw) order, the K blocks
			// in channel order continuing the same accumulator (stored to
			// and reloaded from the scratch tile unchanged), each step one
			// fused multiply-add (assembly) or a multiply and an add (Go):
			// a recursive float32 sum of N = IC/G·taps products, whose error
			// is at most γ_N·Σ|x·w| with the bias as the start value. Padding
			// taps read zeros written by the plane copy and add exact zeros.
			// Garbage columns are never stored. Integer inputs with partial
			// sums below 2^24 stay exact in every step.
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d, err := newBlockedConv(ex, p, w, b)
			if err != nil {
				return nil, err
			}
			return func(in conv.Inputs[float32], out []float32) { d.run(in.X, out) }, nil
		},
	}
}

// blockedISAKind is a set of micro-kernels: Go, AVX2+FMA or AVX-512
// assembly.
type blockedISAKind uint8

const (
	blockedGoISA blockedISAKind = iota
	blockedAVX2
	blockedAVX512
)

// blockedISA is the kernel set in use: the best this machine runs
// (blockedBestISA); tests switch it to blockedAVX2 to run the AVX2
// kernels on an AVX-512 machine. Shapes (blockedShape), hence every plan's
// tile width and geometry, follow it: a plan must run under the set it was
// made for.
var blockedISA = blockedBestISA()

// blockedKernelName names direct-blocked's micro-kernel in use.
func blockedKernelName() string {
	switch blockedISA {
	case blockedAVX512:
		return "blocked=avx512"
	case blockedAVX2:
		return "blocked=avx2"
	}
	return "blocked=go"
}

// A blockedShapeT is a micro-kernel shape, (MR output channels, NV = T/16,
// relative speed in percent): T = 16·NV flat outputs.
type blockedShapeT = [3]int

// blockedShapes512 are the AVX-512 micro-kernel shapes: NV vectors of 16,
// all 24 of 32 accumulators, equally fast. 12×32 serves the runs of small
// planes (14²: 222 positions, 99% of seven 32-wide tiles, 93% of five
// 48-wide ones). The Go kernel uses them too.
var blockedShapes512 = []blockedShapeT{{8, 3, 100}, {6, 4, 100}, {12, 2, 100}}

// blockedShapesAVX2 are the AVX2 shapes: 6×16, 3×32 and 2×48 outputs, 2, 4
// and 6 vectors of 8, 12 accumulators of the 16 YMM registers each
// (gen/genblocked.py's shapes2). T stays a multiple of 16: the tile width
// is 16·NV for every caller whatever the set. 2×48 loads 6 input vectors a
// term for 12 FMAs (6×16 two, 3×32 four), more loads that split across
// cache lines: alone in L1 it ran at 85–90% of 6×16's and 3×32's speed
// (BenchmarkBlockedKernel, medians), direct-blocked on ResNet-50's res2a
// with it alone at 90–95%; so 2×48 serves only where the others waste
// over 10% more (of long runs: 1, 2, 4, 7, 8, 10 or 16 output channels).
var blockedShapesAVX2 = []blockedShapeT{{6, 1, 100}, {3, 2, 100}, {2, 3, 90}}

// blockedShapeTable is isa's shape table.
func blockedShapeTable(isa blockedISAKind) []blockedShapeT {
	if isa == blockedAVX2 {
		return blockedShapesAVX2
	}
	return blockedShapes512
}

// blockedShape picks the micro-kernel of the kernel set in use for ocg
// output channels per group and flat runs of runLen positions
// (blockedShapeIn); its tile width is T = 16·nv.
func blockedShape(ocg, runLen int) (mr, nv int) {
	return blockedShapeIn(blockedShapeTable(blockedISA), ocg, runLen)
}

// blockedShapeIn picks of shapes the one whose tiles waste least, the
// product of the share of real channels, ocg/(⌈ocg/MR⌉·MR), and of real
// positions, runLen/(⌈runLen/T⌉·T) (a 7×7 plane's run of 61 is 95% of one
// 64-wide tile and 64% of two 48-wide ones), weighted by the shape's
// relative speed; the first on a tie.
func blockedShapeIn(shapes []blockedShapeT, ocg, runLen int) (mr, nv int) {
	best := -1.0
	for _, s := range shapes {
		t := 16 * s[1]
		eff := float64(ocg) / float64(ceilDiv(ocg, s[0])*s[0]) * float64(runLen) / float64(ceilDiv(runLen, t)*t)
		eff *= float64(s[2]) / 100
		if eff > best {
			best, mr, nv = eff, s[0], s[1]
		}
	}
	return mr, nv
}

// blockedL1 is the budget, in floats, of a K block's input window: 24 KB
// (half an L1 data cache) at the production tiles; at the test tiles
// (SmallTiles) a few hundred floats, so that problems of a few channels
// already cross several K blocks with a remainder.
func blockedL1() int {
	if colTile < DefaultTiles.ColTile {
		return 512
	}
	return 6144
}

// blockedL2 is the budget, in floats, of a group of output-channel blocks'
// weight panels: 1 MB (half an L2) at the production tiles; at the test
// tiles a few hundred floats, so that small problems cross several groups.
func blockedL2() int {
	if colTile < DefaultTiles.ColTile {
		return 384
	}
	return 1 << 18
}

// blockedGeom is direct-blocked's decomposition of a problem. It is computed
// without allocating, for Tasks as for the plan.
type blockedGeom struct {
	mr, nv, t  int    // kernel shape and tile width T = 16·nv
	noCopy     bool   // 1×1, stride 1, no padding: the input is the plane
	q          [3]int // phase plane extents Dq, Hq, Wq
	plane      int    // Dq·Hq·Wq
	nph        int    // phases some tap reads
	chanSize   int    // floats per channel in the planes (nph·plane; the input's spatial size without copy)
	nslice     int    // flat runs per (image, channel): output depth slices
	rows, cols int    // output rows and columns of a run
	wq         int    // flat pitch of a row in a run
	slicePitch int    // flat distance between the runs of consecutive depth slices
	runLen     int    // (rows−1)·wq + cols
	ntiles     int    // ⌈runLen / T⌉
	nob        int    // output-channel blocks ⌈OCG/MR⌉
	k          int    // terms per output: ICG·taps
	kc, nkb    int    // input channels per K block, K blocks
	chunks     int    // tile ranges per (image, group, slice)
	tilesPer   int    // tiles per range
	obChunks   int    // output-channel block ranges per tile range
	obPer      int    // blocks per range
	span       int    // 1 + the largest term offset from a group's first channel
	obGroup    int    // output-channel blocks per group (the tiles loop inside a group)
	reach      int    // the largest term offset inside a phase plane
}

func newBlockedGeom(p *conv.Problem, workers int) blockedGeom {
	var g blockedGeom
	g.noCopy = true
	for a := 0; a < 3; a++ {
		g.noCopy = g.noCopy && p.K[a] == 1 && p.S[a] == 1 && p.PBegin[a] == 0 && p.PEnd[a] == 0
	}
	icg, taps := p.ICG(), p.Taps()
	g.k = icg * taps
	if g.noCopy {
		isp := conv.Spatial(p.I)
		g.q = [3]int{1, 1, isp}
		g.plane, g.nph, g.chanSize = isp, 1, isp
		g.nslice, g.rows, g.cols, g.wq = 1, 1, isp, isp
		g.span = (icg-1)*isp + 1
	} else {
		for a := 0; a < 3; a++ {
			ext := max((p.O[a]-1)*p.S[a]+p.ExtK(a), p.PBegin[a]+p.I[a])
			g.q[a] = ceilDiv(ext, p.S[a])
		}
		g.plane = g.q[0] * g.q[1] * g.q[2]
		// the phases read: those of kd·DD mod SD × … (counted per axis)
		g.nph = 1
		for a := 0; a < 3; a++ {
			g.nph *= len(blockedAxisPhases(p, a))
		}
		g.chanSize = g.nph * g.plane
		g.nslice, g.rows, g.cols, g.wq = p.O[0], p.O[1], p.O[2], g.q[2]
		g.slicePitch = g.q[1] * g.q[2]
		last := 0
		for a := 0; a < 3; a++ {
			last = last*g.q[a] + (p.K[a]-1)*p.Dil[a]/p.S[a]
		}
		// the last channel's last phase holds the largest offsets
		g.reach = last
		g.span = (icg-1)*g.chanSize + (g.nph-1)*g.plane + last + 1
	}
	g.runLen = (g.rows-1)*g.wq + g.cols
	g.mr, g.nv = blockedShape(p.OCG(), g.runLen)
	g.t = 16 * g.nv
	g.ntiles = ceilDiv(g.runLen, g.t)
	g.nob = ceilDiv(p.OCG(), g.mr)
	// a channel's window in a tile: in each phase it reads, T outputs
	// plus the reach of its taps
	chanWin := g.nph * (g.t + g.reach)
	g.kc = max(1, min(icg, blockedL1()/chanWin))
	g.nkb = ceilDiv(icg, g.kc)
	// Parallel split, only as far as the workers need (splitTarget): tile
	// ranges, then ranges of output-channel blocks, never under
	// minTaskMACs multiply-adds a task. Every output's K blocks and
	// summation are the same whatever the split.
	base := p.MB * p.G * g.nslice
	target := splitTarget(workers)
	g.tilesPer, g.obPer = g.ntiles, g.nob
	if base < target {
		g.tilesPer = rangeCut(g.ntiles, ceilDiv(target, base), g.t*p.OCG()*g.k)
	}
	g.chunks = ceilDiv(g.ntiles, g.tilesPer)
	if base*g.chunks < target {
		g.obPer = rangeCut(g.nob, ceilDiv(target, base*g.chunks), g.tilesPer*g.t*g.mr*g.k)
	}
	g.obChunks = ceilDiv(g.nob, g.obPer)
	// Output-channel blocks go in groups whose weight panels (k·MR floats
	// each) fit half of L2, the tiles looping inside a group: a deep
	// layer's weights, walked whole per tile, would stream from L3 per
	// tile; a group's stay in L2 across the tiles and the input is re-read
	// once per group.
	g.obGroup = max(1, min(g.nob, blockedL2()/(g.k*g.mr)))
	return g
}

// balancedCut is rangeCut weighed for workers: of the range sizes that
// give from rangeCut's number of ranges up to four times want, none under
// rangeCut's minTaskMACs floor, the one whose ranges, copies times over
// (the tasks of the other axes), end soonest on workers (rangeMakespan),
// the fewest ranges among equals. Why: rangeCut's n/want rounds down, and
// 10 output-channel blocks for 4 tasks were 5 ranges of 2, three on one of
// two workers and two on the other; GoogLeNet's 3×3 160→320 and 144→288 at
// 14² ran 1.53× and 1.61× one worker on two.
func balancedCut(n, want, copies, workers, macsPerItem int) int {
	per := rangeCut(n, want, macsPerItem)
	if workers <= 1 || per <= 1 {
		return per
	}
	floor := 1
	if m := minTaskMACs(); m > 0 {
		floor = ceilDiv(m, macsPerItem)
	}
	best := rangeMakespan(n, per, copies, workers)
	for count := ceilDiv(n, per) + 1; count <= min(n, 4*max(1, want)); count++ {
		q := ceilDiv(n, count)
		if q < floor {
			break
		}
		if m := rangeMakespan(n, q, copies, workers); m < best {
			best, per = m, q
		}
	}
	return per
}

// rangeMakespan is the most items a worker gets when n items cut into
// ranges of per (the last the rest), copies times over, go largest first
// to the least loaded of workers: a model of the executor's affine blocks
// with stealing.
func rangeMakespan(n, per, copies, workers int) int {
	k := ceilDiv(n, per)
	rest := n - (k-1)*per
	full := copies * (k - 1)
	lo, extra := full/workers, full%workers
	load := make([]int, 0, 16)
	for w := range workers {
		l := lo * per
		if w < extra {
			l += per
		}
		load = append(load, l)
	}
	for range copies {
		i := 0
		for j := range load {
			if load[j] < load[i] {
				i = j
			}
		}
		load[i] += rest
	}
	return slices.Max(load)
}

// rangeCut returns the items per range when n items of macsPerItem
// multiply-adds each are cut into ranges for want tasks: at most n/want
// (at least want ranges), but never under minTaskMACs multiply-adds a
// range, which may give fewer.
func rangeCut(n, want, macsPerItem int) int {
	per := max(1, n/want)
	if m := minTaskMACs(); m > 0 {
		per = max(per, ceilDiv(m, macsPerItem))
	}
	return min(per, n)
}

// tasks is the number of tasks of the output phase.
func (g blockedGeom) tasks(p *conv.Problem) int { return p.MB * p.G * g.nslice * g.chunks * g.obChunks }

// useful is the share of the kernel's multiply-adds that reach an output:
// of the T·⌈runLen/T⌉ positions and MR·⌈OCG/MR⌉ channels a run's tiles
// compute, rows·cols positions and OCG channels are real.
func (g blockedGeom) useful(p *conv.Problem) float64 {
	return float64(g.rows*g.cols*p.OCG()) / float64(g.ntiles*g.t*g.nob*g.mr)
}

// blockedSplit is Tasks' count and description for direct-blocked.
func blockedSplit(p *conv.Problem, workers int) (int, string) {
	g := newBlockedGeom(p, workers)
	return g.tasks(p), fmt.Sprintf("batch %d × groups %d × depth slices %d × flat-tile ranges %d (%d tiles of %d positions, %d per range) × output-channel block ranges %d (%d blocks of %d, %d per range; tasks of ≥ %d multiply-adds)",
		p.MB, p.G, g.nslice, g.chunks, g.ntiles, g.t, g.tilesPer, g.obChunks, g.nob, g.mr, g.obPer, minTaskMACs())
}

// blockedAxisPhases lists the phases (tap·dilation mod stride) that the
// taps of axis a read, ascending.
func blockedAxisPhases(p *conv.Problem, a int) []int {
	var ph []int
	for k := 0; k < p.K[a]; k++ {
		if r := k * p.Dil[a] % p.S[a]; !slices.Contains(ph, r) {
			ph = append(ph, r)
		}
	}
	slices.Sort(ph)
	return ph
}

// blockedConv is direct-blocked prepared for one problem.
type blockedConv struct {
	ex     *executor
	p      *conv.Problem
	g      blockedGeom
	offs   []int       // per term (c, kd, kh, kw): offset from the group's first channel
	wp     []float32   // packed weights [G][nob][K][MR], zero past OCG
	bias   []float32   // [G][nob][MR], zero past OCG or without bias
	planes []float32   // MB·IC channels of chanSize (nil without copy)
	acc    [][]float32 // per worker: the scratch tiles, [nob or 1][MR][T]
	// the phase planes to write: phase (a, b, c) at plane index idx
	phases []blockedPhase
	// per width phase c: plane columns [lo, hi) hold input columns from iw0
	colLo, colHi, colIW []int
	x, out              []float32 // the current run's
	fillTask, runTask   func(wk, task int)
	// s2 is the width-stride-2 split, at SW = 2 where both width phases
	// are read: fillChannel writes the two phase planes of a row at once
	s2      *split2
	fillCut fillSplit // how the input's fill is cut into tasks
}

type blockedPhase struct{ a, b, c, idx int }

func newBlockedConv(ex *executor, p *conv.Problem, w, b []float32) (*blockedConv, error) {
	d, err := newBlockedPlanes(ex, p)
	if err != nil {
		return nil, err
	}
	d.usePlanes()
	g := d.g
	mr := g.mr
	d.wp = ex.floats(p.G * g.nob * g.k * mr) // pooled for a one-shot call (see newRowsConv)
	d.bias = ex.floats(p.G * g.nob * mr)
	if w != nil {
		d.pack(w, b)
	}
	tiles := 1
	if g.nkb > 1 {
		tiles = g.obGroup
	}
	d.acc = ex.perWorker(tiles * mr * g.t)
	d.runTask = d.task
	return d, nil
}

// newBlockedPlanes is direct-blocked's input side for p: the geometry, the
// terms' offsets and the phase planes with their fill (direct-rows runs
// its own kernel on them).
func newBlockedPlanes(ex *executor, p *conv.Problem) (*blockedConv, error) {
	g := newBlockedGeom(p, ex.workers)
	d := &blockedConv{ex: ex, p: p, g: g}
	icg := p.ICG()
	if g.noCopy {
		d.offs = make([]int, g.k)
		for c := range d.offs {
			d.offs[c] = c * g.chanSize
		}
	} else {
		var ph [3][]int
		for a := 0; a < 3; a++ {
			ph[a] = blockedAxisPhases(p, a)
		}
		idx := func(a, b, c int) int {
			i := 0
			for _, x := range [3][2]int{{a, 0}, {b, 1}, {c, 2}} {
				j := 0
				for ph[x[1]][j] != x[0] {
					j++
				}
				i = i*len(ph[x[1]]) + j
			}
			return i
		}
		for _, a := range ph[0] {
			for _, b := range ph[1] {
				for _, c := range ph[2] {
					d.phases = append(d.phases, blockedPhase{a, b, c, idx(a, b, c)})
				}
			}
		}
		// the taps' offsets in channel 0, then every channel's: the
		// phase lookup per tap, not per tap and channel (a one-shot call
		// builds this on every run: 1.6% of an 11×11 16→16 layer's time
		// when each of its 1936 entries looked its phase up)
		taps := make([]int, 0, p.Taps())
		for kd := 0; kd < p.K[0]; kd++ {
			for kh := 0; kh < p.K[1]; kh++ {
				for kw := 0; kw < p.K[2]; kw++ {
					jd, jh, jw := kd*p.Dil[0], kh*p.Dil[1], kw*p.Dil[2]
					taps = append(taps, idx(jd%p.S[0], jh%p.S[1], jw%p.S[2])*g.plane+
						((jd/p.S[0])*g.q[1]+jh/p.S[1])*g.q[2]+jw/p.S[2])
				}
			}
		}
		d.offs = make([]int, 0, g.k)
		for c := 0; c < icg; c++ {
			for _, t := range taps {
				d.offs = append(d.offs, c*g.chanSize+t)
			}
		}
		sw, pw, iw := p.S[2], p.PBegin[2], p.I[2]
		d.colLo, d.colHi, d.colIW = make([]int, sw), make([]int, sw), make([]int, sw)
		for c := 0; c < sw; c++ {
			// plane column l holds input column sw·l + c − pw
			lo := 0
			if pw > c {
				lo = ceilDiv(pw-c, sw)
			}
			hi := lo
			if last := pw + iw - 1 - c; last >= 0 {
				hi = max(lo, min(g.q[2], last/sw+1))
			}
			d.colLo[c], d.colHi[c], d.colIW[c] = lo, hi, sw*lo+c-pw
		}
		if p.S[2] == 2 && len(ph[2]) == 2 {
			s2 := newSplit2(p.PBegin[2], p.I[2])
			d.s2 = &s2
		}
		d.fillTask = d.fillRows
		d.fillCut = newFillSplit(p, ex.workers, true)
	}
	for _, o := range d.offs {
		if o < 0 || o >= g.span {
			return nil, fmt.Errorf("direct-blocked: term offset %d outside [0, %d)", o, g.span)
		}
	}
	return d, nil
}

// usePlanes gives d the phase planes that all workers fill (none when the
// input is read in place), zero: the fill writes data slots only. (Not
// where each worker fills its own copy, direct-rows' rowsOwnPlanes: a
// one-shot call would clear them in vain.)
func (d *blockedConv) usePlanes() {
	if !d.g.noCopy {
		d.planes = d.ex.floats(d.p.MB * d.p.IC * d.g.chanSize)
	}
}

// pack writes the weights w [OC][IC/G][K…] and bias b [OC] (nil: none)
// into d's panels, wp [G][nob][K][MR] and bias [G][nob][MR], zero past
// OC/G.
func (d *blockedConv) pack(w, b []float32) { d.packInto(d.wp, d.bias, d.p.G, w, b) }

// packInto is pack for the first groups groups, into wp and bias (nil
// with b: none) of that layout: dynamic-blocked packs each expert's
// kernel [OC/G'·groups][IC/G][K…] this way once, and mixes the packed
// experts straight into d's panels on every run.
func (d *blockedConv) packInto(wp, bias []float32, groups int, w, b []float32) {
	packBlockedPanels(wp, bias, groups, d.p.OCG(), d.g.k, d.g.mr, w, b)
}

// packBlockedPanels writes weights w [groups·ocg][k] into the kernel's
// panels wp [groups][⌈ocg/mr⌉][k][mr] and, when b is not nil, the biases
// b [groups·ocg] into bias [groups][⌈ocg/mr⌉][mr]; the slots past ocg are
// left as they are (zero in a fresh buffer). direct-blocked's and
// deconv-blocked's (per phase) layout.
func packBlockedPanels(wp, bias []float32, groups, ocg, k, mr int, w, b []float32) {
	nob := ceilDiv(ocg, mr)
	for gi := 0; gi < groups; gi++ {
		for ob := 0; ob < nob; ob++ {
			o0 := gi*ocg + ob*mr
			rows := min(mr, ocg-ob*mr)
			if b != nil {
				copy(bias[(gi*nob+ob)*mr:][:rows], b[o0:o0+rows])
			}
			if k == 0 {
				continue
			}
			// the panel is the block's weight rows transposed: a one-shot
			// call packs on every run, and a Go loop over the panel took
			// 4.5% of a one-shot 3×3 64→64 layer at 56²
			gemm.Transpose(wp[(gi*nob+ob)*k*mr:][:k*mr], mr, w[o0*k:][:rows*k], k, rows, k)
		}
	}
}

func (d *blockedConv) run(x, out []float32) {
	p := d.p
	d.x, d.out = x, out
	hitIf(d.g.noCopy, pathBlockedNoCopy)
	hitIf(p.S[0]*p.S[1]*p.S[2] > 1, pathBlockedPhases)
	if !d.g.noCopy {
		d.ex.forEachAffine(d.fillCut.tasks(p), d.fillTask)
	}
	d.ex.forEachAffine(d.g.tasks(p), d.runTask)
	d.x, d.out = nil, nil
}

// fillSplit cuts an input's fill into tasks numbered image, group, range
// of rows, block of channels of the group: parts ranges of rows a channel,
// as many as the workers need beyond the images and groups, and blocks of
// chans channels, about fillTasksPerWorker tasks a worker in all. The
// compute's tasks are numbered image, group, …, rows too, so
// forEachAffine gives a worker the rows it then computes from. Why rows:
// with a channel a task, each of two workers read half its input from the
// other core's cache; 3×3 64→64 at 56² on direct-rows ran 1.66× one
// worker on two, where 1×1 layers, which read their input in place, ran
// 1.89×. Why blocks of channels: a worker claims each task with an atomic
// add, and once one worker has run its own block it claims from the
// other's counter; a channel's rows are a few hundred nanoseconds of copy,
// about what a claim costs when two cores pass its line back and forth.
//
// Where the compute's tasks are not split over rows (byRows false: output
// channel blocks alone, every task reading all rows), the fill is not
// either: row ranges would gain it no affinity, and each worker would
// write the rows on its side of every plane's cut, sharing the cache line
// that straddles it. At width stride 2 the fill stores one float at a
// time, and ResNet-50 v1.5's 3×3 stride-2 256→256 at 28² ran at 1.03×
// one worker on two, its fill taking 3.5× the time per float.
type fillSplit struct{ parts, chans, blocks int }

// fillTasksPerWorker is about how many fill tasks a worker gets: enough
// for the stealing to even out the workers' ends, few enough that claims
// cost little beside the copies.
const fillTasksPerWorker = 8

func newFillSplit(p *conv.Problem, workers int, byRows bool) fillSplit {
	f := fillSplit{parts: 1}
	if byRows {
		f.parts = max(1, ceilDiv(workers, p.MB*p.G))
	}
	icg := p.ICG()
	want := ceilDiv(fillTasksPerWorker*workers, p.MB*p.G*f.parts) // blocks a range
	f.chans = ceilDiv(icg, max(1, min(icg, want)))
	f.blocks = ceilDiv(icg, f.chans)
	return f
}

// tasks is the fill's task count.
func (f fillSplit) tasks(p *conv.Problem) int { return p.MB * p.G * f.parts * f.blocks }

// task is task t's channels [nc0, nc1) (image·IC + channel) and its rows
// [r0, r1) of rows.
func (f fillSplit) task(p *conv.Problem, t, rows int) (nc0, nc1, r0, r1 int) {
	icg := p.ICG()
	cb := t % f.blocks
	t /= f.blocks
	r := t % f.parts
	ng := t / f.parts // image·G + group
	c0 := cb * f.chans
	return ng*icg + c0, ng*icg + min(icg, c0+f.chans), r * rows / f.parts, (r + 1) * rows / f.parts
}

// fillRows writes fill task t (fillSplit) of the input into its phase
// planes: its rows of the Dq·Hq rows (depth-major) of every phase plane of
// its channel, data slots only, the padding staying zero from the
// allocation.
func (d *blockedConv) fillRows(_, t int) {
	nc0, nc1, r0, r1 := d.fillCut.task(d.p, t, d.g.q[0]*d.g.q[1])
	for nc := nc0; nc < nc1; nc++ {
		d.fillChannel(d.planes, nc, r0, r1)
	}
}

// fillChannel writes rows [r0, r1) of channel nc's phase planes in planes
// (d.planes or a copy of that layout).
func (d *blockedConv) fillChannel(planes []float32, nc, r0, r1 int) {
	p, g := d.p, &d.g
	isp := conv.Spatial(p.I)
	x := d.x[nc*isp : (nc+1)*isp]
	dst := planes[nc*g.chanSize : (nc+1)*g.chanSize]
	ID, IH, IW := p.I[0], p.I[1], p.I[2]
	sd, sh, sw := p.S[0], p.S[1], p.S[2]
	pd, ph := p.PBegin[0], p.PBegin[1]
	Hq, Wq := g.q[1], g.q[2]
	// planeRows is, for phase f's depth plane i, its input depth plane id
	// and its rows j in [r0, r1) whose input row ih = SH·j + b − PH is in
	// [0, IH), as [j0, j1) (empty where id lies outside the input)
	planeRows := func(f blockedPhase, i int) (id, j0, j1 int) {
		id = sd*i + f.a - pd
		if id < 0 || id >= ID {
			return id, 0, 0
		}
		j0, j1 = max(r0-i*Hq, ceilDiv(max(0, ph-f.b), sh)), min(r1-i*Hq, Hq)
		if last := IH - 1 + ph - f.b; last < 0 {
			j1 = j0
		} else {
			j1 = min(j1, last/sh+1)
		}
		return id, j0, j1
	}
	for k := 0; k < len(d.phases); k++ {
		f := d.phases[k]
		pl := dst[f.idx*g.plane : (f.idx+1)*g.plane]
		if d.s2 != nil && f.c == 0 {
			// width phases 0 and 1 of (a, b), consecutive planes: one
			// deinterleave of each depth plane's rows into both. A scalar
			// loop a phase was 16% of a 3×3 stride-2 layer's time on one
			// worker; paired over it: ResNet-50 v1.5's 3×3 stride-2
			// 128→128 at 56² 1.36 (one worker) and 1.62 (two), 256→256 at
			// 28² 1.21 and 1.39, 512→512 at 14² 1.21 (two), ResNet's 7×7
			// stride-2 conv1 1.10 (two)
			hit(pathBlockedFillSplit2)
			for i := r0 / Hq; i <= (r1-1)/Hq; i++ {
				id, j0, j1 := planeRows(f, i)
				if j1 <= j0 {
					continue
				}
				d.s2.rowsStrided(dst[f.idx*g.plane+(i*Hq+j0)*Wq:], g.plane, Wq, x[(id*IH+sh*j0+f.b-ph)*IW:], IW, sh*IW, j1-j0)
			}
			k++ // the width phase 1 plane, written
			continue
		}
		lo, hi, iw0 := d.colLo[f.c], d.colHi[f.c], d.colIW[f.c]
		if hi <= lo {
			continue
		}
		if sw == 2 {
			// one phase of width stride 2 (the other unread, as in a 1×1
			// stride-2 layer): each depth plane's rows in one gather
			hit(pathBlockedFillGather2)
			for i := r0 / Hq; i <= (r1-1)/Hq; i++ {
				if id, j0, j1 := planeRows(f, i); j1 > j0 {
					gather2Rows(pl[(i*Hq+j0)*Wq+lo:], Wq, x[(id*IH+sh*j0+f.b-ph)*IW+iw0:], sh*IW, hi-lo, j1-j0)
				}
			}
			continue
		}
		for ij := r0; ij < r1; ij++ {
			i, j := ij/Hq, ij%Hq
			id := sd*i + f.a - pd
			ih := sh*j + f.b - ph
			if id < 0 || id >= ID || ih < 0 || ih >= IH {
				continue
			}
			row := pl[(i*Hq+j)*Wq:][lo:hi]
			src := x[(id*IH+ih)*IW:][:IW]
			if sw == 1 {
				copy(row, src[iw0:])
				continue
			}
			for l, s := 0, iw0; l < len(row); l, s = l+1, s+sw {
				row[l] = src[s]
			}
		}
	}
}

// task computes task (image, group, slice, tile range).
func (d *blockedConv) task(wk, task int) {
	p, g := d.p, &d.g
	obc := task % g.obChunks
	task /= g.obChunks
	chunk := task % g.chunks
	task /= g.chunks
	sl := task % g.nslice
	task /= g.nslice
	gi := task % p.G
	n := task / p.G
	icg, ocg := p.ICG(), p.OCG()
	mr, T := g.mr, g.t
	src := d.planes
	if g.noCopy {
		src = d.x
	}
	src = src[(n*p.IC+gi*icg)*g.chanSize+sl*g.slicePitch:]
	osp := conv.Spatial(p.O)
	outBase := (n*p.OC+gi*ocg)*osp + sl*g.rows*g.cols
	acc := d.acc[wk]
	taps := p.Taps()
	t0, t1 := chunk*g.tilesPer, min(g.ntiles, (chunk+1)*g.tilesPer)
	ob0, ob1 := obc*g.obPer, min(g.nob, (obc+1)*g.obPer)
	hitIf(ocg%mr != 0 && ob1 == g.nob, pathBlockedOCRem)
	hitIf(g.nkb > 1 && icg%g.kc != 0, pathBlockedKRem)
	// call runs the kernel for output-channel block ob, K block kb on
	// tile t, into c, and stores c after the last K block
	call := func(c []float32, t, kb, ob int) {
		f0 := t * T
		nv := min(T, g.runLen-f0)
		k0, k1 := kb*g.kc*taps, min(icg, (kb+1)*g.kc)*taps
		pb := gi*g.nob + ob
		ldc, direct := T, g.noCopy && nv == T && (ob+1)*mr <= ocg
		if direct {
			// no garbage, every lane and channel real: the tile is
			// the output's own rows (the K blocks accumulate there)
			c, ldc = d.out[outBase+ob*mr*osp+f0:], osp
		}
		blockedKernelLd(mr, T, c, ldc, d.bias[pb*mr:(pb+1)*mr], src[f0:], g.span, d.offs[k0:k1],
			d.wp[(pb*g.k+k0)*mr:(pb*g.k+k1)*mr], kb > 0, nv, 4*T)
		if kb == g.nkb-1 && !direct {
			d.store(c, outBase+ob*mr*osp, min(mr, ocg-ob*mr), f0, nv)
		}
	}
	hitIf(g.runLen-(g.ntiles-1)*T < T && t1 == g.ntiles, pathBlockedTail)
	if g.nkb == 1 {
		// One K block (few terms: the stems, 3 input channels): nothing
		// is carried from block to block of a tile, so the output-channel
		// blocks go outermost, and each sweep over the tiles stores MR
		// channel rows in order: MR store streams, where the tiles
		// outermost wrote obGroup·MR rows a tile at a time, each store a
		// miss (VGG-19's 3→64 conv1_1 at 224²: 1.9× the GFLOP/s, with the
		// prefetch below; ResNet-50's 7×7 stem 1.14×, interleaved A/B).
		hit(pathBlockedOneK)
		for ob := ob0; ob < ob1; ob++ {
			base, rows := outBase+ob*mr*osp, min(mr, ocg-ob*mr)
			for t := t0; t < t1; t++ {
				d.prefetchTile(base, rows, t+1, t1)
				call(acc, t, 0, ob)
			}
		}
		return
	}
	hitIf(ob1-ob0 > g.obGroup, pathBlockedOCOuter)
	for gs := ob0; gs < ob1; gs += g.obGroup {
		ge := min(ob1, gs+g.obGroup)
		for t := t0; t < t1; t++ {
			d.prefetchTile(outBase+gs*mr*osp, min(ocg, ge*mr)-gs*mr, t+1, t1)
			for kb := 0; kb < g.nkb; kb++ {
				for ob := gs; ob < ge; ob++ {
					c := acc
					if g.nkb > 1 {
						c = acc[(ob-gs)*mr*T : (ob-gs+1)*mr*T]
					}
					call(c, t, kb, ob)
				}
			}
		}
	}
}

// prefetchTile asks for the output lines tile t (< t1) of a run will store
// to, for rows channels from base, while the tile before it computes: an
// output beyond L2 otherwise stalls each store on a read for ownership
// (GoogLeNet's 3×3 64→192 at 56²: 1.07× the GFLOP/s, interleaved A/B).
// The lines are those from the tile's first valid output, T/16+1 of them
// a channel, which cover its outputs unless a row break falls inside.
func (d *blockedConv) prefetchTile(base, rows, t, t1 int) {
	if t >= t1 {
		return
	}
	g := &d.g
	f := t * g.t
	i := base + f/g.wq*g.cols + min(f%g.wq, g.cols-1)
	prefetchRowsW(d.out[i:], conv.Spatial(d.p.O), rows, g.t/16+1)
}

// store copies the valid columns of a finished tile (nv flat positions
// from f0, channels < rows) to the output at base (channel 0 of the block,
// this slice), channels osp apart.
func (d *blockedConv) store(c []float32, base, rows, f0, nv int) {
	g := &d.g
	osp := conv.Spatial(d.p.O)
	T := g.t
	for oh := f0 / g.wq; oh*g.wq < f0+nv; oh++ {
		lo, hi := max(0, f0-oh*g.wq), min(g.cols, f0+nv-oh*g.wq)
		if lo >= hi {
			continue
		}
		src := oh*g.wq + lo - f0
		dst := base + oh*g.cols + lo
		for m := 0; m < rows; m++ {
			copy(d.out[dst+m*osp:dst+m*osp+hi-lo], c[m*T+src:])
		}
	}
}

var blockedNoTerms [1]int

// blockedKernel is the micro-kernel of the set in use (blockedISA): for
// m < mr and i < T (= 16·nv of the shape, one of the set's),
//
//	c[m·T + i] = init + Σ_j w[j·mr + m]·x[offs[j] + i],  init = c[m·T + i] if accum, else bias[m],
//
// the terms added in j order. Only lanes i < n read x (the others keep
// init): the last tile of a run, whose reads may end the buffer. The
// assembly also prefetches each term's input lines pf bytes ahead (4·T:
// the next tile's); prefetches never fault. span is
// 1 + the largest of offs (an upper bound will do); the bounds are checked
// here once.
func blockedKernel(mr, T int, c, bias, x []float32, span int, offs []int, w []float32, accum bool, n, pf int) {
	blockedKernelLd(mr, T, c, T, bias, x, span, offs, w, accum, n, pf)
}

// blockedKernelLd is blockedKernel with the tile's rows ldc ≥ T apart.
func blockedKernelLd(mr, T int, c []float32, ldc int, bias, x []float32, span int, offs []int, w []float32, accum bool, n, pf int) {
	if ldc < T {
		panic("optimized: blocked kernel rows overlap")
	}
	_ = c[(mr-1)*ldc+T-1]
	_ = bias[mr-1]
	if n <= 0 || n > T {
		panic("optimized: blocked kernel lanes out of range")
	}
	if len(offs) > 0 {
		_ = w[len(offs)*mr-1]
		_ = x[span-1+n-1]
	}
	if isa := blockedISA; isa != blockedGoISA {
		a := 0
		if accum {
			a = 1
		}
		o, ww, xx := offs, w, x
		if len(offs) == 0 {
			// no terms: the kernel reads none of these
			o, ww, xx = blockedNoTerms[:], bias, bias
		}
		blockedAsm(isa, mr, T, c, bias, xx, o, ww, len(offs), a, n, pf, ldc)
		return
	}
	blockedGo(mr, T, c, ldc, bias, x, offs, w, accum, n)
}

// blockedGo is the micro-kernel in Go.
func blockedGo(mr, T int, c []float32, ldc int, bias, x []float32, offs []int, w []float32, accum bool, n int) {
	if !accum {
		for m := 0; m < mr; m++ {
			fill(c[m*ldc:m*ldc+T], bias[m])
		}
	}
	for j, o := range offs {
		xs := x[o : o+n]
		for m, a := range w[j*mr : (j+1)*mr] {
			row := c[m*ldc : m*ldc+n]
			for i := range row {
				row[i] += a * xs[i]
			}
		}
	}
}
