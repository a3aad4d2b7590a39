package gemm

import (
	"fmt"
	"sync/atomic"
)

// kernel is a micro-kernel with its register tile and cache blocks.
type kernel struct {
	name       string
	mr, nr     int // register tile: C rows × C columns per micro-kernel call
	kc, mc, nc int // cache blocks; mc is a multiple of mr, nc of nr

	// micro computes the mr×nr tile S[i,j] = Σ_{p<kc} a[p·mr+i]·b[p·nr+j], p
	// ascending, and stores c[i·ldc+j] = S (accum false) or S + beta·c (accum true).
	micro func(kc int, a, b, c []float32, ldc int, beta float32, accum bool)

	// microPack, if not nil, is micro that also packs its B panel: it reads
	// B row p from bsrc[p·ldb : p·ldb+nr] and stores it to b[p·nr:] as it goes.
	microPack func(kc int, a, bsrc []float32, ldb int, b, c []float32, ldc int, beta float32, accum bool)
}

// kernels holds the kernels this machine can run, fastest first; the
// architecture files prepend theirs in init.
var kernels = []*kernel{portable}

var current atomic.Pointer[kernel]

func active() *kernel {
	if k := current.Load(); k != nil {
		return k
	}
	return kernels[0]
}

// Kernel names the micro-kernel that Sgemm runs: "avx512", "avx2" or "portable".
func Kernel() string { return active().name }

// Kernels names every micro-kernel this machine and build can run, fastest first.
func Kernels() []string {
	names := make([]string, len(kernels))
	for i, k := range kernels {
		names[i] = k.name
	}
	return names
}

// SetKernel makes Sgemm and PackB use the named kernel (one of Kernels()).
// It exists for tests and benchmarks; the default is the fastest.
func SetKernel(name string) error {
	for _, k := range kernels {
		if k.name == name {
			current.Store(k)
			return nil
		}
	}
	return fmt.Errorf("gemm: SetKernel: kernel %q not available here (have %v)", name, Kernels())
}

func findKernel(name string) *kernel {
	for _, k := range kernels {
		if k.name == name {
			return k
		}
	}
	return nil
}
