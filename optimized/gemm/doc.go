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
// edge of the matrix are packed as zeros, the micro-kernel writes such a tile to
// a scratch tile, and only its valid part is merged into C.
//
// The first KC block computes C = S₁ + beta·C (S₁ overwrites C when beta = 0);
// every later block computes C = S_b + C. Inside a block the kernel sums p in
// increasing order. So C[i,j] = ((beta·C + S₁) + S₂) + …, a fixed order that
// depends only on k and KC, never on the number of workers: workers split the
// rows (in multiples of MR) or the columns (in multiples of NR) of C, never k.
//
// # Kernels and blocks
//
// The micro-kernel is chosen at start-up (golang.org/x/sys/cpu), fastest first:
//
//	kernel    MR×NR  KC   MC   NC    accumulators
//	avx512    14×32  256  336  4096  Z0–Z27; B row in Z28–Z29; A by embedded broadcast (VFMADD231PS.BCST)
//	avx2       6×16  256  144  4096  Y0–Y11; B row in Y12–Y13; A by VBROADCASTSS into Y14–Y15
//	portable   2×4   256  128  4096  8 Go float32 locals (more spill to the stack)
//
// For avx512 a B micro-panel (KC·NR·4 B = 32 KiB) stays in the 48 KiB L1d
// while the A block (MC·KC·4 B = 336 KiB) sits in the 2 MiB L2 and the B
// block (KC·NC·4 B = 4 MiB) in L3. Packing is also vectorised there: full
// 14-row A panels are transposed 16×16 in registers, and the first MC block's
// kernel calls copy their B panel into the packed buffer while computing, so
// B is not read twice. Building with -tags noasm, or for another GOARCH,
// leaves only "portable". Kernels lists what this machine can run; SetKernel
// picks one, so that tests and benchmarks cover each.
//
// PackB packs B once for the active kernel; SgemmPacked then multiplies many
// A by it (a convolution's weights across a batch) with a bit-identical result.
//
// A Workspace holds one goroutine's packing buffers for callers that must not
// allocate per product (a prepared convolution): its Sgemm is the package's
// on one goroutine, bit for bit, and allocates nothing once Reserve (or an
// earlier product) has sized it.
//
// # Peak
//
// PeakProbe runs independent FMAs (24 Z accumulators, no memory operands), the
// ceiling a GEMM is judged against; BenchmarkPeak, BenchmarkKernel and
// BenchmarkSgemm report GFLOP/s (wall) and GFLOP/s-cpu (over process CPU
// time, steadier on a shared machine).
package gemm
