package optimized

import (
	"fmt"
	"slices"

	"github.com/convverify/convverify/conv"
)

// direct-rows is the direct convolution on direct-blocked's flat phase
// planes with the register tile turned the other way: P consecutive
// outputs of one output row × 32 output channels, the orientation of
// oneDNN's AVX-512 forward kernels. Per term (channel, tap) the
// micro-kernel loads the term's 32 packed weights as two vectors and
// broadcasts the P inputs it multiplies (rowsKernel). Problems of at most
// 16 output channels a group take a narrow tile, 16 channels × up to 28
// outputs (rowsShape); below, "32" and "14" are the wide tile's.
//
// Why a second kernel on the same planes: direct-blocked's tiles are runs
// of 16·NV consecutive flat positions, and a flat run carries the padded
// plane's garbage columns (Wq − OW after each row) through the kernel: a
// 3×3 layer at 14² spends 2 positions in 16 on them and a partial tile,
// 85% of its multiply-adds useful, at 7² 76% (BenchmarkBlockedInLayer's
// useful). A row tile holds only real outputs: a row of OW outputs is cut
// into the fewest segments of at most rowsMaxPos, n = ⌈OW/14⌉, of P =
// ⌈OW/n⌉ outputs but the last, which holds the rest (OW − (n−1)·P, on the
// kernel of that width: one is generated for every width up to 14). No
// two segments share an output, so no two tasks write the same word. Its
// loads are aligned weight vectors and 4-byte broadcasts, none split
// across cache lines.
//
// Tasks are (image, group, depth slice, range of output-channel blocks,
// range of row segments), cut as far as the workers need (newRowsGeom). A
// task runs its output-channel blocks outermost; a block's segments go in
// groups of up to rowsGroupSegs, and a group's terms in chunks of whole
// input channels, about rowsChunkTerms terms (newRowsGeom): each chunk
// runs over every segment of the group, continuing each segment's partial
// sums (kept in the worker's acc, exact float32, so the sum and its
// rounding are those of one call over all terms), and the group is stored
// after its last chunk. Why: a chunk's packed weights, 16 KB, stay in L1
// across the group's segments; with one call over all IC/G·taps terms
// each segment streamed its block's weights (295 KB at 256 channels 3×3)
// from L2, and the chunked order ran 3–9% faster on VGG's layers at 112²,
// 56² and 28² (interleaved in-process A/B, median of paired ratios), the
// same at 14².
//
// The micro-kernel follows the blocked kernel set in use (blockedISA):
// AVX-512 assembly (gen/genrows.py) with the AVX-512 set, AVX2+FMA
// assembly (gen/genrows_avx2.py: the tile cut into blocks of 6 positions
// × 16 channels, rowsFMAAVX2) with the AVX2 set, which adds every term
// with one fused multiply-add in the same order and so gives the AVX-512
// kernels' sums bit for bit, and Go (rowsGo) with the Go set and under
// noasm, correct and slow. Best chooses the row variants where their
// kernels are assembly, AVX-512 or AVX2 (rowsChosen), never the Go ones.

// rowsMaxPos is the longest row segment: 2·14 accumulators, two weight
// vectors and two broadcast registers fill the 32 ZMM registers.
const rowsMaxPos = 14

// rowsOC is the output channels of a block: two vectors of 16.
const rowsOC = 32

// rowsOC16 and rowsMaxPos16 are the block and the longest segment of the
// narrow tile, for problems of at most 16 output channels a group
// (rowsShape): one vector of 16 channels × up to 28 positions, 28
// accumulators, one weight vector, the inputs broadcast from memory by the
// multiply-adds themselves. With the 32-channel tile such a layer would
// compute half its multiply-adds in vain (direct-rows' useful share 0.5:
// Best took direct-blocked, whose flat runs carry the padded plane's
// garbage columns: 86% useful on the 11×11 benchmark layer).
const (
	rowsOC16     = 16
	rowsMaxPos16 = 28
)

