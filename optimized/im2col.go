package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

// gemmFunc computes C = A·B + beta·C (row-major, m×k times k×n) on the
// calling goroutine. With beta = 0 it must not read C (callers poison it).
// ws is the calling worker's GEMM workspace (executor.gemmWS).
type gemmFunc func(ws *gemm.Workspace, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// asmGemm is the packed micro-kernel GEMM of optimized/gemm.
func asmGemm(ws *gemm.Workspace, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if mu, nu := gemmUnits(m, n, k); mu > 0 {
		hitIf(m%mu != 0, pathGemmMTail)
		hitIf(n%nu != 0, pathGemmNTail)
	}
	ws.Sgemm(m, n, k, a, lda, b, ldb, beta, c, ldc)
}

// im2colTile writes the im2col (vol2col in 3D) block of output positions
// [j0, j1) into col, a (icg·KD·KH·KW) × (j1−j0) row-major matrix:
//
//	col[(c,kd,kh,kw), j] = x[c, od·SD−PD+kd·DD, oh·SH−PH+kh·DH, ow·SW−PW+kw·DW]
//
// (0 outside the input) with (od, oh, ow) the position j. Dilation enters the
// indexing only; the kernel is never inflated. x starts at the group's first
// channel of one image.
func im2colTile(p *conv.Problem, x []float32, icg, j0, j1 int, col []float32) {
	nt := j1 - j0
	isp := conv.Spatial(p.I)
	IH, IW := p.I[1], p.I[2]
	OH, OW := p.O[1], p.O[2]
	od0, oh0, ow0 := j0/(OH*OW), (j0/OW)%OH, j0%OW
	hitIf(od0 > 0, pathIm2colTileDeep)
	r := 0
	padRows, padCols := false, false
	for c := 0; c < icg; c++ {
		xc := x[c*isp : (c+1)*isp]
		for kd := 0; kd < p.K[0]; kd++ {
			for kh := 0; kh < p.K[1]; kh++ {
				for kw := 0; kw < p.K[2]; kw++ {
					row := col[r*nt : (r+1)*nt]
					r++
					od, oh, ow := od0, oh0, ow0
					for t := 0; t < nt; {
						cnt := min(OW-ow, nt-t)
						seg := row[t : t+cnt]
						id := od*p.S[0] - p.PBegin[0] + kd*p.Dil[0]
						ih := oh*p.S[1] - p.PBegin[1] + kh*p.Dil[1]
						if id < 0 || id >= p.I[0] || ih < 0 || ih >= IH {
							padRows = true
							clear(seg)
						} else {
							if gatherRow(seg, xc[(id*IH+ih)*IW:(id*IH+ih+1)*IW], ow*p.S[2]-p.PBegin[2]+kw*p.Dil[2], p.S[2]) {
								padCols = true
							}
						}
						t += cnt
						ow = 0
						if oh++; oh == OH {
							oh, od = 0, od+1
						}
					}
				}
			}
		}
	}
	hitIf(padRows, pathIm2colPadRow)
	hitIf(padCols, pathIm2colPadCol)
	hitIf(p.S[2] > 1, pathIm2colStrided)
}

// gatherRow sets seg[t] = xrow[iw0 + t·s], 0 where that index leaves xrow,
// and reports whether some but not all of seg lay outside xrow.
func gatherRow(seg, xrow []float32, iw0, s int) (clipped bool) {
	n := len(seg)
	// valid t: 0 ≤ iw0 + t·s < len(xrow)
	lo := 0
	if iw0 < 0 {
		lo = ceilDiv(-iw0, s)
	}
	hi := 0
	if last := len(xrow) - 1 - iw0; last >= 0 {
		hi = last/s + 1
	}
	lo, hi = min(lo, n), min(hi, n)
	if hi <= lo {
		clear(seg)
		return false
	}
	clear(seg[:lo])
	clear(seg[hi:])
	if s == 1 {
		copy(seg[lo:hi], xrow[iw0+lo:iw0+hi])
	} else {
		for t, iw := lo, iw0+lo*s; t < hi; t, iw = t+1, iw+s {
			seg[t] = xrow[iw]
		}
	}
	return lo > 0 || hi < n
}

// isIdentityGather reports whether the im2col matrix of p is the input
// itself: one tap, stride 1, no padding, so output j reads input j.
func isIdentityGather(p *conv.Problem) bool {
	return p.Taps() == 1 && p.IsPointwise() && p.I == p.O
}

// convGemm computes a forward convolution (OpConv semantics, groups, stride,
// dilation, any padding) of x [MB, IC, I…] with w [OC, IC/G, K…] and optional
// bias b into out [MB, OC, O…], as one GEMM per (image, group, column tile):
//
//	out[n, g·OCG + o, j] = b[o] + Σ_r W_g[o, r] · col_{n,g}[r, j],  r over (IC/G)·KD·KH·KW
//
// When gather is false and the im2col is the identity (pointwise), B is the
// input itself with leading dimension Spatial(I). It is prepared once per
// problem (newConvGemm) and run per input (run); w and b may be replaced
// between runs (dynamic convolution mixes new weights per input).
type convGemm struct {
	ex               *executor
	p                *conv.Problem
	w, b             []float32
	mm               gemmFunc
	icg, ocg, k, osp int
	isp              int
	gemmCut                          // the tasks
	pa               []*gemm.PackedA // prepared weights per (group, channel block: mblocks, then restBlocks), or nil
	direct           bool
	cols             [][]float32 // per worker
	colsAt           []int       // per worker: the (image, group, column tile) its cols hold in this run, or -1
	wide             *convGemmWide
	x, out           []float32 // the current run's
	task             func(wk, task int)
}

func newConvGemm(ex *executor, p *conv.Problem, w, b []float32, mm gemmFunc, gather bool) *convGemm {
	c := &convGemm{ex: ex, p: p, w: w, b: b, mm: mm}
	if gather && useWideIm2col(p) {
		c.wide = newConvGemmWide(ex, p, mm)
		return c
	}
	c.icg, c.ocg = p.ICG(), p.OCG()
	c.k = c.icg * p.Taps()
	c.osp, c.isp = conv.Spatial(p.O), conv.Spatial(p.I)
	ex.useGemm(c.ocg, min(colTile, c.osp), c.k)
	c.gemmCut = convGemmBlocks(p, gemmSplitTarget(ex.workers))
	c.direct = !gather && isIdentityGather(p)
	if !c.direct {
		c.cols = ex.perWorker(c.k * min(colTile, c.osp))
		c.colsAt = make([]int, len(c.cols))
	}
	c.task = c.runTask
	return c
}

// implicitB makes a wide convGemm an implicit GEMM (gemm's B panels
// packed straight from the padded input, no im2col buffer) and, with
// prepack, packs its weights once (they must then stay c.w for every run);
// another convGemm only gets its weights packed, with prepack. The products are bit-identical
// to the explicit ones (gemm.Workspace.SgemmPanels).
func (c *convGemm) implicitB(prepack bool) {
	cw := c.wide
	if cw == nil {
		if prepack {
			// the gather or identity GEMM: its weights packed once too
			for g := 0; g < c.p.G; g++ {
				for blk := range c.mblocks + c.restBlocks {
					o0, rows := c.block(blk, c.ocg)
					c.pa = append(c.pa, c.ex.packA(rows, c.k, c.w[(g*c.ocg+o0)*c.k:], c.k))
				}
			}
		}
		return
	}
	cw.implicit, cw.cols = true, nil
	cw.panels = make([]widePanels, c.ex.workers)
	for i := range cw.panels {
		cw.panels[i].runCol, cw.panels[i].runSrc = make([]int, 0, 2), make([]int, 0, 1)
	}
	if !prepack {
		return
	}
	k := cw.k
	for g := 0; g < c.p.G; g++ {
		for m := 0; m < cw.mblocks; m++ {
			o0 := m * cw.mrows
			cw.pa = append(cw.pa, c.ex.packA(min(cw.mrows, cw.ocg-o0), k, c.w[(g*cw.ocg+o0)*k:], k))
		}
	}
}

func (c *convGemm) run(x, out []float32) {
	if c.wide != nil {
		c.wide.run(x, c.w, c.b, out)
		return
	}
	c.x, c.out = x, out
	for i := range c.colsAt {
		c.colsAt[i] = -1 // a new input: no worker holds a gathered tile
	}
	// affine: a worker's consecutive tasks share their column tile, which
	// it gathers once (colsAt), and its input rows; paired ratios over the
	// shared counter on 2 workers 1.02–1.11 on ResNet-50's 1×1 layers
	c.ex.forEachAffine(c.p.MB*c.p.G*c.perImage(), c.task)
	c.x, c.out = nil, nil
}

// splitTarget is the number of tasks the variants aim for on workers
// goroutines (convGemm's GEMMs aim for gemmSplitTarget's): when images ×
// groups × column tiles (base) fall short of it,
// as in a small, deep layer at batch 1, each GEMM is also split over blocks
// of output channels (its rows), a multiple of gemmRows each, and then
// smaller column tiles or row blocks (colSplit, wideBlocks).
//
// One worker gets no split (1): every block re-packs the GEMM's B panels
// and pads its own edges, which cost a 14×14 or 7×7 layer 30–45% of its
// single-core speed. More workers get two tasks each, at most 16 (the
// largest machine we size for), for balance.
//
// The split depends on workers, the arithmetic does not: each output is
// still one dot product over k in the same order, in one task, and gemm's
// tiles agree bit for bit whichever computes it (gemm's TestTilesAgree), so
// the result never depends on workers (the conformance harness compares 1
// and 3 workers bit for bit). A task that gathers repeats its column tile's
// im2col, which costs 1/(2·rows) of the block's GEMM in copies per
// multiply-add.
func splitTarget(workers int) int {
	if workers <= 1 {
		return 1
	}
	return min(16, 2*workers)
}

// gemmSplitTarget is splitTarget for convGemm's GEMMs: one task per
// worker, not two. Each task packs the B panels of its own GEMM block
// again, and on two workers the smaller blocks of four tasks cost more in
// that and in ragged tiles than they gained in balance: paired ratios of
// two tasks' target over four's (calls alternated, two workers) on deep
// 1×1 layers 1.07–1.15 (ResNet-50's 1024→256 and 512→128, GoogLeNet's
// 528→256, 512→64), 1.33 on ResNet-50's 256→128 at stride 2, 0.99 on
// 512→1024 at stride 2 (noisy); the row kernels' layers, which pack
// nothing per task, gained nothing from it (0.97–0.99) and keep
// splitTarget. From 16 workers on, both are 16.
func gemmSplitTarget(workers int) int {
	if workers <= 1 {
		return 1
	}
	return min(16, workers)
}

// gemmCut is convGemm's (not wide) decomposition into tasks: per image and
// group, column tiles of ct output positions × blocks of rows output
// channels, but, after a panelSplit whose last tile is a ragged panel,
// that tile in restBlocks blocks of restRows channels instead.
type gemmCut struct {
	rows, mblocks        int  // output channels per block, blocks of them (gemmSplitEven)
	ct, tiles            int  // output positions per column tile (colSplit), tiles
	panels               bool // the tiles are panelSplit's
	restRows, restBlocks int  // the ragged last tile's channel blocks, or 0
}

// perImage is the tasks per (image, group).
func (gc gemmCut) perImage() int {
	if gc.restBlocks > 0 {
		return (gc.tiles-1)*gc.mblocks + gc.restBlocks
	}
	return gc.tiles * gc.mblocks
}

// locate is task i of an (image, group): its column tile and channel block
// (an index into the group's packed blocks, see block). Where the last tile
// is cut apart (its tiles − 1 whole ones then number the target workers, one
// each), the tasks are ordered for forEachAffine's blocks, task i to worker
// ⌊i·W/n⌋ of W = tiles − 1: each block starts with its worker's whole tile,
// and the blocks of two tasks (restBlocks of them) end with a block of the
// rest, in order.
func (gc gemmCut) locate(i int) (tile, blk int) {
	if r := gc.restBlocks; r > 0 {
		w := gc.tiles - 1
		n := w + r
		b := ((i+1)*w - 1) / n // the worker whose block holds task i
		if first := b * n / w; i > first {
			return w, gc.mblocks + first - b // blocks of two before b: first − b
		}
		return b, 0 // mblocks is 1
	}
	return i / gc.mblocks, i % gc.mblocks
}

// block is channel block blk's first output channel and count: blocks
// below mblocks are rows channels, those above the rest's restRows.
func (gc gemmCut) block(blk, ocg int) (o0, rows int) {
	if blk < gc.mblocks {
		o0 = blk * gc.rows
		return o0, min(gc.rows, ocg-o0)
	}
	o0 = (blk - gc.mblocks) * gc.restRows
	return o0, min(gc.restRows, ocg-o0)
}

// convGemmBlocks is convGemm's (not wide) decomposition of p: output
// channels per task and their blocks (gemmSplitEven), then output positions
// per column tile and the tiles (colSplit), or panelSplit's tiles over all
// the channels.
//
// panelSplit leaves a last tile of what is left of a ragged panel (196 =
// 4·48 + 4 positions at 14²), which is one task of the whole A for a few
// columns: ResNet-50's 256→1024 at 14² on two workers ran tiles of 96
// columns in 290 µs and the 4-column rest in 47 µs more on one of them,
// MobileNet's 512→512 289 and 31 µs (an instrumented pool, medians). That
// tile is cut into target blocks of channels instead, of whole register
// tiles (gemmTileRows of its product), one beside each full tile; each
// block has its weights packed apart (the layer's packed weights twice).
// The two blocks took 21 and 18 µs on 512→512; paired over the single
// rest task on two workers (blocks of calls alternated, mean call):
// 512→512 1.012, 256→1024 1.034, 256→512 1.047, 1024→256 1.014.
func convGemmBlocks(p *conv.Problem, target int) gemmCut {
	osp := conv.Spatial(p.O)
	k := p.ICG() * p.Taps()
	n := min(osp, colTile)
	base := p.MB * p.G * ceilDiv(osp, colTile)
	rows, mblocks := gemmSplitEven(base, p.OCG(), gemmBlockRows(p.OCG(), n, k), gemmTileRows(p.OCG(), n, k), target)
	if mblocks > 1 {
		if pc, ok := panelSplit(base, osp, p.OCG(), k, target); ok {
			gc := gemmCut{rows: p.OCG(), mblocks: 1, ct: pc, tiles: ceilDiv(osp, pc), panels: true}
			if rest := osp % pc; rest > 0 {
				unit := gemmTileRows(p.OCG(), rest, k)
				gc.restRows = ceilDiv(ceilDiv(p.OCG(), unit), target) * unit
				gc.restBlocks = ceilDiv(p.OCG(), gc.restRows)
			}
			return gc
		}
	}
	ct, tiles := colSplit(p.MB*p.G*mblocks, osp, rows*k, target, mblocks == 1)
	return gemmCut{rows: rows, mblocks: mblocks, ct: ct, tiles: tiles}
}

// panelSplit is the column tile that gives each of target tasks the same
// number of the GEMM's whole B panels (nr columns), and a last tile of
// what is left of a ragged panel (which convGemmBlocks cuts by channels),
// where the output positions are one column tile (base 1), the tile is not
// transposed, the whole panels divide evenly and a task keeps minTaskMACs.
// convGemmBlocks takes it over a split of the output channels: each task
// then packs only its own panels of B, where every channel block packed
// all of B again. ResNet-50's
// 1024→256 and MobileNet's 512→512 1×1 at 14² on two workers, as 96, 96
// and 4 columns instead of 140 + 116 and 266 + 246 channels: 1.11 and
// 1.09 (paired), 512→64 1.20, 512→128 1.06, 512→160 1.04, 256→1024 1.02,
// 528→256 1.00. At 7², on the transposed 7×48 tile, 21 + 21 + 7 columns
// ran 0.50–0.67 and are not taken; neither is 128 + 68 (uneven panels,
// 0.77–0.86).
func panelSplit(base, osp, m, k, target int) (ct int, ok bool) {
	if base != 1 || target <= 1 {
		return 0, false
	}
	nu := 2 // at the test tiles: small problems reach it, and an odd count of positions leaves a ragged rest
	if colTile == DefaultTiles.ColTile {
		_, nr, trans := gemm.Tile(m, osp, k)
		if trans {
			return 0, false
		}
		nu = nr
	}
	panels := osp / nu
	if panels < target || panels%target != 0 {
		return 0, false
	}
	ct = panels / target * nu
	return ct, ct*m*k >= minTaskMACs()
}

// colSplit returns the output positions per column tile and the number of
// tiles for n positions, when base tasks (images × groups × output-channel
// blocks) each cut their positions into such tiles.
//
// Where tiles of colTile already give target tasks (splitTarget), they
// stay, unless (balance: base's tasks are alike, no split of the output
// channels, whose last block may be a sliver) even tiles of the same or a few more in number end the
// tasks sooner (rangeMakespan) on target workers: 28² = 784 positions were a
// tile of 512 and one of 272, so one of two workers did 65% of ResNet-50's
// 28² 1×1 layers, which ran 1.22–1.31× faster on two workers as two tiles
// of 400 and 384 (interleaved A/B, median of paired ratios). Even tiles
// where colTile's already balance (56²: six of 512 and one of 64 on two
// workers) ran 0.94–0.96×: the smaller tiles cost more than they gained.
//
// Where they do not (a small, deep layer at batch 1: 14×14 and 7×7 planes
// are one tile), the tiles are just large enough for the target, a
// multiple of colUnit positions and even, but never so small that a task
// does fewer than minTaskMACs multiply-adds (macsPerCol per position):
// below that, the GEMM's per-call packing and edges cost more than the
// workers gain.
//
// Fixed by the problem and target alone, and the GEMM's tiles agree bit
// for bit whatever the column tile (gemm's TestTilesAgree).
func colSplit(base, n, macsPerCol, target int, balance bool) (ct, tiles int) {
	unit := colUnit()
	if tiles = ceilDiv(n, colTile); base*tiles >= target {
		ct = colTile
		if !balance || target <= 1 || base*tiles > colBalanceTasks*target {
			return ct, tiles
		}
		best := rangeMakespan(n, ct, base, target)
		for t := tiles; t <= tiles+target; t++ {
			c := ceilDiv(ceilDiv(n, t), unit) * unit
			if m := rangeMakespan(n, c, base, target); m < best {
				best, ct = m, c
			}
		}
		return ct, ceilDiv(n, ct)
	}
	want := ceilDiv(target, base) // tiles
	floor := ceilDiv(minTaskMACs(), max(1, macsPerCol))
	ct = min(colTile, max(unit, floor, ceilDiv(ceilDiv(n, want), unit)*unit))
	if balance {
		// as many tiles, made even
		ct = min(ct, ceilDiv(ceilDiv(n, ceilDiv(n, ct)), unit)*unit)
	}
	return ct, ceilDiv(n, ct)
}

// colBalanceTasks is the most tasks a worker of which colSplit weighs
// even tiles against colTile's: beyond, one tile more or less is a small
// share of a worker's work.
const colBalanceTasks = 8

// minTaskMACs is the least work (multiply-adds) of a task that colSplit or
// wideBlocks cut smaller for parallelism: 2^21 at the production colTile
// (about 50 µs on one core), 0 at the test tiles, whose small problems must
// still reach the split.
func minTaskMACs() int {
	if colTile < DefaultTiles.ColTile {
		return 0
	}
	return 1 << 21
}

// colUnit is the granule of a split column tile: 16 positions (one vector)
// at the production colTile, 1 at the test tiles.
func colUnit() int { return max(1, colTile/32) }

// gemmSplit returns the output channels per task and the number of such
// blocks for ocg channels over base tasks, in multiples of gemmRows.
func gemmSplit(base, ocg, target int) (rows, blocks int) {
	if base >= target || ocg <= gemmRows {
		return ocg, 1
	}
	want := ceilDiv(target, base) // blocks per GEMM
	rows = max(gemmRows, ocg/want/gemmRows*gemmRows)
	return rows, ceilDiv(ocg, rows)
}

// gemmSplitEven is convGemm's gemmSplit: as many blocks of output
// channels as the target asks of each GEMM (want), even in the GEMM's
// register tiles of unit rows, the last one short by what is left of a
// ragged tile, but none under least rows.
//
// gemmSplit rounds the rows down to a multiple of least (42), so where
// ocg/want is not well above it the blocks come out more than want and
// uneven: GoogLeNet's 512→128 at 14² was four blocks of 42, 42, 42 and 2
// channels on two workers (84 against 44 rows a worker), each packing the
// whole B again, its 512→112 three. As 70 + 58 and 56 + 56 they ran
// 1.18–1.25× and 1.03–1.18× faster, 512→160 (84 + 76 against 42, 42, 42,
// 34) 1.02–1.07×, ResNet-50's 1024→256 (140 + 116 against 126, 126, 4)
// 1.05, its 256→1024 and MobileNet's 512→512 0.99–1.04 (paired, two runs
// each on two workers; the VM's bad periods move single runs by ±5%).
func gemmSplitEven(base, ocg, least, unit, target int) (rows, blocks int) {
	if base >= target || ocg <= least {
		return ocg, 1
	}
	want := ceilDiv(target, base) // blocks per GEMM
	rows = max(least, ceilDiv(ceilDiv(ocg, unit), want)*unit)
	return rows, ceilDiv(ocg, rows)
}

// gemmTileRows is the register tile's M unit for an m×n×k GEMM
// (gemmUnits), on which gemmSplitEven cuts; gemmRows at the test tiles.
func gemmTileRows(m, n, k int) int {
	if gemmRows != DefaultTiles.GemmRows {
		return gemmRows
	}
	mu, _ := gemmUnits(m, n, k)
	return max(1, mu)
}

// gemmBlockRows is the row unit of convGemm's output-channel blocks for an
// m×n×k GEMM (n the positions of a column tile): gemmRows rounded up to a
// multiple of the M unit gemm.Tile reports for the whole product (MR, or NR
// when transposed), so that a deep layer's 7×7 plane (n = 49) split into
// blocks runs them on the transposed 7×48ᵀ tile (48-row blocks) where
// 42-row blocks chose 14×32 and padded 49 columns to 64. It depends on the
// problem and the active kernel only, never on workers; at the test tiles
// it is gemmRows.
func gemmBlockRows(m, n, k int) int {
	mu := gemmTileRows(m, n, k)
	return ceilDiv(gemmRows, mu) * mu
}

func (c *convGemm) runTask(wk, task int) {
	p, tiles, icg, ocg, osp, isp, k := c.p, c.tiles, c.icg, c.ocg, c.osp, c.isp, c.k
	per := c.perImage()
	ng := task / per // image × groups + group
	t, blk := c.locate(task % per)
	o0, rows := c.block(blk, ocg)
	tile := ng*tiles + t // (image, group, column tile): what the im2col depends on
	g, n := ng%p.G, ng/p.G
	j0, j1 := t*c.ct, min(osp, (t+1)*c.ct)
	nt := j1 - j0
	hitIf(tiles > 1 && nt < c.ct, pathIm2colTileRem)
	hitIf(c.ct < colTile, pathGemmColSplit)
	hitIf(c.panels, pathGemmPanelSplit)
	hitIf(blk >= c.mblocks, pathGemmPanelRest)
	xg := c.x[(n*p.IC+g*icg)*isp : (n*p.IC+(g+1)*icg)*isp]
	out := c.out[(n*p.OC+g*ocg+o0)*osp+j0:]
	beta := float32(0)
	var bias []float32
	switch {
	case c.b != nil && c.pa != nil:
		// handed to the GEMM, which adds it to each tile as it stores it
		// where it can (gemm.BiasFused), else fills first: the same bits
		// as the fill and beta = 1 below
		bias = c.b[g*ocg+o0 : g*ocg+o0+rows]
	case c.b != nil:
		beta = 1
		for o := 0; o < rows; o++ {
			fill(out[o*osp:o*osp+nt], c.b[g*ocg+o0+o])
		}
	}
	var bm []float32
	ldb := nt
	if c.direct {
		hit(pathIm2colIdent)
		bm, ldb = xg[j0:], isp
	} else {
		bm = c.cols[wk][:k*nt]
		// tasks of one column tile differ only in their channel block and
		// are consecutive, so a worker often meets the tile it gathered
		// last (at one worker, always): it reuses it, which spares a deep
		// layer split over channel blocks one im2col per block. The
		// columns are the same values either way.
		if c.colsAt[wk] == tile {
			hit(pathIm2colReuse)
		} else {
			hit(pathIm2colGather)
			im2colTile(p, xg, icg, j0, j1, bm)
			c.colsAt[wk] = tile
		}
	}
	if c.pa != nil {
		hit(pathGemmPackedA)
		if bias != nil {
			hitIf(gemm.BiasFused(), pathGemmBiasPerTile)
			c.ex.gemmWS(wk).SgemmPackedABias(c.pa[g*(c.mblocks+c.restBlocks)+blk], nt, bm, ldb, bias, out, osp)
			return
		}
		c.ex.gemmWS(wk).SgemmPackedA(c.pa[g*(c.mblocks+c.restBlocks)+blk], nt, bm, ldb, beta, out, osp)
		return
	}
	c.mm(c.ex.gemmWS(wk), rows, nt, k, c.w[(g*ocg+o0)*k:], k, bm, ldb, beta, out, osp)
}

// fill sets every element of s to v. It doubles a filled prefix with copy
// (memmove, vectorized), so a row costs about log2(len) calls rather than a
// scalar store per element: the bias broadcast before a beta = 1 GEMM was an
// eighth of a pointwise layer's time. The values written are the same.
func fill(s []float32, v float32) {
	if len(s) == 0 {
		return
	}
	s[0] = v
	for i := 1; i < len(s); i *= 2 {
		copy(s[i:], s[:i])
	}
}

func im2colGemmVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name: "im2col-gemm",
			Ops:  []conv.Op{conv.OpConv},
			Supports: func(p *conv.Problem) error {
				return nil
			},
			// C = 1: each output is bias + one GEMM dot product of length
			// (IC/G)·taps whose terms are exactly the direct products x·w
			// (padding contributes exact zeros); a dot product of that length
			// in any order has error ≤ N·u·Σ|x·w|.
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			c := newConvGemm(ex, p, w, b, asmGemm, true)
			c.implicitB(true)
			return func(in conv.Inputs[float32], out []float32) { c.run(in.X, out) }, nil
		},
	}
}

