package optimized

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

// path is a branch of the variants that a test should reach: a row
// kernel's masked tail, a block remainder, a padding skip, an edge tile…
// Each is counted where the branch is taken, once per call, row block or
// task (never per element), so the counters cost nothing measurable; the
// property tests read them (PathHits) to check afterwards that the random
// problems reached every branch.
type path int

const (
	pathRowFull64          path = iota // row kernel: a row with a full 64-output pass
	pathRowTail2                       // row kernel: a row tail of 1–32 outputs (two masked vectors)
	pathRowTail4                       // row kernel: a row tail of 33–63 outputs (four masked vectors)
	pathPadStride1                     // padded volume: plain row copy (width stride 1)
	pathPadSplit2                      // padded volume: stride-2 row split into two phases
	pathPadSplit2Odd                   // stride-2 split with odd begin padding (source shifted one lane)
	pathPadSplitN                      // padded volume: width stride > 2, scalar phase gather
	pathDwWindow                       // depthwise: rank ≤ 2, L1 windows of dwRows output rows
	pathDwVolume                       // depthwise: 3D, whole padded volume
	pathDwWindowPad                    // depthwise: a window of padding rows only (large padding)
	pathDwRowRem                       // depthwise: a last window of fewer than dwRows rows
	pathDwWholePlane                   // depthwise: a plane of more than dwRows output rows as one window (dwBlockRows)
	pathDwMultiplier                   // depthwise: several output channels per input channel
	pathDwS1                           // depthwise: a 3×3 stride-1 plane straight from the input rows (dw3x3)
	pathDwS1Tail                       // depthwise: that with OW not a multiple of 16 (a masked last chunk)
	pathDwS2                           // depthwise: a 3×3 stride-2 plane straight from the input rows (dw3x3)
	pathDwS2Tail                       // depthwise: that with OW not a multiple of 16 (a masked last chunk)
	pathDirectOCRem                    // direct-tiled: a last output-channel block under ocBlock
	pathDirectRowRem                   // direct-tiled: a last row block under rowBlock (several blocks)
	pathIm2colWide                     // im2col-gemm: wide im2col on the padded grid (unit stride)
	pathIm2colGather                   // im2col-gemm: per-row gather im2col
	pathIm2colIdent                    // pointwise-gemm: the input is the im2col matrix
	pathIm2colTileRem                  // im2col: a last column tile under colTile (several tiles)
	pathIm2colPadRow                   // im2col: a whole row segment in the padding (cleared)
	pathIm2colPadCol                   // im2col: a row segment clipped by column padding
	pathIm2colStrided                  // im2col: strided gather of a row segment
	pathWideRowRem                     // wide im2col: a last row block under its block size
	pathGemmMTail                      // GEMM: rows not a multiple of the micro-kernel's mr
	pathGemmNTail                      // GEMM: columns not a multiple of the micro-kernel's nr
	pathWinoEdgeCol                    // Winograd: output tiles cut at the right edge (odd OW)
	pathWinoEdgeRow                    // Winograd: output tiles cut at the bottom edge (odd OH)
	pathWinoChunkRem                   // Winograd: a last tile chunk under winoChunk (several chunks)
	pathCol2imUnit                     // col2im: contiguous add (width stride 1)
	pathCol2imStrided                  // col2im: strided scatter-add
	pathCol2imTapOut                   // col2im: a tap whose columns all fall outside the output
	pathCol2imCrop                     // col2im: a tap's input span clipped by the output bounds
	pathCol2imNegEnd                   // col2im: negative end padding (cropped end)
	pathCol2imOutPad                   // col2im: output padding (end padding below begin padding)
	pathCol2imTileRem                  // col2im: a last GEMM column tile under colTile (several tiles)
	pathZeroInsCrop                    // zero insertion: padding wider than the kernel crops z
	pathDeformOut                      // deform: a sample with all four neighbours outside the image
	pathDeformEdge                     // deform: a sample with some neighbours outside the image
	pathDeformMask                     // deform: modulated (mask) sampling
	pathDeformDG                       // deform: several offset groups
	pathFFTPadSkip                     // FFT: input copy skipping padding positions
	pathFFTUnreached                   // FFT: outputs that reach no input (exactly the bias)
	pathFFTUnitAxis                    // FFT: an axis of transform length 1
	pathDynSoftmax                     // dynamic: softmax routing
	pathDynSigmoid                     // dynamic: sigmoid routing
	pathDynBias                        // dynamic: mixed biases
	pathIm2colTileDeep                 // im2col: a column tile that starts past the first output plane (3D)
	pathFFTDilated                     // FFT: a dilated kernel placed in the transform
	pathSubpixelRowRem                 // sub-pixel deconv: a last row block of a phase plane under its size
	pathSubpixelOCBlocks               // sub-pixel deconv: the GEMM split over output-channel blocks
	pathSubpixelBiasOnly               // sub-pixel deconv: a phase no tap reaches (bias only)
	pathSubpixelDeep                   // sub-pixel deconv: a task in a later depth plane of a phase (3D)
	pathSubpixelNegEnd                 // sub-pixel deconv: negative end padding (cropped end)
	pathGemmColSplit                   // im2col GEMM: column tiles cut below colTile for tasks (small, deep layer)
	pathGemmPanelSplit                 // im2col GEMM: one column tile's B panels shared among the tasks (panelSplit)
	pathGemmPanelRest                  // im2col GEMM: panelSplit's ragged last tile, a block of its output channels
	pathWideRowSplit                   // wide im2col: row blocks cut below colTile columns for tasks
	pathPanelsTail                     // implicit GEMM: a B panel past the last column (zero-filled)
	pathPanelsRunSplit                 // implicit GEMM: a B panel that spans two runs of columns (depth planes)
	pathIm2colImplicit                 // wide im2col GEMM: B panels packed straight from the padded input
	pathGemmPackedA                    // im2col/pointwise GEMM: prepared weights (gemm.PackedA)
	pathGemmBiasPerTile                // im2col/pointwise GEMM: the bias added per tile as it is stored (gemm.SgemmPackedABias)
	pathSubpixelOutPad                 // sub-pixel deconv: output padding
	pathIm2colReuse                    // im2col GEMM: a task reuses the column tile its worker gathered for the previous channel block
	pathBlockedOCRem                   // direct-blocked: OC/G not a multiple of the kernel's MR (zero-padded last block)
	pathBlockedTail                    // direct-blocked: a last flat tile under T outputs (masked loads)
	pathBlockedKRem                    // direct-blocked: a last K block of fewer input channels (several blocks)
	pathBlockedPhases                  // direct-blocked: stride > 1, input split into stride-phase planes
	pathBlockedNoCopy                  // direct-blocked: 1×1 stride 1 unpadded, the input read in place
	pathBlockedOCOuter                 // direct-blocked: several groups of output-channel blocks (their weights over the L2 budget), the tiles inside each
	pathDwCL                           // depthwise: channels-last path (a block of up to 16 channels in the lanes)
	pathDwCLChanRem                    // depthwise channels-last: a last block of fewer than 16 channels
	pathDwCLPhases                     // depthwise channels-last: strided, several phase planes
	pathDwCLShort                      // depthwise channels-last: fewer flat outputs than one 8-wide pass
	pathDeconvBlkBias                  // deconv-blocked: a phase no tap reaches (the kernel with no terms: the bias)
	pathDeconvBlkKRem                  // deconv-blocked: a last K block of fewer input channels
	pathDeconvBlkOCRem                 // deconv-blocked: output channels per group not a multiple of MR
	pathDeconvBlkTail                  // deconv-blocked: a plane's last, partial tile (masked lanes)
	pathDeformChunks                   // deform: a group's GEMM split into chunks of offset groups (tap tables over budget)
	pathBlockedOneK                    // direct-blocked: one K block, output-channel blocks outermost
	pathDeconvRowsBias                 // deconv-rows: a phase no tap reaches (the kernel with no terms: the bias)
	pathDeconvRowsChunks               // deconv-rows: more terms than a chunk (the partial sums go on across kernel calls)
	pathDeconvRowsGroups               // deconv-rows: more segments in a task than a group
	pathDeconvRowsScatter2             // deconv-rows: width stride 2, segments stored through scatter2Rows
	pathDeconvRowsZip                  // deconv-rows: two width phases' segments stored together (zip2Rows)
	pathRowsNarrow                     // direct-rows: output rows narrower than the longest segment (one segment, P = OW)
	pathRows16                         // direct-rows: the 16-channel tile (at most 16 output channels a group)
	pathRowsShort                      // direct-rows: a row's last segment shorter than the others (P ∤ OW)
	pathRowsOCRem                      // direct-rows: OC/G not a multiple of 32 (zero-padded last block)
	pathRowsChunks                     // direct-rows: more terms than a chunk (the partial sums go on across kernel calls)
	pathRowsGroups                     // direct-rows: more segments in a task than a group
	pathRowsOwnPlanes                  // direct-rows: each worker fills its own copy of the phase planes (rowsOwnPlanes)
	pathDeconvRowsOwn                  // deconv-rows: each worker fills its own padded volume (deconvRowsOwn)
	pathDeconvRowsOwn3D                // deconv-rows: … of several depth planes
	pathBlockedFillSplit2              // blocked planes: width stride 2, both width phases filled by one deinterleave
	pathBlockedFillGather2             // blocked planes: width stride 2, one width phase read, its rows gathered (gather2Rows)
	numPaths
)

