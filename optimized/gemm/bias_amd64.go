//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

// addBiasRowsAVX512 is addBiasRows in assembly (bias_amd64.s).
//
//go:noescape
func addBiasRowsAVX512(c *float32, ldc int, bias *float32, rows, cols int)

// addBiasRowsAVX2 is addBiasRows in AVX2 assembly (bias_amd64.s).
//
//go:noescape
func addBiasRowsAVX2(c *float32, ldc int, bias *float32, rows, cols int)

func init() {
	switch {
	case cpu.X86.HasAVX512F:
		addBiasRowsAsm = func(c []float32, ldc int, bias []float32, rows, cols int) {
			addBiasRowsAVX512(&c[0], ldc, &bias[0], rows, cols)
		}
	case cpu.X86.HasAVX2:
		addBiasRowsAsm = func(c []float32, ldc int, bias []float32, rows, cols int) {
			addBiasRowsAVX2(&c[0], ldc, &bias[0], rows, cols)
		}
	}
}