func pointwiseVariant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name: "pointwise-gemm",
			Ops:  []conv.Op{conv.OpConv},
			Supports: func(p *conv.Problem) error {
				if p.Taps() != 1 {
					return fmt.Errorf("pointwise-gemm: kernel %v, needs 1×1", p.K)
				}
				return nil
			},
			// C = 1: a GEMM over input channels, terms as in direct summation.
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			// Stride 1 and no padding: the input is B as it stands. Otherwise
			// (stride, padding) a one-tap gather builds B.
			c := newConvGemm(ex, p, w, b, asmGemm, false)
			c.implicitB(true)
			return func(in conv.Inputs[float32], out []float32) { c.run(in.X, out) }, nil
		},
	}
}

// useWideIm2col picks the wide im2col for unit stride in H and W (and D)
// when the padded row is at most a quarter longer than the output row.
func useWideIm2col(p *conv.Problem) bool {
	if p.S[0] != 1 || p.S[1] != 1 || p.S[2] != 1 {
		return false
	}
	pv := newPaddedVolume(p)
	return 4*pv.wp <= 5*p.O[2]
}

// convGemmWide is im2col + GEMM at unit stride over a zero-padded copy of
// the input whose rows are wp ≥ OW long. On that grid the im2col row of tap
// (c, kd, kh, kw) for R consecutive output rows of one output plane is one
// contiguous run of R·wp padded elements starting at the tap's offset: a
// single copy instead of one gather per output row. The GEMM computes the
// wp − OW extra columns of each row too (they read past the row end and are
// discarded), and the valid columns go to out with the bias added.
type convGemmWide struct {
	ex                *executor
	p                 *conv.Problem
	mm                gemmFunc
	pv                paddedVolume
	padded            []float32
	offs              []int
	icg, ocg, k, rows int
	blocks, isp, osp  int
	mrows, mblocks    int         // output channels per task, blocks of them (gemmSplit)
	cols, cs          [][]float32 // per worker
	// implicit: B's panels are packed straight from padded (widePanels,
	// one per worker) instead of from an im2col buffer in cols; pa, when
	// set, holds the prepared weights packed per (group, channel block)
	implicit           bool
	panels             []widePanels
	pa                 []*gemm.PackedA
	x, w, b, out       []float32 // the current run's
	fillTask, gemmTask func(wk, task int)
}