// rowsShape is direct-rows' tile for p: output channels a block and the
// longest segment, 16 × 28 for at most 16 output channels a group, else
// the wide tile (rowsTiles: 32 × 14 with the AVX-512 kernels, else 32 ×
// 28); with the AVX2 kernels also 16 × 28 where a group's input holds
// at most rowsNarrow bytes (tiles.go). It depends on the shape and the
// kernel set alone. Why 16 × 28 with AVX2: that kernel computes a
// 32-channel block as two 16-channel halves anyway, each reading the
// block's inputs again, so the narrow tile's longer segments (blocks of 6
// positions, where 14 made 5 + 5 + 4) and its finer padding of output
// channels cost nothing. Planned, one worker, an AVX2 EPYC, 16 × 28 over
// 32 × 14 (two rounds each): 3×3 64→64 at 56² (an input of 0.8 MB) 1.18,
// 96→128 at 28² 1.12, 256→256 at 14² 1.07, 128→128 at 28² 1.04, 7×7
// stride 2 3→64 1.17; deconv 4×4 stride 2 and dynamic 3×3 within 3%. But
// every block of output channels reads the whole input again, and where it
// is far larger than L2 twice the blocks cost more than the tile gains:
// VGG-19's 128→128 at 112² (6.4 MB) about 0.8, 64→64 at 224² (12.8 MB)
// about 0.9, 256→256 at 56² (3.2 MB) about 0.95, hence the bound. (The
// wide tile with the AVX2 kernels is now 32 × 28, rowsTiles: the same
// blocks of 6 without reading the input twice.)
func rowsShape(p *conv.Problem) (oc, maxPos int) {
	if p.OCG() <= rowsOC16 || blockedISA == blockedAVX2 && 4*p.ICG()*conv.Spatial(p.I) <= rowsNarrow {
		return rowsOC16, rowsMaxPos16
	}
	return rowsOC, rowsTiles()[0].maxPos
}

// rowsStoreFloats is how much of a segment's results rowsStore reads,
// whatever P: up to 32 rows of 32 channels (the AVX2 store reads whole
// blocks of 8 rows of the 32 × 28 tile); the AVX-512 store reads 16 rows
// of 32 or 32 rows of 16 (two transposes of 16 positions).
const rowsStoreFloats = 1024

// rowsChunkTerms is about how many terms a chunk holds for blocks of oc
// output channels: as many as make 16 KB of packed weights (128 terms of
// 32, 256 of 16), a third of a 48 KB L1 data cache, beside the group's
// input lines. At the test tiles (SmallTiles) it is 20, so that problems
// of a few channels already cross several chunks with a remainder.
// Why 16 KB for the 16-channel tile too: the 11×11 16→16 layer's chunks
// were one input channel (121 terms) and reloaded and stored their 22
// accumulators, through a Go call, per 121 terms; at two channels a chunk
// it ran 1.008–1.009× (one worker, paired, two runs).
func rowsChunkTerms(oc int) int {
	if colTile < DefaultTiles.ColTile {
		return 20
	}
	return 16 << 10 / 4 / oc
}

// rowsChunk is the terms a chunk holds: whole input channels of taps
// terms each, at least one, about rowsChunkTerms(oc).
func rowsChunk(taps, oc int) int {
	taps = max(1, taps)
	return max(1, rowsChunkTerms(oc)/taps) * taps
}

// rowsGroupSegs is the most segments a group holds: 64 segments of up to
// 14 outputs are 112 KB of partial sums per worker, which stay in L2; at
// the test tiles 3, so that small problems cross several groups. (With
// the AVX2 kernels' 32 × 28 tile they are 224 KB, half that Zen 3 core's
// L2; 32 or 16 segments a group ran alike on VGG-19's 224², 112² and 56²
// layers, paired 0.99–1.04, so the count stays.)
func rowsGroupSegs() int {
	if colTile < DefaultTiles.ColTile {
		return 3
	}
	return 64
}

func directRowsVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "direct-rows",
			Ops:      []conv.Op{conv.OpConv},
			Supports: func(p *conv.Problem) error { return nil },
			// C = 1: every output starts at its bias and adds its
			// IC/G·taps terms x·w one at a time in (c, kd, kh, kw) order,
			// each one fused multiply-add (assembly) or a multiply and an
			// add (Go), over chunks of kernel calls that hand the partial
			// sum on as float32 unchanged: a recursive float32 sum of N =
			// IC/G·taps products, at most γ_N·Σ|x·w| from the exact sum.
			// Padding taps read the planes' zeros and add exact zeros.
			// Integer inputs with partial sums below 2^24 stay exact.
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			d, err := newRowsConv(ex, p, w, b)
			if err != nil {
				return nil, err
			}
			return func(in conv.Inputs[float32], out []float32) { d.run(in.X, out) }, nil
		},
	}
}

