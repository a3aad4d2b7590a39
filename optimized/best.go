package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

// Best returns the variant to run p on workers goroutines when the caller
// does not name one. It is a rule on the problem's form, never on a
// particular layer, read off the single-core measurements in
// benchdata/baseline-avx512.txt (batch 1, AVX-512) and, for direct-blocked,
// the interleaved runs quoted below:
//
//   - deconv → deconv-blocked, the sub-pixel phases on direct-blocked's
//     kernel: 4×4 stride-2 2D 64→32 at 48.9 % of the FMA probe against
//     deconv-subpixel's 35.2 %, 3D 36.6 % against 22.6 % (planned, one
//     core, medians of 6 interleaved rounds); deconv-subpixel had beaten
//     deconv-col2im (42.8 against 32.8 GFLOP/s in 2D, 24.3 against 17.6 in
//     3D) and deconv-zeroinsert is 5–10× slower; but deconv-rows, the
//     phases on direct-rows' kernel, where every phase's row segments hold
//     at least rowsMinPos outputs and its useful share is at least
//     rowsUsefulShare of deconv-blocked's (deconvRowsChosen, rowsChosen's
//     rule): paired ratios over deconv-blocked, interleaved, 1.18 on the 4×4
//     stride-2 2D 64→32 at 28², 1.27 in 3D 32→16 at 8³, 1.28 at 128→64 on
//     14², 1.13 at 256→128 on 7², 1.19 on a 3×3 stride-1 64→64 at 28²;
//   - deform → deform-im2col (the only one); dynamic → dynamic-blocked
//     (the grouped batch on direct-blocked, experts mixed into its
//     panels: 1.3–1.4× dynamic-grouped's GFLOP/s in the same rounds, which
//     had beaten dynamic-mix, 0.86 against 0.91 ms), but dynamic-rows
//     (the same on direct-rows) where the conv rule below takes
//     direct-rows for the grouped batch: paired ratios over
//     dynamic-blocked, interleaved, 1.14 at mb2 32→32 28² E=4, 1.11 at
//     64→64 56², 1.16 at mb4 16→16 32², 1.15 at mb2 128→128 14², 1.14 at
//     5×5 mb2 64→64 28²;
//   - conv with one input channel per group (depthwise, any multiplier) →
//     depthwise-direct (0.26 ms against direct-tiled's 0.75 ms and
//     im2col-gemm's 2.9 ms on 3×3 over 112²);
//   - conv with a 1×1(×1) kernel → pointwise-gemm (1.35 ms against
//     im2col-gemm's 2.9 ms and direct-tiled's 7.5 ms, 256→64 at 56²;
//     direct-blocked wins a few of ResNet-50's 1×1 layers, 64→64 at 56²
//     69.3 against 63.4 GFLOP/s, and loses most, up to 1.4× on the
//     channel-expanding and strided ones: 58.8 against 79.6 at 256→1024
//     on 14², 47.7 against 70.6 at 256→512 stride 2; no form separates
//     them); but direct-rows on planes of fewer than rows1x1MaxPlane =
//     56² positions where its segments hold at least rowsMinPos outputs
//     (rowsChosen1x1): with its terms in chunks (see direct-rows), paired
//     ratios of interleaved calls at 7² gave it 1.04–1.12× on ResNet-50's
//     512→2048, 2048→512, 1024→1024, 512→1024 and 1.2–2.0× on GoogLeNet's
//     832→384, 256, 128, 48, where the GEMM's n = 49 fills its panels
//     poorly, and since its 16 KB chunks 1.14–1.23× at 14², 1.02–1.40×
//     at 28² (see rows1x1MaxPlane);
//   - any other conv (kernels of two taps and more: 3×3 at any stride,
//     large kernels, 3D, grouped) → direct-blocked. Planned, one core,
//     GFLOP/s medians of interleaved rounds on the 2-core development
//     machine (6 rounds): 3×3 64→64 at 56² 71.6 against im2col-gemm's
//     56.6 and direct-tiled's 21.9; 11×11 16→16 at 64² 74.2 against
//     direct-tiled's 39.0 and im2col-gemm's 36.0; 3×3×3 32→32 at 16³ 61.1
//     against im2col-gemm's 45.4; ResNet-50 at batch 1 (3 rounds): the
//     7×7 stride-2 conv1 55.1 against im2col-gemm's 33.2, its 3×3 layers
//     at 28² 71.7 against 68.4 and at 7² 64.6 against 46.7, but at 14²
//     (256→256) 70.4 against 76.8, where its flat runs of 222 positions
//     carry 26 garbage columns and a partial tile of 48; with 1×1 layers
//     on pointwise-gemm, the network 68.9 GFLOP/s against im2col-gemm's
//     55.9 on every layer. 3×3 with 32 groups of 4 channels: 23 against
//     direct-tiled's 16 and im2col-gemm's 6.4. Under the current
//     measurements Winograd is never the automatic choice.
//   - of those, direct-rows where its AVX-512 kernels run, its row segments
//     hold at least rowsMinPos = 7 outputs and the share of its multiply-adds
//     that reach an output is at least rowsUsefulShare = 0.9 of
//     direct-blocked's (rowsChosen): it computes no garbage column and its
//     loads split no cache line, and it pads output channels to blocks of 32
//     (16 with at most 16 a group). Planned, one core, medians of interleaved
//     calls (5 s each) against direct-blocked, with its useful share over
//     direct-blocked's: 3×3 256→256 at 14² 81.6 against 68.5 GFLOP/s (1.18),
//     128→128 at 28² 80.3 against 70.5 (1.10), 512→512 at 28² 80.9 against
//     69.3, 64→64 at 56² 73.5 against 71.0 (1.04), VGG-19's 3→64 at 224² 47.1
//     against 37.4 (1.01), 5×5 32→128 at 14² 90.0 against 62.7 (1.35), 16→48
//     at 14² 65.8 against 59.6 (0.98), 3×3×3 32→32 at 16³ (segments of 8) 72.1
//     against 65.4 (1.12); but 11×11 16→16 at 64² 44.3 against 75.0 (0.57:
//     half its channels padding). Since, problems of at most 16 output
//     channels a group take its 16-channel tile (rowsShape), and paired ratios
//     over direct-blocked were: that 11×11 1.24, 3×3 with 4 groups of 16 at
//     28² 1.28, 3×3×3 32→16 at 16³ 1.20, 3×3 64→16 at 28² 1.14, 16→16 at 64²
//     1.09, 3→16 at 224² 0.97, 7×7×7 8→8 at 8³ 1.02 (useful 0.5 against 0.3);
//     3×3 8→8 at 28² 0.86 and 32→8 at 56² 0.65 (useful 0.5 against 0.86) stay
//     on direct-blocked by the useful-share rule. Rows of 7 (segments of 7, 14
//     FMAs per 9 loads) had lost 2–3% before direct-rows chunked its terms;
//     since, paired ratios: 3×3 512→512 at 7² 1.02×, 256→256 1.15×,
//     GoogLeNet's 160→320 1.20× and 192→384 1.14×, 5×5 48→128 and 32→128 1.8×,
//     so rowsMinPos is 7 (narrower rows are unmeasured).
//   - where the row kernels are AVX2, the same rule with segments of at
//     least rowsMinPosAVX2 = 12 outputs, and no 1×1 on direct-rows. That
//     kernel's tile (16 × 28, rowsShape) is blocks of up to 6 positions ×
//     16 channels, so a segment of 7 is blocks of 4 and 3, whose 8 and 6
//     accumulators do not hide the FMA's latency: 512→512 at 7² ran 32.8
//     against direct-blocked's 39.5 GFLOP/s. Planned, one worker, on an
//     AVX2 EPYC, direct-rows against direct-blocked (two rounds): 3×3
//     64→64 at 56² 57–60 against 41–46, 3×3 stride 2 128→128 from 56²
//     39–46 against 34–38, 5×5 16→32 at 28² 60–63 against 48–51, 3×3×3
//     32→32 at 16³ 59–61 against 49–53, 11×11 16→16 at 64² 65–67 against
//     51–56. 1×1 layers stay on pointwise-gemm, which led direct-rows and
//     direct-blocked on ten of eleven (ResNet-50's, MobileNet's,
//     GoogLeNet's: 41–61 GFLOP/s against 35–51). deconv-rows led
//     deconv-blocked on all five deconv layers measured (4×4 stride 2, 2D
//     and 3D, 7² to 56²: 1.05–1.46) and dynamic-rows dynamic-blocked on
//     all three (1.05–1.23), so their rules are the AVX-512 ones.
//
// Where the blocked micro-kernel has no assembly for the CPU but the GEMM
// has, the *-blocked choices above fall back to the GEMM-based variants
// they displaced (blockedFast).
//
// Then the worker count: direct-blocked splits over images, groups, depth
// slices, ranges of flat tiles and then of output-channel blocks, never
// under 2^21 multiply-adds a task (direct-rows likewise, over ranges of
// row segments). A GEMM variant splits over images, groups, column
// tiles (or row blocks) and, when those give fewer than 16 tasks, blocks of
// output channels of at least 42 (gemmSplit, gemmSplitEven), then smaller column tiles or
// row blocks (colSplit, wideBlocks), never under 2^21 multiply-adds a task
// (see Tasks), so only a small layer at batch 1 still gives it fewer tasks
// than workers (three of ResNet-50's, at 13–14). When workers > 1 and
// im2col-gemm, pointwise-gemm or direct-blocked was chosen, direct-tiled
// (whose tasks are output-channel blocks × row blocks) replaces it if its
// usable parallelism min(tasks, workers) exceeds the chosen variant's by
// more than that one's single-core speed advantage: 5× for 1×1 kernels (74.7 against 13.9 GFLOP/s above), 2×
// for others (54.6 against 29.1 GFLOP/s), 3× for direct-blocked and
// direct-rows (71.6 against 21.9 GFLOP/s at 3×3). Every variant is deterministic,
// so the result never depends on workers for a given variant; which
// variant runs may.
//
// Best is only a default: check and the conformance harness still run every
// variant. It fails only for a problem no variant supports.
func Best(p *conv.Problem, workers int) (Variant, error) {
	name := bestName(p)
	v, ok := Lookup(name)
	if !ok || v.Supports(p) != nil {
		vs := For(p)
		if len(vs) == 0 {
			if p == nil {
				return Variant{}, fmt.Errorf("best: nil problem")
			}
			return Variant{}, fmt.Errorf("best: no variant supports %s", p.Descriptor())
		}
		return vs[0], nil
	}
	if workers > 1 && (name == "im2col-gemm" || name == "pointwise-gemm" || name == "direct-blocked" || name == "direct-rows") {
		if d, ok := Lookup("direct-tiled"); ok && d.Supports(p) == nil {
			ratio := 2
			switch name {
			case "pointwise-gemm":
				ratio = 5
			case "direct-blocked", "direct-rows":
				ratio = 3
			}
			n, _ := Tasks(v, p, workers)
			nd, _ := Tasks(d, p, workers)
			if min(nd, workers) > ratio*min(n, workers) {
				return d, nil
			}
		}
	}
	return v, nil
}