var pathNames = [numPaths]string{
	pathRowFull64:          "row/full64",
	pathRowTail2:           "row/tail≤32",
	pathRowTail4:           "row/tail>32",
	pathPadStride1:         "padded/stride1-copy",
	pathPadSplit2:          "padded/stride2-split",
	pathPadSplit2Odd:       "padded/stride2-split-odd-pad",
	pathPadSplitN:          "padded/stride>2-gather",
	pathDwWindow:           "depthwise/window",
	pathDwVolume:           "depthwise/volume",
	pathDwWindowPad:        "depthwise/window-all-padding",
	pathDwRowRem:           "depthwise/row-block-remainder",
	pathDwWholePlane:       "depthwise/whole-plane",
	pathDwMultiplier:       "depthwise/multiplier",
	pathDwS1:               "depthwise/s1-rows",
	pathDwS1Tail:           "depthwise/s1-rows-tail",
	pathDwS2:               "depthwise/s2-rows",
	pathDwS2Tail:           "depthwise/s2-rows-tail",
	pathDirectOCRem:        "direct/oc-block-remainder",
	pathDirectRowRem:       "direct/row-block-remainder",
	pathIm2colWide:         "im2col/wide",
	pathIm2colGather:       "im2col/gather",
	pathIm2colIdent:        "im2col/identity",
	pathIm2colTileRem:      "im2col/tile-remainder",
	pathIm2colPadRow:       "im2col/padding-row",
	pathIm2colPadCol:       "im2col/padding-cols",
	pathIm2colStrided:      "im2col/strided-gather",
	pathWideRowRem:         "im2col-wide/row-block-remainder",
	pathGemmMTail:          "gemm/m-tail",
	pathGemmNTail:          "gemm/n-tail",
	pathWinoEdgeCol:        "winograd/edge-col",
	pathWinoEdgeRow:        "winograd/edge-row",
	pathWinoChunkRem:       "winograd/chunk-remainder",
	pathCol2imUnit:         "col2im/unit-stride-add",
	pathCol2imStrided:      "col2im/strided-scatter",
	pathCol2imTapOut:       "col2im/tap-outside",
	pathCol2imCrop:         "col2im/span-cropped",
	pathCol2imNegEnd:       "col2im/negative-end-pad",
	pathCol2imOutPad:       "col2im/output-padding",
	pathCol2imTileRem:      "col2im/tile-remainder",
	pathZeroInsCrop:        "zeroinsert/crop",
	pathDeformOut:          "deform/sample-outside",
	pathDeformEdge:         "deform/neighbour-outside",
	pathDeformMask:         "deform/mask",
	pathDeformDG:           "deform/offset-groups",
	pathFFTPadSkip:         "fft/padding-skip",
	pathFFTUnreached:       "fft/unreached-output",
	pathFFTUnitAxis:        "fft/unit-axis",
	pathDynSoftmax:         "dynamic/softmax",
	pathDynSigmoid:         "dynamic/sigmoid",
	pathDynBias:            "dynamic/bias-mix",
	pathIm2colTileDeep:     "im2col/tile-starts-in-later-plane",
	pathFFTDilated:         "fft/dilated-kernel",
	pathSubpixelRowRem:     "subpixel/row-block-remainder",
	pathSubpixelOCBlocks:   "subpixel/oc-blocks",
	pathSubpixelBiasOnly:   "subpixel/bias-only-phase",
	pathSubpixelDeep:       "subpixel/later-depth-plane",
	pathSubpixelNegEnd:     "subpixel/negative-end-pad",
	pathGemmColSplit:       "im2col/column-split",
	pathGemmPanelSplit:     "im2col/panel-split",
	pathGemmPanelRest:      "im2col/panel-rest",
	pathWideRowSplit:       "im2col-wide/row-split",
	pathPanelsTail:         "panels/tail",
	pathPanelsRunSplit:     "panels/run-split",
	pathIm2colImplicit:     "im2col/implicit",
	pathGemmPackedA:        "gemm/packed-weights",
	pathGemmBiasPerTile:    "gemm/bias-per-tile",
	pathSubpixelOutPad:     "subpixel/output-padding",
	pathIm2colReuse:        "im2col/reuse-gathered-tile",
	pathBlockedOCRem:       "blocked/oc-block-remainder",
	pathBlockedTail:        "blocked/flat-tile-tail",
	pathBlockedKRem:        "blocked/k-block-remainder",
	pathBlockedPhases:      "blocked/stride-phase-split",
	pathBlockedNoCopy:      "blocked/no-copy-1x1",
	pathBlockedOCOuter:     "blocked/oc-block-groups",
	pathDwCL:               "depthwise/channels-last",
	pathDwCLChanRem:        "depthwise/channels-last-block-remainder",
	pathDwCLPhases:         "depthwise/channels-last-phases",
	pathDwCLShort:          "depthwise/channels-last-short",
	pathDeconvBlkBias:      "deconv-blocked/bias-only-phase",
	pathDeconvBlkKRem:      "deconv-blocked/k-block-remainder",
	pathDeconvBlkOCRem:     "deconv-blocked/oc-block-remainder",
	pathDeconvBlkTail:      "deconv-blocked/flat-tile-tail",
	pathDeformChunks:       "deform/k-chunks",
	pathBlockedOneK:        "blocked/one-k-block",
	pathDeconvRowsBias:     "deconv-rows/bias-only-phase",
	pathDeconvRowsChunks:   "deconv-rows/k-chunks",
	pathDeconvRowsGroups:   "deconv-rows/segment-groups",
	pathDeconvRowsScatter2: "deconv-rows/stride2-scatter",
	pathDeconvRowsZip:      "deconv-rows/stride2-zip",
	pathRowsNarrow:         "rows/narrow-row",
	pathRows16:             "rows/16-channel-blocks",
	pathRowsShort:          "rows/short-last-segment",
	pathRowsOCRem:          "rows/oc-block-remainder",
	pathRowsChunks:         "rows/k-chunks",
	pathRowsGroups:         "rows/segment-groups",
	pathRowsOwnPlanes:      "rows/own-planes",
	pathDeconvRowsOwn:      "deconv-rows/own-volume",
	pathDeconvRowsOwn3D:    "deconv-rows/own-volume-3d",
	pathBlockedFillSplit2:  "blocked/fill-split2",
	pathBlockedFillGather2: "blocked/fill-gather2",
}

