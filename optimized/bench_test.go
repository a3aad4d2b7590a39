package optimized

import (
	"runtime"
	"testing"
)

// BenchmarkConv times every registered variant on every benchmark layer it
// supports, with GOMAXPROCS workers (so -cpu 1 is one worker), and reports
// GFLOP/s from p.FLOPs() (dense count, every tap).
//
//	go test ./optimized -run '^$' -bench Conv -cpu 1 -count 5
func BenchmarkConv(b *testing.B) {
	b.Logf("gemm kernel: %s, row kernel: %s", Kernel(), multiTapKernel())
	for _, bp := range BenchProblems() {
		p := bp.Problem
		in := BenchInputs(&p, 1)
		for _, v := range All() {
			if v.Supports(&p) != nil {
				continue
			}
			b.Run(BenchName(v, bp), func(b *testing.B) {
				out := make([]float32, dstLen(&p))
				workers := runtime.GOMAXPROCS(0)
				if err := v.Run(&p, in, out, workers); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				cpu0 := cpuTime()
				for b.Loop() {
					if err := v.Run(&p, in, out, workers); err != nil {
						b.Fatal(err)
					}
				}
				flops := float64(p.FLOPs()) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if cpu := cpuTime() - cpu0; cpu > 0 {
					// Over process CPU time: meaningful at -cpu 1 (one worker).
					b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/s-cpu")
				}
			})
		}
	}
}
