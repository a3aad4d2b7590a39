//go:build !noasm

package optimized

import "golang.org/x/sys/cpu"

// deformSampleAVX512 is deformSampleGo on 16 samples at a time (four
// gathers from one index vector), the tail under a mask; bit-identical to
// it (the same products and sums, no FMA).
//
//go:noescape
func deformSampleAVX512(dst, x *float32, ldx int, base *int32, w *float32, ws, n int)

var hasDeformAsm = cpu.X86.HasAVX512F

func deformSampleAsm(dst, x *float32, ldx int, base *int32, w *float32, ws, n int) {
	deformSampleAVX512(dst, x, ldx, base, w, ws, n)
}

// deformKernel names the sampler in use.
func deformKernel() string {
	if hasDeformAsm {
		return "avx512"
	}
	return "go"
}
