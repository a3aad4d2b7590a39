//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

// transpose16x16 is the AVX-512 block transpose (transpose_amd64.s).
//
//go:noescape
func transpose16x16(n int, dst *float32, ldd int, src *float32, lds int)

func init() {
	if cpu.X86.HasAVX512F {
		transposeBlocks = func(n int, dst []float32, ldd int, src []float32, lds int) {
			_ = src[15*lds+16*n-1]
			_ = dst[(16*n-1)*ldd+15]
			transpose16x16(n, &dst[0], ldd, &src[0], lds)
		}
	}
}
