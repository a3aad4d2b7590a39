package optimized

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

var printKernels sync.Once

// BenchmarkConv times every registered variant on every benchmark layer it
// supports, one-shot and then through a prepared plan (…/mode=plan), with
// GOMAXPROCS workers (so -cpu 1 is one worker):
//
//	go test ./optimized -run '^$' -bench Conv -cpu 1 -count 5
//
// One count per -cpu: a b.Loop benchmark measures in its first run, which
// testing starts before it sets GOMAXPROCS to the first count of a list,
// so with -cpu 1,2 the rows named for 1 measured the GOMAXPROCS the test
// phase left (2 workers).
func BenchmarkConv(b *testing.B) {
	// A "key: value" line is configuration in the Go benchmark format, so
	// benchstat and x/perf keep the kernels with the results.
	printKernels.Do(func() { fmt.Printf("conv-kernels: %s\n", KernelInfo()) })
	for _, bp := range BenchProblems() {
		for _, v := range All() {
			if v.Supports(&bp.Problem) != nil {
				continue
			}
			b.Run(BenchName(v, bp), BenchFunc(v, bp, runtime.GOMAXPROCS(0)))
			b.Run(BenchPlanName(v, bp), BenchPlanFunc(v, bp, runtime.GOMAXPROCS(0)))
		}
	}
}
