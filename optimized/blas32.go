package optimized

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

// gonumBlock bounds each blas32.Gemm call to fewer than four 64×64 blocks of
// C, below which gonum's Sgemm stays on the calling goroutine (its parallel
// path would start GOMAXPROCS goroutines regardless of workers).
const gonumRows, gonumCols = 64, 192

// blas32Gemm computes C = A·B + beta·C with gonum's blas32.Gemm, in fixed
// row and column blocks (so results do not depend on how callers split work).
func blas32Gemm(_ *gemm.Workspace, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i0 := 0; i0 < m; i0 += gonumRows {
		mi := min(gonumRows, m-i0)
		for j0 := 0; j0 < n; j0 += gonumCols {
			nj := min(gonumCols, n-j0)
			am := blas32.General{Rows: mi, Cols: k, Stride: lda, Data: a[i0*lda : (i0+mi-1)*lda+k]}
			bm := blas32.General{Rows: k, Cols: nj, Stride: ldb, Data: b[j0 : (k-1)*ldb+j0+nj]}
			cm := blas32.General{Rows: mi, Cols: nj, Stride: ldc, Data: c[i0*ldc+j0 : (i0+mi-1)*ldc+j0+nj]}
			blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, am, bm, beta, cm)
		}
	}
}

func im2colBlas32Variant() rawVariant {
	return rawVariant{
		Variant: Variant{
			Name:     "im2col-blas32",
			Ops:      []conv.Op{conv.OpConv},
			Supports: func(p *conv.Problem) error { return nil },
			// C = 1: as im2col-gemm; gonum's Sgemm accumulates each dot product
			// in float32 over k (its k-blocks add partial sums into C, still a
			// sum of the same products with at most k roundings).
			BoundC:        1,
			Exact:         true,
			Deterministic: true,
		},
		prep: func(ex *executor, p *conv.Problem, w, b []float32) (runner, error) {
			c := newConvGemm(ex, p, w, b, blas32Gemm, true)
			return func(in conv.Inputs[float32], out []float32) { c.run(in.X, out) }, nil
		},
	}
}
