package optimized

import (
	"runtime"
	"testing"
)

// BenchmarkConv times every registered variant on every benchmark layer it
// supports, with GOMAXPROCS workers (so -cpu 1 is one worker):
//
//	go test ./optimized -run '^$' -bench Conv -cpu 1 -count 5
func BenchmarkConv(b *testing.B) {
	b.Logf("kernels: %s", KernelInfo())
	for _, bp := range BenchProblems() {
		for _, v := range All() {
			if v.Supports(&bp.Problem) != nil {
				continue
			}
			b.Run(BenchName(v, bp), BenchFunc(v, bp, runtime.GOMAXPROCS(0)))
		}
	}
}