var pathHits [numPaths]atomic.Int64

// pathCounting turns the counters on: they are for tests, which call
// ResetPathHits before they read them, and off until then. Their atomic
// adds in the row loops cost MobileNet's depthwise layers 3% on one
// worker and 8% on two (whose adds contend for the counters' cache lines),
// conv layers 0.2–1% (interleaved calls, paired ratios).
var pathCounting atomic.Bool

// hit counts one pass through path p.
func hit(p path) {
	if pathCounting.Load() {
		pathHits[p].Add(1)
	}
}

// hitIf counts p when ok.
func hitIf(ok bool, p path) {
	if ok && pathCounting.Load() {
		pathHits[p].Add(1)
	}
}

// PathsOff lists, by name, the counted paths this machine's kernels never
// take, so that a demand for every path leaves them out: the GEMM's fused
// bias where the CPU has no assembly add for it (AVX-512 or AVX2), and on
// a machine whose depthwise row kernel is AVX2 assembly, depthwise's own
// paths (dwOwnKernels), whose kernels are AVX-512 or Go, but for dw3x3 at
// stride 2 (dw3x3AVX2). The tests of those paths switch them on
// (dwForceOwn) and check them there too.
func PathsOff() []string {
	var off []path
	if !gemm.BiasFused() {
		off = append(off, pathGemmBiasPerTile)
	}
	if !dwOwnKernels() {
		off = append(off, pathDwS1, pathDwS1Tail, pathDwCL, pathDwCLChanRem, pathDwCLPhases, pathDwCLShort)
		if !dw3x3AVX2(2, 8) {
			off = append(off, pathDwS2, pathDwS2Tail)
		}
	}
	names := make([]string, len(off))
	for i, p := range off {
		names[i] = pathNames[p]
	}
	return names
}

