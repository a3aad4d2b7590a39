package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// reportGFLOPS reports GFLOP/s over wall time and, as GFLOP/s-cpu, over the
// process CPU time spent since cpu0 (meaningful for one worker at -cpu 1).
func reportGFLOPS(b *testing.B, flopsPerOp float64, cpu0 time.Duration) {
	flops := flopsPerOp * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/s-cpu")
	}
}

// reportBest reports GFLOP/s-best, the rate of the fastest single operation:
// on a shared machine the least disturbed run is the closest to what the
// code can do (use with -benchtime long enough for many operations).
func reportBest(b *testing.B, flopsPerOp float64, best time.Duration) {
	if best > 0 {
		b.ReportMetric(flopsPerOp/best.Seconds()/1e9, "GFLOP/s-best")
	}
}

// BenchmarkPeak times the FMA peak probes: the ceiling for BenchmarkSgemm.
func BenchmarkPeak(b *testing.B) {
	const iters = 10000
	probes := []struct {
		name string
		f    func(int)
	}{{PeakUnit(), PeakProbe}}
	if PeakUnit() == "avx512" {
		probes = append(probes, struct {
			name string
			f    func(int)
		}{"avx2", PeakProbeAVX2})
	}
	for _, p := range probes {
		b.Run("impl="+p.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				p.f(iters)
			}
			reportGFLOPS(b, iters*PeakFlopsPerIter, cpu0)
		})
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// BenchmarkSgemm times square C = A·B on one worker, per kernel and size.
func BenchmarkSgemm(b *testing.B) {
	defer SetKernel(Kernels()[0])
	rng := rand.New(rand.NewPCG(1, 1))
	for _, name := range Kernels() {
		for _, n := range []int{256, 512, 768, 1024} {
			b.Run(fmt.Sprintf("impl=%s/size=%d", name, n), func(b *testing.B) {
				if err := SetKernel(name); err != nil {
					b.Fatal(err)
				}
				x, y, z := randSlice(rng, n*n), randSlice(rng, n*n), make([]float32, n*n)
				cpu0 := cpuTime()
				for b.Loop() {
					Sgemm(1, n, n, n, x, n, y, n, 0, z, n)
				}
				reportGFLOPS(b, 2*float64(n)*float64(n)*float64(n), cpu0)
			})
		}
	}
}

// BenchmarkSgemmWorkers times the multi-goroutine split (run with -cpu 2).
func BenchmarkSgemmWorkers(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1024
	x, y, z := randSlice(rng, n*n), randSlice(rng, n*n), make([]float32, n*n)
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("impl=%s/size=%d/workers=%d", Kernel(), n, w), func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				Sgemm(w, n, n, n, x, n, y, n, 0, z, n)
			}
			reportGFLOPS(b, 2*n*n*n, cpu0)
		})
	}
}

// BenchmarkKernel times the micro-kernel alone on packed panels of KC steps
// that sit in L1, accumulating into one C tile.
func BenchmarkKernel(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 3))
	for _, kern := range allTiles() {
		if kern.trans {
			continue // the same micro-kernel as its direct twin
		}
		name := kern.name
		b.Run("impl="+name, func(b *testing.B) {
			ap := randSlice(rng, kern.kc*kern.mr)
			bp := randSlice(rng, kern.kc*kern.nr)
			c := make([]float32, kern.mr*kern.nr)
			cpu0 := cpuTime()
			for b.Loop() {
				kern.micro(kern.kc, ap, bp, c, kern.nr, 1, true)
			}
			reportGFLOPS(b, 2*float64(kern.kc*kern.mr*kern.nr), cpu0)
		})
	}
}

// BenchmarkSgemmConv times the shapes optimized's im2col convolution hands
// to Sgemm: weights (m = OC/G) × a column tile (k = IC/G·KH·KW, n = 512
// output positions), for resnet_50 3×3 and 1×1 layers, and one whole-image
// 7×7 plane. With small m each packed B element is used by few rows, so
// packing B is a large share of the work. convShapes adds whole-image
// products of the benchmark layers: resnet 3×3 (64×3136×576) and 1×1
// (64×3136×256), an 11×11 stem (oc 16, k = 16·11·11), a 3×3 with oc 32,
// and the deep 7×7-plane layers (n = 49).
var convShapes = [][3]int{{64, 512, 576}, {256, 512, 64}, {128, 512, 1152}, {512, 49, 4608},
	{64, 3136, 576}, {64, 3136, 256}, {16, 4096, 1936}, {32, 4096, 864}, {2048, 49, 512},
	{512, 196, 512}, {1024, 196, 256}, {256, 196, 1024}, {256, 3136, 64}, {128, 784, 512}, {512, 784, 128}}

func BenchmarkSgemmConv(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 5))
	for _, s := range convShapes {
		m, n, k := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("impl=%s/m=%d/n=%d/k=%d", Kernel(), m, n, k), func(b *testing.B) {
			x, y, z := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
			cpu0 := cpuTime()
			best := time.Duration(1 << 62)
			for b.Loop() {
				t0 := time.Now()
				Sgemm(1, m, n, k, x, k, y, n, 0, z, n)
				best = min(best, time.Since(t0))
			}
			reportGFLOPS(b, 2*float64(m*n*k), cpu0)
			reportBest(b, 2*float64(m*n*k), best)
		})
	}
}

// BenchmarkSgemmConvPrepared times convShapes as a prepared convolution
// runs them: A (the weights) packed once by PackA, each product by
// Workspace.SgemmPackedA (B packed per product, as an implicit GEMM's
// panels would be).
func BenchmarkSgemmConvPrepared(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 6))
	for _, s := range convShapes {
		m, n, k := s[0], s[1], s[2]
		x, y, z := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		pa := PackA(m, k, x, k)
		b.Run(fmt.Sprintf("impl=%s/tile=%s/m=%d/n=%d/k=%d", Kernel(), pa.kernelFor(n).name, m, n, k), func(b *testing.B) {
			var ws Workspace
			ws.SgemmPackedA(pa, n, y, n, 0, z, n)
			cpu0 := cpuTime()
			best := time.Duration(1 << 62)
			for b.Loop() {
				t0 := time.Now()
				ws.SgemmPackedA(pa, n, y, n, 0, z, n)
				best = min(best, time.Since(t0))
			}
			reportGFLOPS(b, 2*float64(m*n*k), cpu0)
			reportBest(b, 2*float64(m*n*k), best)
		})
	}
}

// BenchmarkSgemmConvTiles times convShapes on every tile of the active
// family, chosen or not: the measurements behind the tiles' eff factors.
func BenchmarkSgemmConvTiles(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 7))
	for _, s := range convShapes {
		m, n, k := s[0], s[1], s[2]
		x, y, z := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		for _, kern := range family(active()) {
			b.Run(fmt.Sprintf("m=%d/n=%d/k=%d/tile=%s", m, n, k, kern.name), func(b *testing.B) {
				cpu0 := cpuTime()
				best := time.Duration(1 << 62)
				for b.Loop() {
					t0 := time.Now()
					sgemm(kern, 1, m, n, k, x, k, rawB{y, n}, 0, z, n)
					best = min(best, time.Since(t0))
				}
				reportGFLOPS(b, 2*float64(m*n*k), cpu0)
				reportBest(b, 2*float64(m*n*k), best)
			})
		}
	}
}
