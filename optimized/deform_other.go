//go:build noasm || !amd64

package optimized

const hasDeformAsm = false

func deformSampleAsm(dst, x *float32, ldx int, base *int32, w *float32, ws, n int) {
	panic("unreachable")
}

// deformKernel names the sampler in use.
func deformKernel() string { return "go" }