// rowsKernelName names direct-rows' micro-kernel in use: the row kernels
// follow the blocked kernel set in use (blockedISA, which a test may
// switch), AVX-512 assembly with the AVX-512 set, AVX2 assembly with the
// AVX2 set, rowsGo with the Go set.
func rowsKernelName() string {
	switch blockedISA {
	case blockedAVX512:
		return "rows=avx512"
	case blockedAVX2:
		return "rows=avx2"
	}
	return "rows=go"
}

// rowsAVX512 reports whether the AVX-512 row kernels run, the only ones
// under which Best chooses the row variants (rowsChosen).
func rowsAVX512() bool { return blockedISA == blockedAVX512 }

// rowsGeom is direct-rows' decomposition of a problem on the phase planes
// of b (newBlockedGeom's), computed without allocating.
type rowsGeom struct {
	oc       int // output channels a block (rowsShape)
	maxPos   int // the longest segment (rowsShape)
	pos      int // outputs per segment P
	segs     int // segments per output row
	ntiles   int // segments per run: rows·segs
	nob      int // output-channel blocks ⌈OCG/32⌉
	obChunks int // output-channel block ranges per (image, group, slice)
	obPer    int // blocks per range
	chunks   int // segment ranges per block range
	tilesPer int // segments per range
	kt       int // terms per chunk (whole input channels)
	gs       int // segments per group
}

func newRowsGeom(p *conv.Problem, b *blockedGeom, workers int) rowsGeom {
	var g rowsGeom
	g.oc, g.maxPos = rowsShape(p)
	sg := newRowsSegs(b.cols, g.maxPos)
	g.segs, g.pos = sg.segs, sg.pos
	g.ntiles = b.rows * g.segs
	g.nob = ceilDiv(p.OCG(), g.oc)
	g.kt = rowsChunk(p.Taps(), g.oc)
	g.gs = rowsGroupSegs()
	// The parallel split, as far as the workers need (rowsStealTarget) and
	// never under minTaskMACs multiply-adds a task: ranges of
	// output-channel blocks first, then of segments. A task runs its
	// blocks outermost, each over its segments, so a block's weights are
	// read once per task: cut over segments first, every task of a deep
	// layer would read all its weights (2.4 MB at 256→256 3×3) for a few
	// segments (ResNet-50's 3×3 at 14² ran at half its one-worker speed on
	// two workers that way).
	base := p.MB * p.G * b.nslice
	g.obPer, g.tilesPer = rowsCut(p, b, &g, base, rowsStealTarget(workers), workers)
	if fine := g; base < rowsStealTarget(workers) {
		// the stealing split only where it ends no later on the workers
		// than splitTarget's (at 16 workers minTaskMACs may leave a
		// layer 24 tasks of 51 M where 16 would do)
		g.obPer, g.tilesPer = rowsCut(p, b, &g, base, splitTarget(workers), workers)
		if fine.makespan(base, workers) <= g.makespan(base, workers) {
			g = fine
		}
	}
	g.obChunks = ceilDiv(g.nob, g.obPer)
	g.chunks = ceilDiv(g.ntiles, g.tilesPer)
	return g
}

// rowsCut is the output-channel blocks and the segments per range for
// target tasks: block ranges, then segment ranges too where the workers
// need more tasks, or where the block ranges leave one worker an eighth
// more than its share (7 blocks on 2 workers: 4 and 3, and GoogLeNet's
// 3×3 112→224 at 14² ran 1.54× one worker on two).
func rowsCut(p *conv.Problem, b *blockedGeom, g *rowsGeom, base, target, workers int) (obPer, tilesPer int) {
	obPer, tilesPer = g.nob, g.ntiles
	if base >= target {
		return obPer, tilesPer
	}
	obPer = balancedCut(g.nob, ceilDiv(target, base), base, workers, g.ntiles*g.pos*g.oc*b.k)
	obChunks := ceilDiv(g.nob, obPer)
	if base*obChunks < target || 8*workers*rangeMakespan(g.nob, obPer, base, workers) > 9*base*g.nob {
		tilesPer = balancedCut(g.ntiles, ceilDiv(target, base*obChunks), base*obChunks, workers, obPer*g.pos*g.oc*b.k)
	}
	return obPer, tilesPer
}

