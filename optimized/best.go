package optimized

import (
	"fmt"

	"github.com/convverify/convverify/conv"
)

// Best returns the variant to run p on workers goroutines when the caller
// does not name one. It is a rule on the problem's form, never on a
// particular layer, read off the single-core measurements in
// benchdata/baseline-avx512.txt (batch 1, AVX-512):
//
//   - deconv → deconv-subpixel, the sub-pixel phases as implicit GEMMs
//     (42.8 against deconv-col2im's 32.8 GFLOP/s on 4×4 stride-2 2D, 24.3
//     against 17.6 in 3D: planned, one core, interleaved medians of 5 on
//     the 2-core development machine; deconv-zeroinsert is 5–10× slower);
//   - deform → deform-im2col (the only one); dynamic → dynamic-grouped
//     (0.86 ms against dynamic-mix's 0.91 ms);
//   - conv with one input channel per group (depthwise, any multiplier) →
//     depthwise-direct (0.26 ms against direct-tiled's 0.75 ms and
//     im2col-gemm's 2.9 ms on 3×3 over 112²);
//   - conv with a 1×1(×1) kernel → pointwise-gemm (1.35 ms against
//     im2col-gemm's 2.9 ms and direct-tiled's 7.5 ms, 256→64 at 56²);
//   - 1D or 2D conv whose kernel has at least largeKernelTaps taps (7×7 and
//     up) → direct-tiled (5.9 ms against im2col-gemm's 11 ms at 11×11);
//   - any other conv (3×3 at any stride, 3D, grouped) → im2col-gemm
//     (4.0 ms against winograd-f2x3's 6.9 ms and direct-tiled's 7.9 ms at
//     3×3 64→64 56²; 4.4 ms against direct-tiled's 13.9 ms at 3×3×3):
//     under the current measurements Winograd is never the automatic choice.
//
// Then the worker count: a GEMM variant splits over images, groups, column
// tiles (or row blocks) and, when those give fewer than 16 tasks, blocks of
// output channels of at least 42 (gemmSplit), then smaller column tiles or
// row blocks (colSplit, wideBlocks), never under 2^21 multiply-adds a task
// (see Tasks), so only a small layer at batch 1 still gives it fewer tasks
// than workers (three of ResNet-50's, at 13–14). When workers > 1 and im2col-gemm or
// pointwise-gemm was chosen, direct-tiled (whose tasks are output-channel
// blocks × row blocks) replaces it if its usable parallelism min(tasks,
// workers) exceeds the GEMM variant's by more than the GEMM's single-core
// speed advantage: 5× for 1×1 kernels (74.7 against 13.9 GFLOP/s above), 2×
// for others (54.6 against 29.1 GFLOP/s). Every variant is deterministic,
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
	if workers > 1 && (name == "im2col-gemm" || name == "pointwise-gemm") {
		if d, ok := Lookup("direct-tiled"); ok && d.Supports(p) == nil {
			ratio := 2
			if name == "pointwise-gemm" {
				ratio = 5
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

// largeKernelTaps is the spatial tap count from which Best prefers
// direct-tiled to im2col-gemm in 1D and 2D: at 7×7 and up the im2col matrix
// is taps times the input and its copy costs more than the GEMM saves.
const largeKernelTaps = 49

// bestName is Best's rule before the worker count.
func bestName(p *conv.Problem) string {
	if p == nil {
		return ""
	}
	switch p.Op {
	case conv.OpDeconv:
		return "deconv-subpixel"
	case conv.OpDeform:
		return "deform-im2col"
	case conv.OpDynamic:
		return "dynamic-grouped"
	}
	switch {
	case p.G > 0 && p.ICG() == 1:
		return "depthwise-direct"
	case p.Taps() == 1:
		return "pointwise-gemm"
	case p.Rank <= 2 && p.Taps() >= largeKernelTaps:
		return "direct-tiled"
	}
	return "im2col-gemm"
}
