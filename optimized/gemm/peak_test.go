package gemm

import (
	"slices"
	"testing"
)

// TestPeakProbe only checks that the probes run and name a known unit; their
// speed is BenchmarkPeak's business.
func TestPeakProbe(t *testing.T) {
	if u := PeakUnit(); !slices.Contains([]string{"avx512", "avx2", "portable"}, u) {
		t.Fatalf("PeakUnit() = %q", u)
	}
	if PeakUnit() != Kernels()[0] {
		t.Errorf("PeakUnit() = %q but the fastest kernel is %q", PeakUnit(), Kernels()[0])
	}
	for _, iters := range []int{-1, 0, 1, 3} {
		PeakProbe(iters)
		PeakProbeAVX2(iters)
	}
}
