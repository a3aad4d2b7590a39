//go:build !noasm

package optimized

import "golang.org/x/sys/cpu"

// mixF64x16 and sumF64x16 are mix_amd64.s.
//
//go:noescape
func mixF64x16(dst, src *float32, n, size int, alpha *float64, e int)

//go:noescape
func sumF64x16(x *float32, n int, lanes *[16]float64)

//go:noescape
func mixF64x16AVX2(dst, src *float32, n, size int, alpha *float64, e int)

//go:noescape
func sumF64x16AVX2(x *float32, n int, lanes *[16]float64)

// hasMixAsm and hasMixAVX2 say which kernels run: AVX-512, else AVX2
// (the same operations in the same order, so the same bits); variables
// so that a test can run each the machine has.
var (
	hasMixAsm  = cpu.X86.HasAVX512F
	hasMixAVX2 = cpu.X86.HasAVX2
)

// mixAsm mixes dst's first n16 (a multiple of 16) entries with the
// assembly and returns how many it did: 0 without AVX-512 or AVX2.
func mixAsm(dst, src []float32, size int, alpha []float64) int {
	n16 := len(dst) &^ 15
	if !hasMixAsm && !hasMixAVX2 || n16 == 0 || len(alpha) == 0 {
		return 0
	}
	_ = src[(len(alpha)-1)*size+n16-1]
	if hasMixAsm {
		mixF64x16(&dst[0], &src[0], n16, size, &alpha[0], len(alpha))
	} else {
		mixF64x16AVX2(&dst[0], &src[0], n16, size, &alpha[0], len(alpha))
	}
	return n16
}

// sumAsm returns Σ x[:n16] (n16 = len(x) rounded down to 16) in float64
// and n16; 0, 0 without AVX-512 or AVX2.
func sumAsm(x []float32) (float64, int) {
	n16 := len(x) &^ 15
	if !hasMixAsm && !hasMixAVX2 || n16 == 0 {
		return 0, 0
	}
	var lanes [16]float64
	if hasMixAsm {
		sumF64x16(&x[0], n16, &lanes)
	} else {
		sumF64x16AVX2(&x[0], n16, &lanes)
	}
	var s float64
	for _, v := range lanes {
		s += v
	}
	return s, n16
}
