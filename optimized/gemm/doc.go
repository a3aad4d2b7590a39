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
// # Kernels
//
// The micro-kernel is chosen at start-up: "avx512" (14×32, Go assembly, 28 Z
// accumulators), else "avx2" (6×16, Go assembly with FMA), else "portable"
// (pure Go). Building with -tags noasm, or for another GOARCH, leaves only
// "portable". Kernels lists what this machine can run, and SetKernel picks
// one, so tests and benchmarks can cover each.
package gemm
