package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkPackA(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 4))
	for _, lda := range []int{1000, 1024} {
		b.Run(fmt.Sprintf("lda=%d", lda), func(b *testing.B) {
			a := randSlice(rng, 400*lda)
			dst := make([]float32, (336+14)*256)
			for b.Loop() {
				packA(dst, a, lda, 0, 336, 0, 256, 14)
			}
			b.ReportMetric(float64(336*256)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}

func BenchmarkPackB(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 6))
	for _, ldb := range []int{3136, 1024} {
		b.Run(fmt.Sprintf("ldb=%d", ldb), func(b *testing.B) {
			bm := randSlice(rng, 256*ldb)
			dst := make([]float32, (ldb+32)*256)
			cpu0 := cpuTime()
			for b.Loop() {
				packB(dst, bm, ldb, 0, 256, 0, ldb, 32)
			}
			b.ReportMetric(float64(256*ldb)*float64(b.N)/(cpuTime()-cpu0).Seconds()/1e9, "Gelem/s-cpu")
		})
	}
}