func newConvGemmWide(ex *executor, p *conv.Problem, mm gemmFunc) *convGemmWide {
	c := &convGemmWide{ex: ex, p: p, mm: mm, pv: newPaddedVolume(p)}
	c.icg, c.ocg = p.ICG(), p.OCG()
	c.k = c.icg * p.Taps()
	c.isp, c.osp = conv.Spatial(p.I), conv.Spatial(p.O)
	psz, wp := c.pv.size(), c.pv.wp
	// Slack after the last volume: the discarded columns of the last row read
	// up to ExtKW − 1 elements past it. Only data slots are written per run,
	// so the padding stays as zero as the buffer came.
	c.padded = ex.floats(p.MB*p.IC*psz + wp + p.ExtK(2))
	c.offs = c.pv.tapOffsets(p, c.icg)
	c.rows, c.blocks, c.mrows, c.mblocks = wideBlocks(p, wp, gemmSplitTarget(ex.workers))
	nt := min(c.rows, p.O[1]) * wp
	c.cols, c.cs = ex.perWorker(c.k*nt), ex.perWorker(c.ocg*nt)
	ex.useGemm(c.ocg, nt, c.k)
	c.fillTask = func(_, nc int) {
		c.pv.fill(c.p, c.x[nc*c.isp:(nc+1)*c.isp], c.padded[nc*psz:(nc+1)*psz])
	}
	c.gemmTask = c.runTask
	return c
}

