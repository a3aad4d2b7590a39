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

// conv1d is an implicit-GEMM B for a 1-D convolution with kernel width kw
// over one input channel x: B[p, j] = x[j+p] (k = kw rows, n = len(x)-kw+1
// output positions), packed panel by panel straight from x, no im2col.
type conv1d struct {
	x      []float32
	kw, nj int
}

func (c conv1d) PackPanel(dst []float32, pc, kc, j0, nr int) {
	for p := range kc {
		for j := range nr {
			v := float32(0)
			if j0+j < c.nj {
				v = c.x[j0+j+pc+p]
			}
			dst[p*nr+j] = v
		}
	}
}

// A 1-D convolution as C = W·B with B supplied by a BPanels and the
// weights W (2 filters of width 3) packed once by PackA.
func ExampleWorkspace_SgemmPackedAPanels() {
	x := []float32{1, 2, 3, 4, 5, 6}
	w := []float32{
		1, 0, -1, // a difference filter
		1, 1, 1, // a box filter
	}
	src := conv1d{x: x, kw: 3, nj: len(x) - 3 + 1}
	pw := gemm.PackA(2, 3, w, 3)
	var ws gemm.Workspace
	c := make([]float32, 2*src.nj)
	ws.SgemmPackedAPanels(pw, src.nj, src, 0, c, src.nj)
	fmt.Println(c[:src.nj])
	fmt.Println(c[src.nj:])
	// Output:
	// [-2 -2 -2 -2]
	// [6 9 12 15]
}
