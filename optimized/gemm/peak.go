package gemm

// PeakFlopsPerIter is the floating-point operations one iteration of
// PeakProbe or PeakProbeAVX2 performs: 24 independent 16-lane FMAs (or 48
// 8-lane ones), each a multiply and an add: 24·16·2 = 768.
const PeakFlopsPerIter = 768

// PeakProbe runs iters iterations of PeakFlopsPerIter flops of independent
// FMAs with no memory traffic, on the widest vector unit available (AVX-512,
// else AVX2, else scalar Go), the way a C loop of _mm512_fmadd_ps measures
// a core's peak. Timing it gives the ceiling against which Sgemm is judged.
func PeakProbe(iters int) { peakProbe(iters) }

// PeakProbeAVX2 is PeakProbe on 8-lane FMAs (12 independent Y accumulators),
// or scalar Go where AVX2+FMA is missing.
func PeakProbeAVX2(iters int) { peakProbeAVX2(iters) }

// PeakUnit names what PeakProbe runs on: "avx512", "avx2" or "portable".
func PeakUnit() string { return peakUnit() }

var peakSink float32

// peakGo is the portable probe: 384 independent float32 multiply-adds per iteration.
func peakGo(iters int) {
	var acc [PeakFlopsPerIter / 2]float32
	x, y := float32(0.5), float32(0.25)
	for range iters {
		for i := range acc {
			acc[i] = acc[i]*x + y
		}
	}
	peakSink = acc[0]
}