// wideBlocks is convGemmWide's decomposition of p on rows of wp padded
// columns: output rows per task and their blocks, then output channels
// per task and their blocks (gemmSplit). The row blocks hold colTile
// columns, or fewer rows when images × groups × depth × row blocks ×
// channel blocks would fall short of target (splitTarget) (a small, deep layer
// at batch 1): then just enough blocks for it, each of at least
// minTaskMACs multiply-adds. Fixed by the problem alone.
func wideBlocks(p *conv.Problem, wp, target int) (rows, blocks, mrows, mblocks int) {
	OH := p.O[1]
	rows = max(1, colTile/wp)
	blocks = ceilDiv(OH, rows)
	base := p.MB * p.G * p.O[0]
	mrows, mblocks = gemmSplit(base*blocks, p.OCG(), target)
	if base*blocks*mblocks < target {
		want := ceilDiv(target, base*mblocks)
		floor := ceilDiv(minTaskMACs(), mrows*p.ICG()*p.Taps()*wp)
		rows = min(rows, max(1, floor, ceilDiv(OH, want)))
		blocks = ceilDiv(OH, rows)
	}
	return rows, blocks, mrows, mblocks
}

func (c *convGemmWide) run(x, w, b, out []float32) {
	c.x, c.w, c.b, c.out = x, w, b, out
	c.ex.forEach(c.p.MB*c.p.IC, c.fillTask)
	c.ex.forEach(c.p.MB*c.p.G*c.p.O[0]*c.blocks*c.mblocks, c.gemmTask)
	c.x, c.w, c.b, c.out = nil, nil, nil, nil
}

