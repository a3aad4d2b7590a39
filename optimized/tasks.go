package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Tasks says how many independent tasks v's parallel decomposition of p
// creates on workers goroutines: the task count of the phase that writes the
// output (the GEMMs, row-kernel passes or col2im sums; the padded-copy phases
// before them split over image × input channel and are not counted). The
// decomposition is fixed by p, the block sizes (tiles.go) and, for the GEMM
// variants, how many tasks workers need (splitTarget; the arithmetic of each
// output does not change with it): why is "" when n ≥ workers, else it names the
// decomposition and what limits it (at batch 1 a split over images or
// column tiles of a small, deep layer leaves workers idle). For a problem
// v does not support, n is 0 and why is the reason.
func Tasks(v Variant, p *conv.Problem, workers int) (n int, why string) {
	if v.Supports == nil {
		return 0, fmt.Sprintf("%s: no Supports", v.Name)
	}
	if err := v.Supports(p); err != nil {
		return 0, err.Error()
	}
	n, decomp := taskSplit(v.Name, p, workers)
	if n >= max(1, workers) {
		return n, ""
	}
	return n, fmt.Sprintf("%s: %d task(s) < %d workers: %s", v.Name, n, workers, decomp)
}

// taskSplit is the task count of variant name's output phase on p and a
// description of its decomposition. It mirrors the forEach calls of each
// variant (TestTasksMatchForEach checks that it does).
func taskSplit(name string, p *conv.Problem, workers int) (int, string) {
	switch name {
	case "im2col-gemm", "im2col-blas32":
		return convGemmSplit(p, true, workers)
	case "pointwise-gemm":
		return convGemmSplit(p, false, workers)
	case "direct-tiled":
		nb, rb := ceilDiv(p.OCG(), ocBlock), ceilDiv(p.O[1], rowBlock)
		return p.MB * p.G * nb * p.O[0] * rb, fmt.Sprintf("batch %d × groups %d × output-channel blocks %d (of %d) × depth %d × row blocks %d (of %d rows)",
			p.MB, p.G, nb, ocBlock, p.O[0], rb, rowBlock)
	case "direct-blocked":
		return blockedSplit(p, workers)
	case "direct-rows":
		return rowsSplit(p, workers)
	case "depthwise-direct":
		if dwChoose(p) != dwRowsPath {
			return depthwiseTasks(p), fmt.Sprintf("batch %d × channel blocks %d (of %d channels, channels-last)", p.MB, ceilDiv(p.G, dwLanes), dwLanes)
		}
		return depthwiseTasks(p), fmt.Sprintf("batch %d × channels %d (one task per input channel)", p.MB, p.G)
	case "winograd-f2x3":
		tiles := ceilDiv(p.O[1], 2) * ceilDiv(p.O[2], 2)
		chunks := ceilDiv(tiles, winoChunk)
		return p.MB * p.G * chunks, fmt.Sprintf("batch %d × groups %d × chunks %d (%d 2×2 output tiles, %d per chunk)",
			p.MB, p.G, chunks, tiles, winoChunk)
	case "fft":
		return p.OC, fmt.Sprintf("images one after another (%d), each input channels (%d) then output channels (%d)", p.MB, p.IC, p.OC)
	case "deconv-col2im":
		tiles := ceilDiv(conv.Spatial(p.I), colTile)
		return p.OCG(), fmt.Sprintf("(image, group) pairs one after another (%d), each a GEMM over %d column tiles then col2im over %d output channels",
			p.MB*p.G, tiles, p.OCG())
	case "deconv-subpixel":
		n, pairs, phases, mblocks := subpixelTasks(p, workers)
		return n, fmt.Sprintf("batch %d × groups %d × (phase, depth plane, row block) triples %d (%d phases, blocks of %d padded columns) × output-channel blocks %d (%d channels)",
			p.MB, p.G, pairs, phases, colTile, mblocks, p.OCG())
	case "deconv-blocked":
		return deconvBlockedSplit(p, workers)
	case "deconv-zeroinsert":
		q, err := zeroInsertProblem(p)
		if err != nil {
			return 0, err.Error()
		}
		n, d := convGemmSplit(&q, true, workers)
		return n, "the zero-inserted forward convolution: " + d
	case "deform-im2col":
		tiles := ceilDiv(conv.Spatial(p.O), colTile)
		return p.MB * p.G * tiles, fmt.Sprintf("batch %d × groups %d × column tiles %d (%d output positions, %d per tile)",
			p.MB, p.G, tiles, conv.Spatial(p.O), colTile)
	case "dynamic-mix":
		q := *p
		q.Op, q.MB = conv.OpConv, 1
		n, d := convGemmSplit(&q, true, workers)
		return n, fmt.Sprintf("images one after another (%d), each %s", p.MB, d)
	case "dynamic-grouped":
		q := dynamicGroupedProblem(p)
		n, d := convGemmSplit(&q, true, workers)
		return n, "the batch as one grouped convolution: " + d
	case "dynamic-blocked":
		q := dynamicGroupedProblem(p)
		n, d := blockedSplit(&q, workers)
		return n, "the batch as one grouped convolution: " + d
	case "deconv-rows":
		return deconvRowsSplit(p, workers)
	case "dynamic-rows":
		q := dynamicGroupedProblem(p)
		n, d := rowsSplit(&q, workers)
		return n, "the batch as one grouped convolution: " + d
	}
	return 0, fmt.Sprintf("%s: decomposition unknown to Tasks", name)
}

// convGemmSplit is convGemm's task count (see newConvGemm) and its description.
func convGemmSplit(p *conv.Problem, gather bool, workers int) (int, string) {
	if gather && useWideIm2col(p) {
		wp := newPaddedVolume(p).wp
		rows, blocks, mrows, mblocks := wideBlocks(p, wp, gemmSplitTarget(workers))
		return p.MB * p.G * p.O[0] * blocks * mblocks, fmt.Sprintf("batch %d × groups %d × depth %d × row blocks %d (%d rows of %d padded columns per block, tasks of ≥ %d multiply-adds) × output-channel blocks %d (%d of %d channels each)",
			p.MB, p.G, p.O[0], blocks, rows, wp, minTaskMACs(), mblocks, mrows, p.OCG())
	}
	osp := conv.Spatial(p.O)
	gc := convGemmBlocks(p, gemmSplitTarget(workers))
	d := fmt.Sprintf("batch %d × groups %d × column tiles %d (%d output positions, %d per tile, tasks of ≥ %d multiply-adds) × output-channel blocks %d (%d of %d channels each)",
		p.MB, p.G, gc.tiles, osp, gc.ct, minTaskMACs(), gc.mblocks, gc.rows, p.OCG())
	if gc.restBlocks > 0 {
		d += fmt.Sprintf(", the last tile in %d blocks of %d channels", gc.restBlocks, gc.restRows)
	}
	return p.MB * p.G * gc.perImage(), d
}
