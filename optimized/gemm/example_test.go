package gemm_test

import (
	"fmt"

	"github.com/convverify/convverify/optimized/gemm"
)

// C = A·B + beta·C with A 2×3, B 3×2; beta = 0 overwrites C, even NaN.
func ExampleSgemm() {
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{
		7, 8,
		9, 10,
		11, 12,
	}
	c := make([]float32, 4)
	gemm.Sgemm(1, 2, 2, 3, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [58 64 139 154]
}