// bestName is Best's rule before the worker count.
func bestName(p *conv.Problem) string {
	if p == nil {
		return ""
	}
	fast := blockedFast()
	switch p.Op {
	case conv.OpDeconv:
		if !fast {
			return "deconv-subpixel"
		}
		if deconvRowsChosen(p) {
			return "deconv-rows"
		}
		return "deconv-blocked"
	case conv.OpDeform:
		return "deform-im2col"
	case conv.OpDynamic:
		if !fast {
			return "dynamic-grouped"
		}
		if q := dynamicGroupedProblem(p); rowsChosen(&q) {
			return "dynamic-rows"
		}
		return "dynamic-blocked"
	}
	switch {
	case p.G > 0 && p.ICG() == 1:
		return "depthwise-direct"
	case p.Taps() == 1:
		if rowsChosen1x1(p) {
			return "direct-rows"
		}
		return "pointwise-gemm"
	case !fast:
		return "im2col-gemm"
	case rowsChosen(p):
		return "direct-rows"
	}
	return "direct-blocked"
}

// rowsMinPos, rowsMinPosAVX2 and rowsUsefulShare are Best's thresholds
// for direct-rows (see Best).
const (
	rowsMinPos      = 7
	rowsMinPosAVX2  = 12
	rowsUsefulShare = 0.9
)