// makespan is the most (block, segment) pairs a worker computes when the
// tasks of g's ranges, base times over, go largest first to the least
// loaded of workers (rangeMakespan's model of the executor, on both axes).
func (g rowsGeom) makespan(base, workers int) int {
	sizes := func(n, per int) []int {
		var s []int
		for i := 0; i < n; i += per {
			s = append(s, min(per, n-i))
		}
		return s
	}
	var tasks []int
	for _, ob := range sizes(g.nob, g.obPer) {
		for _, t := range sizes(g.ntiles, g.tilesPer) {
			for range base {
				tasks = append(tasks, ob*t)
			}
		}
	}
	slices.Sort(tasks)
	load := make([]int, max(1, workers))
	for i := len(tasks) - 1; i >= 0; i-- {
		load[slices.Index(load, slices.Min(load))] += tasks[i]
	}
	return slices.Max(load)
}

// rowsStealTarget is the tasks direct-rows asks for on workers: four
// times splitTarget (where that ends no later: newRowsGeom), so that the
// executor's stealing can move work off a worker whose core the machine
// slows. Why: on the 2-vCPU development VM the host takes each vCPU away
// for about 37 µs some 1.4–2.2 times a millisecond (5–9% of its time,
// reported as no steal), and in some periods one vCPU runs load-heavy
// code 15% slower than the other; with two tasks a worker, the faster had
// nothing left to take. Paired on two workers (calls alternated, mean
// time per block), 16 tasks over 4, with a process busy 10% of each
// millisecond on one vCPU: ResNet-50's 7×7 stride-2, 3×3 at 28², 14² and
// 7² and 1×1 stride-2 and 2048→512 at 7² 1.04–1.08, the benchmark's 1×1
// at 56², 3×3 64→64 and 11×11 1.04–1.10 (1.04–1.16 at 20%); without it
// 0.985–1.014. A row kernel's task packs nothing, so smaller tasks cost
// little here; deconv-rows' (each refills its rows of every phase:
// 0.94–0.98) and convGemm's (each packs its B panels: 0.76–0.99) lost,
// and keep theirs.
func rowsStealTarget(workers int) int {
	if workers <= 1 {
		return 1
	}
	return 4 * splitTarget(workers)
}

// useful is the share of the kernel's multiply-adds that reach an output
// (blockedGeom.useful's measure): of segs·P positions a row and 32·nob
// channels, cols positions and OCG channels are real.
func (g rowsGeom) useful(p *conv.Problem, b *blockedGeom) float64 {
	return float64(b.cols*p.OCG()) / float64(g.segs*g.pos*g.nob*g.oc)
}

// tasks is the number of tasks of the output phase.
func (g rowsGeom) tasks(p *conv.Problem, b *blockedGeom) int {
	return p.MB * p.G * b.nslice * g.chunks * g.obChunks
}

// rowsSplit is Tasks' count and description for direct-rows.
func rowsSplit(p *conv.Problem, workers int) (int, string) {
	b := newBlockedGeom(p, workers)
	g := newRowsGeom(p, &b, workers)
	return g.tasks(p, &b), fmt.Sprintf("batch %d × groups %d × depth slices %d × output-channel block ranges %d (%d blocks of %d, %d per range) × row-segment ranges %d (%d segments of %d outputs, %d per range; tasks of ≥ %d multiply-adds)",
		p.MB, p.G, b.nslice, g.obChunks, g.nob, g.oc, g.obPer, g.chunks, g.ntiles, g.pos, g.tilesPer, minTaskMACs())
}

