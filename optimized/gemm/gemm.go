package gemm

// Argument errors, named as in gonum/blas: Sgemm panics with one of these,
// since a wrong dimension is a programming error that no caller can recover from.
const (
	errNegDim     = "gemm: m, n or k < 0"
	errShortLdA   = "gemm: lda < max(1, k)"
	errShortLdB   = "gemm: ldb < max(1, n)"
	errShortLdC   = "gemm: ldc < max(1, n)"
	errShortA     = "gemm: len(a) < (m-1)·lda + k"
	errShortB     = "gemm: len(b) < (k-1)·ldb + n"
	errShortBias  = "gemm: len(bias) < m"
	errShortC     = "gemm: len(c) < (m-1)·ldc + n"
	errPackedNil  = "gemm: nil *PackedB"
	errPanelsNil  = "gemm: nil BPanels"
	errPackedANil = "gemm: nil *PackedA"
)

// Sgemm computes C = A·B + beta·C, A m×k, B k×n, C m×n, all row-major with
// leading dimensions lda, ldb, ldc, using up to workers goroutines (workers ≤ 1
// runs on the calling goroutine). With beta = 0, C is overwritten without being
// read. Only C[i, 0:n] of each row is written; the padding columns up to ldc
// are not touched.
//
// The result does not depend on workers: workers split only the rows or the
// columns of C (on tile boundaries), never k, so every C[i,j] is summed in the
// same order whatever the split (see the package doc).
func Sgemm(workers, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkAC(m, n, k, a, lda, c, ldc)
	if ldb < max(1, n) {
		panic(errShortLdB)
	}
	if k > 0 && n > 0 && len(b) < (k-1)*ldb+n {
		panic(errShortB)
	}
	sgemm(choose(active(), m, n, k), workers, m, n, k, a, lda, rawB{b: b, ldb: ldb}, beta, c, ldc)
}

// sgemm is Sgemm after argument checks, with the kernel and the source of B given.
func sgemm(kern *kernel, workers, m, n, k int, a []float32, lda int, bs bSource, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	run(kern, workers, m, n, k, aSrc{a: a, lda: lda}, bs, beta, c, ldc)
}

func checkAC(m, n, k int, a []float32, lda int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(errNegDim)
	}
	if lda < max(1, k) {
		panic(errShortLdA)
	}
	if ldc < max(1, n) {
		panic(errShortLdC)
	}
	if m > 0 && k > 0 && len(a) < (m-1)*lda+k {
		panic(errShortA)
	}
	if m > 0 && n > 0 && len(c) < (m-1)*ldc+n {
		panic(errShortC)
	}
}

// scale sets C = beta·C, writing zeros when beta = 0 (so NaN in C is cleared).
func scale(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
