//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

//go:noescape
func packA14(chunks int, src *float32, lda int, dst *float32)

//go:noescape
func packA48(chunks int, src *float32, lda int, dst *float32)

//go:noescape
func copyRows48(rows int, src *float32, ldb int, dst *float32)

//go:noescape
func copyRows16AVX(rows int, src *float32, ldb int, dst *float32)

func init() {
	if cpu.X86.HasAVX {
		copy16 = func(rows int, src []float32, ldb int, dst []float32) {
			_ = src[(rows-1)*ldb+15]
			_ = dst[rows*16-1]
			copyRows16AVX(rows, &src[0], ldb, &dst[0])
		}
	}
	if cpu.X86.HasAVX512F {
		packFull14 = func(chunks int, src []float32, lda int, dst []float32) {
			_ = src[13*lda+16*chunks-1]
			_ = dst[14*16*chunks-1]
			packA14(chunks, &src[0], lda, &dst[0])
		}
		copy48 = func(rows int, src []float32, ldb int, dst []float32) {
			_ = src[(rows-1)*ldb+47]
			_ = dst[rows*48-1]
			copyRows48(rows, &src[0], ldb, &dst[0])
		}
		packFull48 = func(chunks int, src []float32, lda int, dst []float32) {
			_ = src[47*lda+16*chunks-1]
			_ = dst[48*16*chunks-1]
			packA48(chunks, &src[0], lda, &dst[0])
		}
	}
}
