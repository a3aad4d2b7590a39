package bench

import (
	"sync"
	"testing"
	"time"

	"github.com/convverify/convverify/optimized/gemm"
)

// peakIters is the FMA probe's iterations per goroutine and op: 10⁶·768
// flops, about 3.6 ms at one AVX-512 core's rate. It was 10⁴ (0.1 ms), and
// on a 2-vCPU virtual machine the second goroutine of each op then began
// about 0.1 ms late (the hypervisor wakes its parked thread): the
// 2-goroutine probe read 1.3× the 1-goroutine one, and 2-worker layers
// passed "100 % of the peak". At 10⁶ it reads 1.96× there, so the start-up
// cost is negligible as intended.
const peakIters = 1000000

// capacity is the FMA probe once on workers goroutines at once (GFLOP/s
// over wall time), about 3.6 ms: Run takes it just before and just after
// every measurement, at the measurement's worker count, to see how many
// cores the machine lent while it ran.
//
// Why: the 2-vCPU development VM has periods, minutes long and with no
// steal reported, in which its two vCPUs together do one core's work
// (the hypervisor seems to place them on one physical core's two
// hardware threads). In one ResNet-50 v1.5 run every 2-worker layer took
// 1.8× as long in rounds 1–3 as in rounds 4–6, at 2.0 cores of CPU time
// (184 against 350 GFLOP/s on the 3×3 256→256 at 14²), so the network's
// 2-worker total read 1.44× one worker where the other networks of the
// same run read 1.78–1.80×. The probes before and after the whole run
// cannot see such a period; a probe beside each measurement does.
func capacity(workers int) float64 {
	start := time.Now()
	onEach(workers, func(int) { gemm.PeakProbe(peakIters) })
	return float64(workers) * peakIters * gemm.PeakFlopsPerIter / time.Since(start).Seconds() / 1e9
}

// copyBytes is the copy probe's buffer: larger than any last-level cache
// this suite runs on, so the copy streams from and to memory.
const copyBytes = 64 << 20

// peakBench times gemm.PeakProbe on workers goroutines at once: the FMA
// ceiling of as many cores as the workers can occupy (GFLOP/s over wall
// time). With more workers than cores they share the cores, as the
// variants' workers do.
func peakBench(workers int) func(b *testing.B) {
	return func(b *testing.B) {
		for b.Loop() {
			onEach(workers, func(int) { gemm.PeakProbe(peakIters) })
		}
		flops := float64(workers) * peakIters * gemm.PeakFlopsPerIter * float64(b.N)
		b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
}

// copyBench times copying a copyBytes buffer, split among workers
// goroutines: GB/s counts each byte read and each byte written, as a
// layer's minimal traffic (Layer.Bytes) does.
func copyBench(workers int) func(b *testing.B) {
	return func(b *testing.B) {
		src, dst := copyBuffers()
		chunk := (copyBytes + workers - 1) / workers
		part := func(s []byte, i int) []byte { return s[min(i*chunk, len(s)):min((i+1)*chunk, len(s))] }
		b.ResetTimer()
		for b.Loop() {
			onEach(workers, func(i int) { copy(part(dst, i), part(src, i)) })
		}
		b.ReportMetric(2*copyBytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	}
}

// copyBuffers are the copy probe's source and destination, allocated and
// touched once (so no page faults are timed) and kept for the process:
// testing.Benchmark calls a body several times per sample.
var copyBuffers = sync.OnceValues(func() ([]byte, []byte) {
	src, dst := make([]byte, copyBytes), make([]byte, copyBytes)
	for i := range src {
		src[i], dst[i] = byte(i), 1
	}
	return src, dst
})

// onEach runs f(0), …, f(n−1) on n goroutines and waits for them.
func onEach(n int, f func(i int)) {
	if n == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}