// rowsKernelsAsm reports whether the row kernels run in assembly, AVX-512
// or AVX2 (they follow the blocked kernel set, blockedISA).
func rowsKernelsAsm() bool { return blockedISA == blockedAVX512 || blockedISA == blockedAVX2 }

// rows1x1MaxPlane is the output plane, in positions, from which a 1×1
// conv goes to pointwise-gemm rather than direct-rows (rowsChosen1x1):
// 56² = 3136. Paired ratios of direct-rows over pointwise-gemm (planned,
// interleaved blocks of calls, median of the blocks' ratios), one worker
// and two: at 14² 1.14–1.23 and 1.03–1.26 on eleven layers of ResNet-50,
// MobileNet and GoogLeNet (512→512, 256→1024, 1024→256, 480→192, 512→64,
// 528→256, 256→512, 512→1024 at stride 2); at 28² 1.02–1.28 and 1.02–1.30
// on eight (128→512, 512→128, 128→256, 256→256, 192→64, 256→32), the
// stride-2 ones from 56² 1.25–1.40 and 1.14–1.40 since their fill gathers
// (gather2Rows; 0.83 on two workers before); at 56² 0.97–1.03 and
// 0.93–1.24 (64→256 loses on both); at 112² (32→64) 0.89 and 0.85. It was
// 14² = 196 while direct-rows put each input channel's terms in its own
// call; since its terms go in chunks (rowsChunkTerms) the GEMM keeps only
// planes of 56² and more.
const rows1x1MaxPlane = 56 * 56

