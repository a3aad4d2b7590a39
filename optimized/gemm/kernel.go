package gemm

import (
	"fmt"
	"sync/atomic"
)

// kernel is a micro-kernel with its register tile and cache blocks.
type kernel struct {
	name       string
	mr, nr     int // register tile: C rows × C columns per micro-kernel call
	kc, mc, nc int // cache blocks; mc is a multiple of mr, nc of nr

	// micro computes the mr×nr tile S[i,j] = Σ_{p<kc} a[p·mr+i]·b[p·nr+j], p
	// ascending, and stores c[i·ldc+j] = S (accum false) or S + beta·c (accum true).
	micro func(kc int, a, b, c []float32, ldc int, beta float32, accum bool)

	// microPack, if not nil, is micro that also packs its B panel: it reads
	// B row p from bsrc[p·ldb : p·ldb+nr] and stores it to b[p·nr:] as it goes.
	microPack func(kc int, a, bsrc []float32, ldb int, b, c []float32, ldc int, beta float32, accum bool)

	// microHalf, if not nil, is micro restricted to the left nr/2 columns
	// (reading the first nr/2 of each panel row, writing nr/2 columns of
	// C, the same operations per element): for a last panel with at most
	// nr/2 real columns, which the full tile would compute half in vain.
	microHalf func(kc int, a, b, c []float32, ldc int, beta float32, accum bool)

	// microRows, if not nil, is micro restricted to the first rows rows
	// (0 < rows < mr): it reads the same panels, writes only those rows of
	// C, and gives each element the same operations as micro, so the same
	// bits. It serves the last row panel of a product whose m is not a
	// multiple of mr, which the full tile would compute partly in vain and
	// through a scratch copy (m = 64 on the 14-row tile: 6 of 70 rows).
	microRows func(rows, kc int, a, b, c []float32, ldc int, beta float32, accum bool)

	// microN, if not nil, is micro over n ≥ 1 tiles down one B panel (kc
	// ≥ 1): tile t reads the A panel a[t·kc·mr:] and writes C rows
	// t·mr…t·mr+mr−1, each as micro would. macro runs a block's full
	// tiles of a panel in one call: with a short k (a 1×1 convolution of
	// 32 input channels) the Go call and checks per tile cost a tenth.
	microN func(n, kc int, a, b, c []float32, ldc int, beta float32, accum bool)

	// aOuter makes macro run the tiles of a block row panel by row panel
	// (A micro-panel outside, B micro-panels inside): for tiles whose B
	// micro-panel (KC·NR floats) does not fit L1 beside the rest, so the A
	// micro-panel stays in L1 and the B panels stream from L2.
	aOuter bool

	// eff is the tile's measured Sgemm speed per padded flop relative to
	// its family's first (BenchmarkSgemmConvTiles); choose weighs padded
	// work by it. effBigB, if not 0, replaces it when B is larger than
	// bigB bytes.
	eff, effBigB float64

	// shapes, on a family's first kernel (the one Kernels names), lists
	// every tile of the family, itself first; choose picks one per product.
	// Every tile of a family sums in the same order (p ascending within a
	// KC block, with the same KC, merging S + beta·C by one fused
	// multiply-add inside the kernel), so a product's bits do not depend
	// on the tile chosen.
	shapes []*kernel

	// trans marks a transposed tile: the product runs as Cᵀ = Bᵀ·Aᵀ with
	// this tile over Cᵀ (trans.go); choose weighs it by ⌈n/MR⌉·⌈m/NR⌉.
	trans bool
}

// choose returns the tile of family fam that does the least padded work
// for an m×n×k product: ⌈m/MR⌉·MR·⌈n/NR⌉·NR, divided by the tile's
// measured efficiency; on a tie the earlier tile. It depends on m, n and
// k only, never on the number of workers.
func choose(fam *kernel, m, n, k int) *kernel {
	if len(fam.shapes) == 0 {
		return fam
	}
	best, bestCost := fam, 0.0
	for i, s := range fam.shapes {
		if cost := tileCost(s, m, n, k); i == 0 || cost < bestCost {
			best, bestCost = s, cost
		}
	}
	return best
}

// tileCost is choose's measure of tile s on an m×n×k product: padded work
// over efficiency, times tPenalty for a transposed tile.
func tileCost(s *kernel, m, n, k int) float64 {
	eff := s.efficiency()
	if s.effBigB != 0 && 4*k*n > bigB {
		eff = s.effBigB
	}
	if s.trans {
		return float64(ceilTo(n, s.mr)) * float64(ceilTo(m, s.nr)) / eff * tPenalty
	}
	return float64(ceilTo(m, s.mr)) * float64(ceilTo(n, s.nr)) / eff
}

func (k *kernel) efficiency() float64 {
	if k.eff == 0 {
		return 1
	}
	return k.eff
}

// bigB is the size of B (bytes) past which effBigB applies: beyond the
// 14×32 tile's B block (KC·NC·4 B = 4 MiB), B is not expected in cache, and
// its fused packing, reading B rows a page or more apart, waits on memory
// (BenchmarkSgemmConvTiles, m = 64, n = 3136, k = 576: 45–60 GFLOP/s where
// the 8×48 tile, packing B row-contiguously, ran 66–94).
const bigB = 4 << 20

// ceilTo rounds x up to a multiple of r.
func ceilTo(x, r int) int { return (x + r - 1) / r * r }

// family returns the tiles of fam: its shapes, or fam alone.
func family(fam *kernel) []*kernel {
	if len(fam.shapes) == 0 {
		return []*kernel{fam}
	}
	return fam.shapes
}

// kernels holds the kernels this machine can run, fastest first; the
// architecture files prepend theirs in init.
var kernels = []*kernel{portable}

var current atomic.Pointer[kernel]

func active() *kernel {
	if k := current.Load(); k != nil {
		return k
	}
	return kernels[0]
}

// Kernel names the micro-kernel that Sgemm runs: "avx512", "avx2" or "portable".
func Kernel() string { return active().name }

// Kernels names every micro-kernel this machine and build can run, fastest first.
func Kernels() []string {
	names := make([]string, len(kernels))
	for i, k := range kernels {
		names[i] = k.name
	}
	return names
}

// SetKernel makes Sgemm and PackB use the named kernel (one of Kernels()).
// It exists for tests and benchmarks; the default is the fastest.
func SetKernel(name string) error {
	for _, k := range kernels {
		if k.name == name {
			current.Store(k)
			return nil
		}
	}
	return fmt.Errorf("gemm: SetKernel: kernel %q not available here (have %v)", name, Kernels())
}

func findKernel(name string) *kernel {
	for _, k := range kernels {
		if k.name == name {
			return k
		}
	}
	return nil
}

// Tile names the register tile Sgemm (and the Workspace and panel entry
// points) run for an m×n×k product with the active kernel: mr×nr over C,
// or, when transposed, over Cᵀ (mr along n, nr along m). A caller that
// counts padded work (edge tiles) asks here rather than assuming one tile
// per kernel.
func Tile(m, n, k int) (mr, nr int, transposed bool) {
	t := choose(active(), max(m, 1), max(n, 1), max(k, 1))
	return t.mr, t.nr, t.trans
}
