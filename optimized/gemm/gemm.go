// Package gemm is convverify's packed, cache-blocked float32 matrix multiply.
//
//	C = A·B + beta·C,  A m×k, B k×n, C m×n, all row-major with leading dimensions lda, ldb, ldc.
//
// The micro-kernel is Go assembly (AVX-512, else AVX2+FMA) picked at run time,
// with a pure-Go kernel on other CPUs and under -tags noasm.
package gemm

// Sgemm computes C = A·B + beta·C using up to workers goroutines (workers ≤ 1
// runs on the calling goroutine). The result does not depend on workers: each
// element of C is summed in the same order whatever the split.
//
// STUB: naive loop until the packed kernel lands.
func Sgemm(workers, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += a[i*lda+p] * b[p*ldb+j]
			}
			if beta == 0 {
				c[i*ldc+j] = s
			} else {
				c[i*ldc+j] = s + beta*c[i*ldc+j]
			}
		}
	}
}

// Kernel names the micro-kernel that Sgemm runs on this machine: "avx512", "avx2" or "portable".
func Kernel() string { return "portable" }