// rowsConv is direct-rows prepared for one problem.
type rowsConv struct {
	b       *blockedConv // the phase planes, their fill and the terms' offsets
	g       rowsGeom
	wp      []float32   // packed weights [G][nob][K][32], zero past OCG
	bias    []float32   // [G][nob][32], zero past OCG or without bias
	acc     [][]float32 // per worker: a group's partial sums, [gs][P][32] (and 16 − P rows more: rowsStore reads 16)
	out     []float32   // the current run's (its input is b.x)
	runTask func(wk, task int)
	// own: per worker, a copy of the phase planes (rowsOwnPlanes) that
	// only that worker fills and reads, and which rows of which run it
	// holds
	own   [][]float32
	ownAt []ownHeld
	runs  int64 // runs so far
}

// ownHeld is what a worker's own copy of the input holds: the rows [lo,
// hi) of run (a cache line each: every worker writes its own).
type ownHeld struct {
	run    int64
	lo, hi int
	dirty  bool // the copy holds what an earlier call left (zeroOnce)
	_      [39]byte
}

// ownCopies returns a copy of n floats per worker, each to be cleared by
// its worker (zeroOnce) before its first fill, and the workers' records.
// Why not clear them here: a one-shot call borrows its copies from the
// pool, and clearing them all on the calling goroutine before the tasks
// (two 0.9 MB copies for the 3×3 64→64 benchmark layer) was 12% of that
// layer's one-shot time on two workers; a plan's copies are new, and zero.
func ownCopies(ex *executor, n int) ([][]float32, []ownHeld) {
	own, at := ex.perWorker(n), make([]ownHeld, ex.workers)
	for i := range at {
		at[i].dirty = ex.oneShot
	}
	return own, at
}

// zeroOnce clears the worker's copy the first time it is used.
func (h *ownHeld) zeroOnce(own []float32) {
	if h.dirty {
		clear(own)
		h.dirty = false
	}
}

// takeRows returns the rows [f0, f1) the copy must be filled with for a
// task that reads rows [r0, r1) in run (none where f0 ≥ f1), and records
// that it then holds them: where r0 lies in what it holds (the same rows,
// or the worker's next task in its own block), only the rows past its
// end; else all of [r0, r1), what it held before forgotten. Why: a task's
// rows overlap its neighbour's by the taps' reach, and the 11×11 layer's
// 16 tasks on two workers, each refilling its 10 rows of overlap, ran
// 0.977× (paired, two runs); deconv-rows' 4×4 stride-2 layers 0.993–0.995,
// its 3D one 0.977.
func (h *ownHeld) takeRows(run int64, r0, r1 int) (f0, f1 int) {
	if h.run == run && r0 >= h.lo && r0 <= h.hi {
		f0, f1 = h.hi, max(h.hi, r1)
		h.hi = f1
		return f0, f1
	}
	h.run, h.lo, h.hi = run, r0, r1
	return r0, r1
}

// rowsOwnPlanes reports whether each worker fills its own copy of the
// phase planes, the input rows its task reads (rowsOwnRows), when it
// starts a task of rows it does not hold yet in this run, instead of all
// workers filling one copy before the tasks: for one image, group and
// depth slice (a layer at batch 1), a copy of at most rowsOwnMax floats.
// Why: with one copy a core read from the other's cache the rows that core
// had filled (all of them, where the split is over output-channel blocks
// alone, half the planes), and every worker waited for the whole fill.
// Two workers, interleaved A/B, median of paired ratios, copies over one:
// ResNet-50 v1.5's 3×3 stride-2 256→256 at 28² 1.73 (one copy had run it
// at 1.03× one worker), its 1×1 stride-2 1024→512 at 14² 1.23, 3×3
// 256→256 at 14² 1.13, 512→512 at 7² 1.03; 96 and 128 channels at 28² and
// 56² 1.12–1.17 in one run and 1.00 in another, where both ran at 1.96×
// one worker; the 3×3 64→64 layers at 56² and 112² (split over rows, the
// rows next to a worker's own read from the other core) 1.09 and 1.06;
// the 11×11 16→16 0.98.
func rowsOwnPlanes(p *conv.Problem, b *blockedGeom, workers int) bool {
	return workers > 1 && !b.noCopy && p.MB*p.G*b.nslice == 1 && p.IC*b.chanSize <= rowsOwnMax
}