// PathHits returns, for every counted code path by name, how often it was
// taken since the process started or the last ResetPathHits (0 for a path
// never taken: every name is present).
func PathHits() map[string]int64 {
	m := make(map[string]int64, numPaths)
	for i := range pathHits {
		m[pathNames[i]] = pathHits[i].Load()
	}
	return m
}

// ResetPathHits sets every path counter to 0, forgets the combinations,
// and turns counting on (for tests: a process counts no path before its
// first ResetPathHits, see pathCounting).
func ResetPathHits() {
	for i := range pathHits {
		pathHits[i].Store(0)
	}
	combos.mu.Lock()
	combos.hits = map[comboKey]int64{}
	combos.mu.Unlock()
	pathCounting.Store(true)
}

// Features of a call that a path is counted under (PathCombos): a bug in a
// block remainder may show only in 3D, or only for the second image, or
// only when the tasks run on several goroutines; a path reached only in 2D
// with one image is not yet covered for those.
const (
	Feature1D        = "1d"
	Feature2D        = "2d"
	Feature3D        = "3d"
	FeatureBatch     = "batch"      // MB > 1
	FeatureWorkers   = "workers"    // workers > 1
	FeatureGroups    = "groups"     // G > 1
	FeatureDilStride = "dil+stride" // dilated and strided (any axes)
	FeatureDilated   = "dilated"    // some dilation > 1
	FeatureStrided   = "strided"    // some stride > 1
	FeatureOffsetDG  = "offset-groups"
	FeatureMask      = "mask"
)

