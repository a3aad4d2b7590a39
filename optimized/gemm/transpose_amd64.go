//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

// transpose16x16 is the AVX-512 block transpose (transpose_amd64.s).
//
//go:noescape
func transpose16x16(n int, dst *float32, ldd int, src *float32, lds int)

// transpose8x8AVX2 is the AVX2 block transpose (transpose_amd64.s): n 8×8
// blocks side by side.
//
//go:noescape
func transpose8x8AVX2(n int, dst *float32, ldd int, src *float32, lds int)

func init() {
	if cpu.X86.HasAVX2 {
		// a 16×16 block is two rows of 8×8 blocks: rows 0–7 of src to
		// columns 0–7 of dst, rows 8–15 to columns 8–15
		transposeBlocksAVX2 = func(n int, dst []float32, ldd int, src []float32, lds int) {
			_ = src[15*lds+16*n-1]
			_ = dst[(16*n-1)*ldd+15]
			transpose8x8AVX2(2*n, &dst[0], ldd, &src[0], lds)
			transpose8x8AVX2(2*n, &dst[8], ldd, &src[8*lds], lds)
		}
		transposeBlocks = transposeBlocksAVX2
	}
	if cpu.X86.HasAVX512F {
		transposeBlocks = func(n int, dst []float32, ldd int, src []float32, lds int) {
			_ = src[15*lds+16*n-1]
			_ = dst[(16*n-1)*ldd+15]
			transpose16x16(n, &dst[0], ldd, &src[0], lds)
		}
	}
}