// rowsOwnRows is the rows [r0, r1) of each depth plane of the phase
// planes (Hq rows; fillChannel counts Dq·Hq, depth-major) that the tasks
// of segment range chunk read, for one depth slice: output rows oh0 …
// oh1−1 read plane rows oh0 … oh1−1 + (KH−1)·DH div SH, of every depth
// plane its taps reach (all Dq of them, with one slice).
func rowsOwnRows(p *conv.Problem, b *blockedGeom, g *rowsGeom, chunk int) (r0, r1 int) {
	t0, t1 := chunk*g.tilesPer, min(g.ntiles, (chunk+1)*g.tilesPer)
	oh0, oh1 := t0/g.segs, ceilDiv(t1, g.segs)
	return oh0, min(b.q[1], oh1+(p.K[1]-1)*p.Dil[1]/p.S[1])
}

// rowsOwnMax is the largest phase-plane copy a worker fills for itself:
// 1 Mi floats (4 MB), so that 16 workers hold at most 64 MB of copies.
const rowsOwnMax = 1 << 20

func newRowsConv(ex *executor, p *conv.Problem, w, b []float32) (*rowsConv, error) {
	bc, err := newBlockedPlanes(ex, p)
	if err != nil {
		return nil, err
	}
	d := &rowsConv{b: bc, g: newRowsGeom(p, &bc.g, ex.workers)}
	k := bc.g.k
	oc := d.g.oc
	// from the executor: a one-shot call borrows them from the pool
	// rather than allocating 150 KB or so per call
	d.wp = ex.floats(p.G * d.g.nob * k * oc)
	d.bias = ex.floats(p.G * d.g.nob * oc)
	if w != nil {
		packBlockedPanels(d.wp, d.bias, p.G, p.OCG(), k, oc, w, b)
	}
	d.acc = ex.perWorker((d.g.gs-1)*d.g.pos*oc + rowsStoreFloats)
	if rowsOwnPlanes(p, &bc.g, ex.workers) {
		// zero, like b.planes (the fill writes data slots only), each
		// cleared by its worker
		d.own, d.ownAt = ownCopies(ex, p.IC*bc.g.chanSize)
	} else {
		bc.usePlanes()
	}
	// the fill over rows (depth-major: depth slices too) only where the
	// tasks are (fillSplit)
	bc.fillCut = newFillSplit(p, ex.workers, bc.g.nslice > 1 || d.g.chunks > 1)
	d.runTask = d.task
	return d, nil
}

func (d *rowsConv) run(x, out []float32) {
	b, p := d.b, d.b.p
	b.x, d.out = x, out
	d.runs++
	if !b.g.noCopy && d.own == nil {
		b.ex.forEachAffine(b.fillCut.tasks(p), b.fillTask)
	}
	b.ex.forEachAffine(d.g.tasks(p, &b.g), d.runTask)
	b.x, d.out = nil, nil
}