func (c *convGemmWide) runTask(wk, task int) {
	p, pv, blocks, rows := c.p, c.pv, c.blocks, c.rows
	icg, ocg, k, osp := c.icg, c.ocg, c.k, c.osp
	psz, wp := pv.size(), pv.wp
	OD, OH, OW := p.O[0], p.O[1], p.O[2]
	o0 := (task % c.mblocks) * c.mrows
	mrows := min(c.mrows, ocg-o0)
	task /= c.mblocks
	blk := task % blocks
	od := (task / blocks) % OD
	g := (task / (blocks * OD)) % p.G
	n := task / (blocks * OD * p.G)
	oh0, oh1 := blk*rows, min(OH, (blk+1)*rows)
	hit(pathIm2colWide)
	hitIf(blocks > 1 && oh1-oh0 < rows, pathWideRowRem)
	hitIf(rows < colTile/wp, pathWideRowSplit)
	nt := (oh1 - oh0) * wp
	cm := c.cs[wk][:mrows*nt]
	if c.implicit {
		hit(pathIm2colImplicit)
		bp := &c.panels[wk]
		bp.reset(c.padded[(n*p.IC+g*icg)*psz:], c.offs)
		bp.addRun(pv.rowBase(p, od, oh0), nt)
		if c.pa != nil {
			c.ex.gemmWS(wk).SgemmPackedAPanels(c.pa[g*c.mblocks+o0/c.mrows], nt, bp, 0, cm, nt)
		} else {
			c.ex.gemmWS(wk).SgemmPanels(mrows, nt, k, c.w[(g*ocg+o0)*k:], k, bp, 0, cm, nt)
		}
		bp.vol = nil
	} else {
		col := c.cols[wk][:k*nt]
		base := c.padded[(n*p.IC+g*icg)*psz+pv.rowBase(p, od, oh0):]
		for r, off := range c.offs {
			copy(col[r*nt:(r+1)*nt], base[off:off+nt])
		}
		c.mm(c.ex.gemmWS(wk), mrows, nt, k, c.w[(g*ocg+o0)*k:], k, col, nt, 0, cm, nt)
	}
	for o := 0; o < mrows; o++ {
		bias := float32(0)
		if c.b != nil {
			bias = c.b[g*ocg+o0+o]
		}
		y := c.out[(n*p.OC+g*ocg+o0+o)*osp+od*OH*OW:]
		for oh := oh0; oh < oh1; oh++ {
			src := cm[o*nt+(oh-oh0)*wp:][:OW]
			dst := y[oh*OW : (oh+1)*OW]
			for i, v := range src {
				dst[i] = v + bias
			}
		}
	}
}