// featureNames lists the features in the order of featureBits' bits.
var featureNames = []string{Feature1D, Feature2D, Feature3D, FeatureBatch, FeatureWorkers, FeatureGroups,
	FeatureDilated, FeatureStrided, FeatureDilStride, FeatureOffsetDG, FeatureMask}

// featureBits is the set of features of a call on p with workers
// goroutines, bit i for featureNames[i] (no allocation: it is computed on
// every variant call).
func featureBits(p *conv.Problem, workers int) uint32 {
	strided := false
	for _, a := range p.Axes() {
		strided = strided || p.S[a] > 1
	}
	var b uint32
	for i, ok := range [...]bool{p.Rank == 1, p.Rank == 2, p.Rank == 3, p.MB > 1, workers > 1, p.G > 1,
		p.IsDilated(), strided, p.IsDilated() && strided,
		p.Op == conv.OpDeform && p.DG > 1, p.Op == conv.OpDeform && p.Mask} {
		if ok {
			b |= 1 << i
		}
	}
	return b
}

// ProblemFeatures lists, sorted, the features of a call on p with workers
// goroutines.
func ProblemFeatures(p *conv.Problem, workers int) []string {
	return featureList(featureBits(p, workers))
}

func featureList(b uint32) []string {
	var f []string
	for i, name := range featureNames {
		if b&(1<<i) != 0 {
			f = append(f, name)
		}
	}
	sort.Strings(f)
	return f
}

type comboKey struct {
	path     path
	features uint32 // featureBits
}

var combos = struct {
	mu   sync.Mutex
	hits map[comboKey]int64
}{hits: map[comboKey]int64{}}

// countCombos runs run, a variant's call on p, and counts every path it
// took under the call's features. Paths taken by calls running at the same
// time in other goroutines would be counted too: the tests that read the
// combinations run one variant call at a time.
func countCombos(p *conv.Problem, workers int, run func() error) error {
	if !pathCounting.Load() {
		return run()
	}
	var before [numPaths]int64
	for i := range pathHits {
		before[i] = pathHits[i].Load()
	}
	err := run()
	key := featureBits(p, workers)
	combos.mu.Lock()
	defer combos.mu.Unlock()
	for i := range pathHits {
		if d := pathHits[i].Load() - before[i]; d > 0 {
			combos.hits[comboKey{path(i), key}] += d
		}
	}
	return err
}

// PathCombos returns, per path name, how often it was taken under each
// combination of features (ProblemFeatures joined by spaces).
func PathCombos() map[string]map[string]int64 {
	combos.mu.Lock()
	defer combos.mu.Unlock()
	m := map[string]map[string]int64{}
	for k, n := range combos.hits {
		name := pathNames[k.path]
		if m[name] == nil {
			m[name] = map[string]int64{}
		}
		m[name][strings.Join(featureList(k.features), " ")] += n
	}
	return m
}

// PathHitsWith returns how often the named path was taken in calls that
// had every one of features.
func PathHitsWith(name string, features ...string) int64 {
	var n int64
	for combo, c := range PathCombos()[name] {
		have := strings.Fields(combo)
		ok := true
		for _, f := range features {
			ok = ok && contains(have, f)
		}
		if ok {
			n += c
		}
	}
	return n
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// gemmUnits is the padding granule along C's rows (m) and columns (n) of
// the register tile gemm.Tile reports for an m×n×k product with the active
// kernel: (MR, NR), or (NR, MR) for a transposed tile, which runs over Cᵀ.
// GEMM tails are counted against it.
func gemmUnits(m, n, k int) (mu, nu int) {
	mr, nr, trans := gemm.Tile(m, n, k)
	if trans {
		return nr, mr
	}
	return mr, nr
}
