package bench

import (
	"sync"
	"testing"

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