// task computes task (image, group, slice, segment range, block range),
// its block range innermost in the task index.
func (d *rowsConv) task(wk, task int) {
	b, rg := d.b, &d.g
	p, g := b.p, &b.g
	obc := task % rg.obChunks
	task /= rg.obChunks
	chunk := task % rg.chunks
	task /= rg.chunks
	sl := task % g.nslice
	task /= g.nslice
	gi := task % p.G
	n := task / p.G
	icg, ocg := p.ICG(), p.OCG()
	src := b.planes
	switch {
	case g.noCopy:
		src = b.x
	case d.own != nil:
		hit(pathRowsOwnPlanes)
		src = d.own[wk]
		r0, r1 := rowsOwnRows(p, g, rg, chunk)
		d.ownAt[wk].zeroOnce(src)
		if r0, r1 = d.ownAt[wk].takeRows(d.runs, r0, r1); r0 < r1 {
			for nc := range p.MB * p.IC {
				for i := range g.q[0] {
					b.fillChannel(src, nc, i*g.q[1]+r0, i*g.q[1]+r1)
				}
			}
		}
	}
	src = src[(n*p.IC+gi*icg)*g.chanSize+sl*g.slicePitch:]
	osp := conv.Spatial(p.O)
	outBase := (n*p.OC+gi*ocg)*osp + sl*g.rows*g.cols
	acc := d.acc[wk]
	P := rg.pos
	t0, t1 := chunk*rg.tilesPer, min(rg.ntiles, (chunk+1)*rg.tilesPer)
	ob0, ob1 := obc*rg.obPer, min(rg.nob, (obc+1)*rg.obPer)
	oc := rg.oc
	hitIf(g.cols < rg.maxPos, pathRowsNarrow)
	hitIf(oc == rowsOC16, pathRows16)
	hitIf(g.k > rg.kt, pathRowsChunks)
	hitIf(t1-t0 > rg.gs, pathRowsGroups)
	// segment t: output row t/segs, columns from (t%segs)·P, the last
	// segment of a row holding the rest
	seg := func(t int) (oh, ow, width int) {
		oh, ow = t/rg.segs, t%rg.segs*P
		return oh, ow, min(P, g.cols-ow)
	}
	// out is the output from segment (oh, ow)'s first position in
	// channel 0 of block ob: what its store writes, channels osp apart
	out := func(ob, oh, ow int) []float32 { return d.out[outBase+ob*oc*osp+oh*g.cols+ow:] }
	for ob := ob0; ob < ob1; ob++ {
		pb := gi*rg.nob + ob
		w := d.wp[pb*g.k*oc : (pb+1)*g.k*oc]
		bias := d.bias[pb*oc : (pb+1)*oc]
		chans := min(oc, ocg-ob*oc)
		hitIf(chans < oc, pathRowsOCRem)
		for tg := t0; tg < t1; tg += rg.gs {
			te := min(t1, tg+rg.gs)
			for k0 := 0; k0 < g.k; k0 += rg.kt {
				k1 := min(g.k, k0+rg.kt)
				for t := tg; t < te; t++ {
					oh, ow, width := seg(t)
					c := acc[(t-tg)*P*oc:]
					init, ldi := bias, 0
					if k0 > 0 {
						init, ldi = c, oc
					}
					if k1 == g.k {
						// the lines the group's store will write,
						// asked for while the last chunk computes
						// (prefetchRowsW): 1.02–1.04× on VGG's 112²
						// and 56² layers and ResNet's 7×7 stride-2
						// conv1, whose 147 terms a segment leave the
						// store 15% of the time (interleaved A/B,
						// median of paired ratios), the same elsewhere
						prefetchRowsW(out(ob, oh, ow), osp, chans, 2)
					}
					rowsKernel(oc, width, c, init, ldi, src[oh*g.wq+ow:], g.span, b.offs[k0:k1], w[k0*oc:k1*oc])
				}
			}
			for t := tg; t < te; t++ {
				oh, ow, width := seg(t)
				hitIf(width < P, pathRowsShort)
				rowsStore(oc, width, acc[(t-tg)*P*oc:], out(ob, oh, ow), osp, chans)
			}
		}
	}
}

// rowsStore writes a segment's results c (position-major, [P][oc],
// rowsStoreFloats long) to the output's channel planes: out[o·osp + j] =
// c[j·oc + o] for o < chans, j < P; with the assembly kernels a register
// transpose (AVX-512: rowsStoreT, rows16StoreT; AVX2: rowsStoreAVX2, in
// 8×8 blocks), else a Go loop. A scalar loop was 22% of the time on a
// 64-channel 3×3 layer at 56², whose segments add only 576 terms each
// (with the AVX-512 kernels; with the AVX2 kernels, which take longer
// over the terms, the Go loop was 5.6% of that layer's profile at one
// worker on the Zen 3 VM, rowsStoreAVX2 3.0%).
func rowsStore(oc, P int, c, out []float32, osp, chans int) {
	if !rowsShapeOK(oc, P) || chans < 1 || chans > oc || (chans > 1 && osp < P) {
		panic("optimized: row store out of range")
	}
	_ = c[rowsStoreFloats-1]
	_ = out[(chans-1)*osp+P-1]
	switch blockedISA {
	case blockedAVX512:
		rowsStoreAsm(oc, P, c, out, osp, chans)
		return
	case blockedAVX2:
		rowsStoreAVX2Asm(oc, P, c, out, osp, chans)
		return
	}
	for o := 0; o < chans; o++ {
		row := out[o*osp : o*osp+P]
		for j := range row {
			row[j] = c[j*oc+o]
		}
	}
}