// rowsChosen reports whether Best takes direct-rows for p where it would
// take direct-blocked: its kernel runs in assembly, its row segments hold
// at least rowsMinPos outputs (rowsMinPosAVX2 with the AVX2 kernels), and
// the share of its multiply-adds that reach an output is at least
// rowsUsefulShare of direct-blocked's.
func rowsChosen(p *conv.Problem) bool {
	if !rowsKernelsAsm() {
		return false
	}
	minPos := rowsMinPos
	if !rowsAVX512() {
		minPos = rowsMinPosAVX2
	}
	b := newBlockedGeom(p, 1)
	r := newRowsGeom(p, &b, 1)
	return r.pos >= minPos && r.useful(p, &b) >= rowsUsefulShare*b.useful(p)
}

// deconvRowsChosen reports whether Best takes deconv-rows for deconv p
// where it would take deconv-blocked, by rowsChosen's rule over the
// phases: the row kernels run in assembly (AVX-512 or AVX2), every phase's segments hold at
// least rowsMinPos outputs, and the useful share is at least
// rowsUsefulShare of deconv-blocked's.
func deconvRowsChosen(p *conv.Problem) bool {
	if !rowsKernelsAsm() {
		return false
	}
	v, phases := newSubpixelPhases(p, nil)
	_, maxPos := rowsShape(p)
	for _, s := range phases {
		if newRowsSegs(s.q[2], maxPos).pos < rowsMinPos {
			return false
		}
	}
	return deconvRowsUseful(p, phases) >= rowsUsefulShare*deconvBlockedUseful(p, v, phases)
}

// rowsChosen1x1 reports whether Best takes direct-rows for a 1×1 conv
// where it would take pointwise-gemm: its kernel runs in AVX-512 assembly
// (with the AVX2 kernels the GEMM led, see Best), its
// segments hold at least rowsMinPos outputs, and the output plane holds
// fewer than rows1x1MaxPlane positions, the GEMM's n (its 32- and
// 48-column panels tile a 7×7 plane poorly; a 1×1 without stride or
// padding is one flat run of the plane, so segments of 13 there).
func rowsChosen1x1(p *conv.Problem) bool {
	if !rowsAVX512() || conv.Spatial(p.O) >= rows1x1MaxPlane {
		return false
	}
	b := newBlockedGeom(p, 1)
	r := newRowsGeom(p, &b, 1)
	return r.pos >= rowsMinPos
}

// blockedFast reports whether the *-blocked variants should be chosen
// here: their shared micro-kernel (blockedKernelLd) runs in assembly
// (AVX-512, or AVX2+FMA), or the GEMM has no assembly kernel either
// (-tags noasm, or neither instruction set). Were the blocked kernel ever
// without assembly where the GEMM has it (as on AVX2-only CPUs before the
// blocked kernel had an AVX2 twin), blocked=go, a scalar loop, would lose
// to the GEMM variants' vector kernels many times over, so Best falls
// back to the variants each blocked one displaced: im2col-gemm,
// deconv-subpixel and dynamic-grouped. A variable, so that a test can
// take the fallback on a machine that has the kernel.
var blockedFast = func() bool {
	return blockedISA != blockedGoISA || gemm.Kernel() == "portable"
}
