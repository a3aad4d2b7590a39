// Package gemm is convverify's packed, cache-blocked float32 matrix multiply:
//
//	C = A·B + beta·C,  A m×k, B k×n, C m×n,
//
// all row-major: A[i,p] = a[i·lda+p], B[p,j] = b[p·ldb+j], C[i,j] = c[i·ldc+j].
// When beta = 0, C is only written, never read, so NaN in C does not propagate.
//
// # Blocking (GotoBLAS / BLIS)
//
// Each kernel has a register tile MR×NR and cache blocks KC, MC, NC:
//
//	for jc over n in steps of NC:             B block KC×NC lives in L3
//	  for pc over k in steps of KC:           pack B[pc:pc+KC, jc:jc+NC] into NR-column panels
//	    for ic over m in steps of MC:         pack A[ic:ic+MC, pc:pc+KC] into MR-row panels (L2)
//	      for jr over the block in steps of NR:   B micro-panel KC×NR stays in L1
//	        for ir over the block in steps of MR:
//	          C[ir:ir+MR, jr:jr+NR] (+)= Apanel·Bpanel   (micro-kernel)
//
// A packed A panel stores, for p = 0…KC−1, the MR values A[ir+i, pc+p]; a packed B
// panel stores, for each p, the NR values B[pc+p, jr+j]. Rows or columns past the
// edge of the matrix are packed as zeros; an edge tile runs on a scratch tile
// into which its valid part of C was copied, and only that part is copied back.
//
// The first KC block computes C = S₁ + beta·C (S₁ overwrites C when beta = 0);
// every later block computes C = S_b + C. Inside a block the kernel sums p in
// increasing order with fused multiply-adds from zero, and merges S + beta·C
// with one more fused multiply-add, inside and at the edges alike. So C[i,j] =
// ((beta·C + S₁) + S₂) + …, a fixed order that depends only on k and KC,
// never on the number of workers (they split the rows, in multiples of MR,
// or the columns, in multiples of NR, of C, never k) and not on which tile of
// a kernel family runs the product: every tile of a family gives the same bits.
//
// Kernels whose B micro-panel fills L1 (the 48-wide ones) run the tiles of a
// block row panel by row panel instead (aOuter): the A micro-panel stays in
// L1 and the B panels stream from a B block sized for L2.
//
// # Kernels and blocks
//
// The kernel family is chosen at start-up (golang.org/x/sys/cpu), fastest
// first; within the avx512 family a tile is chosen per product:
//
//	kernel        MR×NR  KC   MC   NC    accumulators
//	avx512        14×32  256  336  4096  Z0–Z27; B row in Z28–Z29; A by embedded broadcast (VFMADD231PS.BCST)
//	avx512-8x48    8×48  256  192  1008  Z0–Z23; B row in Z24–Z26; A by VBROADCASTSS into Z27–Z30 (11 loads / 24 FMAs); aOuter
//	avx512-7x48    7×48  256  168  1008  Z0–Z20; as 8×48
//	…-7x48ᵀ, …-8x48ᵀ    the 48-wide tiles over Cᵀ = Bᵀ·Aᵀ (see below)
//	avx2           6×16  256  144  4096  Y0–Y11; B row in Y12–Y13; A by VBROADCASTSS into Y14–Y15
//	portable       2×4   256  128  4096  8 Go float32 locals (more spill to the stack)
//
// For the 14×32 tile a B micro-panel (KC·NR·4 B = 32 KiB) stays in the
// 48 KiB L1d while the A block (MC·KC·4 B = 336 KiB) sits in the 2 MiB L2
// and the B block (KC·NC·4 B = 4 MiB) in L3; its first MC block's kernel
// calls copy their B panel into the packed buffer while computing, so B is
// not read twice. The 48-wide tiles keep their 7–8 KiB A micro-panel in L1
// and their B block (1 MiB) in L2; they prefetch the B panel a few rows
// ahead and run k four steps per iteration (they were measured faster
// with B packed in a separate pass, row-contiguous, than fused). Full 14-
// and 48-row A panels are transposed 16×16 in registers.
//
// The tile is the one with the least padded work, ⌈m/MR⌉·MR·⌈n/NR⌉·NR,
// divided by its efficiency: GFLOP/s per padded flop relative to 14×32,
// measured by BenchmarkSgemmConvTiles (0.9 for the 48-wide tiles, whose B is
// packed in a separate pass; 0.8 for 14×32 once B exceeds 4 MiB and its
// fused packing waits on memory). It is a rule of m, n and k only (Tile
// reports it): conv weights with 16 or 32 output channels run on 8×48 without
// padding where 14×32 computed 28 or 42 rows. (A 16×16 tile, tried, ran at
// 0.75–0.85 of 8×48 and is not kept; nor is 14×32ᵀ, at 0.76 of 7×48ᵀ.)
//
// A transposed tile runs Cᵀ = Bᵀ·Aᵀ: its A panels are B's columns, its B
// panels A's rows, and Cᵀ is a scratch block padded to whole tiles that
// holds beta·Cᵀ on entry and is transposed into C at the end; its padded
// work ⌈n/MR⌉·MR·⌈m/NR⌉·NR is weighed by 1.1 for those transposes. So a
// deep layer's 7×7 plane (n = 49) runs on 7×48ᵀ with no padding where
// 14×32 padded 49 columns to 64. A caller that blocks m itself (output
// channels per task) pads least with blocks that are multiples of the M
// unit Tile reports: MR, or NR when transposed.
//
// Building with -tags noasm, or for another GOARCH, leaves only "portable".
// Kernels lists the families this machine can run; SetKernel picks one, so
// that tests and benchmarks cover each (the tests reach every tile).
//
// PackB packs B once for the active kernel; SgemmPacked then multiplies many
// A by it with a bit-identical result. PackA packs A (a convolution's
// weights) once, for the tile that pads m least; SgemmPackedA,
// Workspace.SgemmPackedA and Workspace.SgemmPackedAPanels multiply it by
// many B, bit-identical to Sgemm, on the tile Sgemm would choose (when its
// panels have another height, the PackedA is repacked for it once, on first
// use, and keeps that layout).
//
// A Workspace holds one goroutine's packing buffers for callers that must not
// allocate per product (a prepared convolution): its Sgemm is the package's
// on one goroutine, bit for bit, and allocates nothing once Reserve (or an
// earlier product) has sized it. Workspace.SgemmPanels takes B as a BPanels,
// whose PackPanel writes one packed panel (KC rows × NR columns) at a time:
// an implicit-GEMM convolution packs B's panels straight from its input,
// with no im2col buffer.
//
// # Peak
//
// PeakProbe runs independent FMAs (24 Z accumulators, no memory operands), the
// ceiling a GEMM is judged against; BenchmarkPeak, BenchmarkKernel and
// BenchmarkSgemm report GFLOP/s (wall) and GFLOP/s-cpu (over process CPU
// time, steadier on a shared machine); the conv-shape benchmarks
// (BenchmarkSgemmConv, …Prepared, …Tiles) also report GFLOP/s-best, the
// rate of the fastest single product, the least disturbed on a busy one.
package gemm