// rowsTile is a tile of direct-rows: output channels a block, and the
// longest segment.
type rowsTile struct{ oc, maxPos int }

// rowsTiles are direct-rows' two tiles with the kernel set in use. With
// the AVX-512 kernels 32 × 14 and 16 × 28 (a kernel is generated for
// every length). With the AVX2 kernels, and in Go, 32 × 28 and 16 × 28:
// the AVX2 kernel cuts any length into blocks of at most 6 positions, and
// 14 made 5 + 5 + 4 (10, 10 and 8 accumulators), 28 makes 6 + 6 + 6 + 5
// + 5. Planned, one worker, 2-vCPU Zen 3, paired over 32 × 14 (medians of
// 100 alternating calls, quartiles about ±8%): VGG-19's 3×3 64→64 at
// 224² 1.01, 64→128 and 128→128 at 112² 1.02 and 1.03, 256→256 at 56²
// 1.06; the kernel alone (128 terms, in L1) ran at 74 against 63 GFLOP/s.
func rowsTiles() [2]rowsTile {
	if blockedISA == blockedAVX512 {
		return [2]rowsTile{{rowsOC, rowsMaxPos}, {rowsOC16, rowsMaxPos16}}
	}
	return [2]rowsTile{{rowsOC, rowsMaxPos16}, {rowsOC16, rowsMaxPos16}}
}

// rowsShapeOK reports whether oc × P is a tile the kernels have
// (rowsTiles' two, without building them: it runs on every kernel call
// and store, and the loop over rowsTiles() was 3.6% of the benchmark's
// deconv 4×4 stride-2 layer on deconv-rows, one worker).
func rowsShapeOK(oc, P int) bool {
	maxPos := rowsMaxPos16
	switch {
	case oc == rowsOC && blockedISA == blockedAVX512:
		maxPos = rowsMaxPos
	case oc != rowsOC && oc != rowsOC16:
		return false
	}
	return P >= 1 && P <= maxPos
}

// rowsKernel is direct-rows' micro-kernel: for j < P, o < oc (32, or 16
// with the narrow tile),
//
//	c[j·oc + o] = init[j·ldi + o] + Σ_t w[t·oc + o]·x[offs[t] + j],
//
// the terms added in t order: init is the bias with ldi = 0, or c itself
// with ldi = oc to go on from an earlier chunk of terms. span is 1 + the
// largest of offs (an upper bound will do); the bounds are checked here
// once.
func rowsKernel(oc, P int, c, init []float32, ldi int, x []float32, span int, offs []int, w []float32) {
	if !rowsShapeOK(oc, P) || (ldi != 0 && ldi != oc) {
		panic("optimized: row kernel width or init stride out of range")
	}
	_ = c[P*oc-1]
	_ = init[(P-1)*ldi+oc-1]
	if len(offs) > 0 {
		_ = w[len(offs)*oc-1]
		_ = x[span-1+P-1]
	}
	switch blockedISA {
	case blockedAVX512:
		o := offs
		if len(offs) == 0 {
			o = blockedNoTerms[:] // no terms: the kernel reads none
		}
		rowsFMA(oc, P, c, init, ldi, x, o, w, len(offs))
	case blockedAVX2:
		rowsFMAAVX2(oc, P, c, init, ldi, x, offs, w, len(offs))
	default:
		rowsGo(oc, P, c, init, ldi, x, offs, w)
	}
}

// rowsGo is the micro-kernel in Go.
func rowsGo(oc, P int, c, init []float32, ldi int, x []float32, offs []int, w []float32) {
	for j := 0; j < P; j++ {
		copy(c[j*oc:(j+1)*oc], init[j*ldi:j*ldi+oc]) // in place when init is c
	}
	for t, o := range offs {
		wt := w[t*oc : (t+1)*oc]
		for j, xv := range x[o : o+P] {
			cj := c[j*oc : (j+1)*oc]
			for m, a := range wt {
				cj[m] += a * xv
			}
		}
	}
}
