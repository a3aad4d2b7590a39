package optimized

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/convverify/convverify/conv"
	"github.com/convverify/convverify/optimized/gemm"
)

// blockedISANames are the kernel sets' names, as blockedKernelName gives
// them without "blocked=".
var blockedISANames = map[blockedISAKind]string{blockedAVX512: "avx512", blockedAVX2: "avx2", blockedGoISA: "go"}

// blockedRunnableISAs are the kernel sets this machine and build run:
// on an AVX-512 machine the AVX2 set too, so that both are tested here.
func blockedRunnableISAs() []blockedISAKind {
	var isas []blockedISAKind
	for _, isa := range []blockedISAKind{blockedAVX512, blockedAVX2, blockedGoISA} {
		if blockedCanRun(isa) {
			isas = append(isas, isa)
		}
	}
	return isas
}

// SetBlockedISA switches the blocked kernels (direct-, deconv- and
// dynamic-blocked's) to the named set, "avx512", "avx2" or "go", for tests
// in package optimized_test, and returns the restore; ok is false (nothing
// switched) where this machine or build cannot run the set. Plans made
// under one set must run under it: switch before preparing.
func SetBlockedISA(name string) (restore func(), ok bool) {
	for isa, n := range blockedISANames {
		if n == name && blockedCanRun(isa) {
			old := blockedISA
			blockedISA = isa
			return func() { blockedISA = old }, true
		}
	}
	return func() {}, false
}

// withBlockedISA runs f with the kernel set isa in use.
func withBlockedISA(isa blockedISAKind, f func()) {
	old := blockedISA
	blockedISA = isa
	defer func() { blockedISA = old }()
	f()
}

// TestBlockedKernel checks every kernel set this machine runs (AVX-512,
// AVX2 and Go on an AVX-512 machine, Go alone under noasm) against a plain
// float64 sum, in the style of math/big's arith_test: every shape of the
// set, every term count 0–40, every number of lanes
// read 1–T (the masked tail), with and without accumulation, on small
// integers (every partial sum exact, so every order and rounding agrees
// bit for bit), rows T apart or, at odd term counts, T+3 apart (the gaps
// must keep their guard values). Guard words sit around the tile; the weights carry guards
// after the last term and x after the last lane a term may read, and the
// lanes the kernel must not read hold NaN.
func TestBlockedKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, isa := range blockedRunnableISAs() {
		withBlockedISA(isa, func() { testBlockedKernel(t, rng) })
	}
}

func testBlockedKernel(t *testing.T, rng *rand.Rand) {
	const guard = 8
	const g = float32(-12345)
	for _, sh := range blockedShapeTable(blockedISA) {
		mr, T := sh[0], 16*sh[1]
		for k := 0; k <= 40; k++ {
			for n := 1; n <= T; n++ {
				for _, accum := range []bool{false, true} {
					offs := make([]int, k)
					span := 1
					for j := range offs {
						offs[j] = rng.IntN(3 * T)
						span = max(span, offs[j]+1)
					}
					x := make([]float32, span+T)
					for i := range x {
						x[i] = float32(rng.IntN(9) - 4)
					}
					// lanes ≥ n of the last reads: NaN, which must stay unread
					for i := span - 1 + n; i < len(x); i++ {
						x[i] = nan32
					}
					xs := x[:span-1+n]
					w := make([]float32, k*mr+guard)
					for i := range w {
						w[i] = float32(rng.IntN(7) - 3)
					}
					bias := make([]float32, mr+guard)
					for i := range bias {
						bias[i] = float32(rng.IntN(11) - 5)
					}
					// rows ldc apart; the gaps between rows are guards too
					ldc := T + 3*(k%2)
					size := (mr-1)*ldc + T
					buf := make([]float32, size+2*guard)
					for i := range buf {
						buf[i] = g
					}
					c := buf[guard : guard+size]
					lane := func(i int) (m, l int, ok bool) { return i / ldc, i % ldc, i%ldc < T }
					for i := range c {
						if _, _, ok := lane(i); ok {
							c[i] = float32(rng.IntN(21) - 10)
						}
					}
					want := make([]float64, size)
					for i := range c {
						m, l, ok := lane(i)
						if !ok {
							want[i] = float64(g)
							continue
						}
						s := float64(bias[m])
						if accum {
							s = float64(c[i])
						}
						if l < n {
							for j, o := range offs {
								s += float64(w[j*mr+m]) * float64(x[o+l])
							}
						}
						want[i] = s
					}
					blockedKernelLd(mr, T, c, ldc, bias[:mr], xs, span, offs, w[:k*mr], accum, n, 0)
					where := fmt.Sprintf("%s %dx%d k=%d n=%d accum=%v ldc=%d", blockedKernelName(), mr, T, k, n, accum, ldc)
					for i := 0; i < guard; i++ {
						if buf[i] != g || buf[guard+size+i] != g {
							t.Fatalf("%s: guard word %d overwritten", where, i)
						}
					}
					for i, v := range c {
						if float64(v) != want[i] {
							t.Fatalf("%s: c[%d][%d] = %v, want %v", where, i/ldc, i%ldc, v, want[i])
						}
					}
				}
			}
		}
	}
}

// TestBlockedKernelAsmMatchesGo runs each assembly set's kernels and the
// Go kernel on the same real-valued tiles: on integers they agree bit for
// bit (above); on reals each is within a term count's roundings of the
// other, and the lanes neither reads are the same init.
func TestBlockedKernelAsmMatchesGo(t *testing.T) {
	ran := false
	for _, isa := range blockedRunnableISAs() {
		if isa != blockedGoISA {
			ran = true
			withBlockedISA(isa, func() { testBlockedKernelAsmMatchesGo(t) })
		}
	}
	if !ran {
		t.Skip("no assembly kernel (noasm, or neither AVX-512 nor AVX2+FMA)")
	}
}

func testBlockedKernelAsmMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, sh := range blockedShapeTable(blockedISA) {
		mr, T := sh[0], 16*sh[1]
		for _, k := range []int{1, 2, 3, 17, 40} {
			for _, n := range []int{1, 7, 8, 9, 15, 16, 17, T - 1, T} {
				if n > T {
					continue
				}
				offs := make([]int, k)
				for j := range offs {
					offs[j] = rng.IntN(2 * T)
				}
				x := make([]float32, 3*T+T)
				for i := range x {
					x[i] = rng.Float32()*2 - 1
				}
				w := make([]float32, k*mr)
				for i := range w {
					w[i] = rng.Float32()*2 - 1
				}
				bias := make([]float32, mr)
				for i := range bias {
					bias[i] = rng.Float32()
				}
				a, b := make([]float32, mr*T), make([]float32, mr*T)
				blockedKernel(mr, T, a, bias, x, 2*T, offs, w, false, n, 0)
				blockedGo(mr, T, b, T, bias, x, offs, w, false, n)
				for i := range a {
					d := float64(a[i] - b[i])
					if i%T >= n && d != 0 || d > 1e-5*float64(k) || d < -1e-5*float64(k) {
						t.Fatalf("%s %dx%d k=%d n=%d: lane %d: asm %v, go %v", blockedKernelName(), mr, T, k, n, i, a[i], b[i])
					}
				}
			}
		}
	}
}

// TestBlockedShape: the kernel shape wastes least of its tiles: output
// channels padded to MR and flat positions to T, in each set's table.
func TestBlockedShape(t *testing.T) {
	for _, c := range []struct {
		isa          blockedISAKind
		ocg, run, mr int
	}{
		{blockedAVX512, 1, 1000, 6}, {blockedAVX512, 6, 960, 6}, {blockedAVX512, 7, 960, 8}, {blockedAVX512, 8, 960, 8},
		{blockedAVX512, 12, 960, 6}, {blockedAVX512, 16, 960, 8}, {blockedAVX512, 18, 960, 6}, {blockedAVX512, 64, 3246, 8},
		{blockedAVX512, 64, 61, 6}, {blockedAVX512, 512, 61, 6}, {blockedAVX512, 256, 222, 12}, {blockedAVX512, 24, 222, 12},
		{blockedAVX512, 30, 960, 6}, {blockedAVX512, 100, 960, 6}, {blockedAVX512, 104, 960, 8},
		// AVX2: 6×16, 3×32, 2×48 (at 90% of the others' speed)
		{blockedAVX2, 6, 960, 6}, {blockedAVX2, 9, 960, 3}, {blockedAVX2, 8, 960, 2}, {blockedAVX2, 64, 3246, 6}, {blockedAVX2, 16, 960, 2}, {blockedAVX2, 14, 960, 3},
		{blockedAVX2, 64, 61, 6}, {blockedAVX2, 63, 61, 3}, {blockedAVX2, 12, 222, 6}, {blockedAVX2, 7, 960, 2}, {blockedAVX2, 1, 1000, 2},
	} {
		if mr, _ := blockedShapeIn(blockedShapeTable(c.isa), c.ocg, c.run); mr != c.mr {
			t.Errorf("%s: blockedShape(%d, %d) = %d, want %d", blockedISANames[c.isa], c.ocg, c.run, mr, c.mr)
		}
	}
}

// BenchmarkBlockedKernel times the micro-kernel alone on L1-resident data
// (288 terms: 32 channels of a 3×3 kernel at a 58-wide row pitch), the
// ceiling of direct-blocked's inner loop; compare its GFLOP/s with the
// FMA peak probe (BenchmarkPeak in optimized/gemm, convverify bench's
// peak line); GFLOP/s-cpu divides by the process's CPU time, which other
// processes on a shared machine inflate less than wall time.
func BenchmarkBlockedKernel(b *testing.B) {
	for _, isa := range blockedRunnableISAs() {
		for _, sh := range blockedShapeTable(isa) {
			b.Run(fmt.Sprintf("%s/%dx%d", blockedISANames[isa], sh[0], 16*sh[1]), func(b *testing.B) {
				withBlockedISA(isa, func() { benchBlockedKernel(b, sh[0], 16*sh[1]) })
			})
		}
	}
}

func benchBlockedKernel(b *testing.B, mr, T int) {
	call, perCall := blockedL1Kernel(mr, T)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		call(i%2 == 1)
	}
	flops := perCall * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/s-cpu")
	}
}

// blockedL1Kernel returns a call of the mr × T micro-kernel on L1-resident
// data (288 terms: 32 channels of a 3×3 kernel at a 58-wide row pitch,
// accumulating or starting from the bias) and the FLOPs of one call.
func blockedL1Kernel(mr, T int) (call func(accum bool), flops float64) {
	const chans, taps, wq = 32, 9, 58
	offs := make([]int, 0, chans*taps)
	for c := 0; c < chans; c++ {
		for t := 0; t < taps; t++ {
			offs = append(offs, c*(3*wq+T)+t/3*wq+t%3)
		}
	}
	span := offs[len(offs)-1] + 1
	x := make([]float32, span+T)
	w := make([]float32, len(offs)*mr)
	bias := make([]float32, mr)
	c := make([]float32, mr*T)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	return func(accum bool) { blockedKernel(mr, T, c, bias, x, span, offs, w, accum, T, 4*T) },
		float64(2 * mr * T * len(offs))
}

// BenchmarkBlockedInLayer splits direct-blocked's distance from the FMA
// peak on a layer in two: what its micro-kernel loses alone, and what the
// layer around the kernel adds. Each iteration runs the planned layer once
// (one worker) and then the plan's kernel shape on L1-resident data
// (blockedL1Kernel) for as long; it reports both (layer-GFLOP/s,
// kernel-GFLOP/s), their ratio (in-layer/kernel), and useful: the share
// of the kernel's multiply-adds that reach an output, the rest being the
// flat runs' garbage columns, the last tile's positions past its run and
// the padded channels of the last output-channel block (at 14² a 3×3
// layer's runs carry 2 garbage columns in 16; at 7², 2 in 9). The ratio
// is what the memory traffic, stores, the plane copy and that waste cost
// together; compare the kernel with the probe for the rest:
//
//	go test ./optimized -run '^$' -bench BlockedInLayer -count 6 | benchstat -
func BenchmarkBlockedInLayer(b *testing.B) {
	v, _ := Lookup("direct-blocked")
	for _, desc := range []string{
		"mb1ic64ih56oc64oh56kh3ph1",   // ResNet-50 res2a 3×3
		"mb1ic256ih56oc256oh56kh3ph1", // VGG-19 conv3_2
		"mb1ic512ih28oc512oh28kh3ph1", // VGG-19 conv4_2
		"mb1ic256ih14oc256oh14kh3ph1", // ResNet-50 res4a 3×3
		"mb1ic512ih7oc512oh7kh3ph1",   // ResNet-50 res5a 3×3
	} {
		b.Run(desc, func(b *testing.B) {
			p, err := conv.ParseDescriptor(desc, conv.OpConv)
			if err != nil {
				b.Fatal(err)
			}
			g := newBlockedGeom(&p, 1)
			in := BenchInputs(&p, 1)
			pl, err := v.Prepare(&p, in.W, in.B, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer pl.Close()
			in.W, in.B = nil, nil
			out := make([]float32, dstLen(&p))
			call, perCall := blockedL1Kernel(g.mr, g.t)
			var layerT, kernT time.Duration
			var kernFlops float64
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				if err := pl.Run(in, out); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				d := t1.Sub(t0)
				layerT += d
				for time.Since(t1) < d {
					for range 8 {
						call(true)
					}
					kernFlops += 8 * perCall
				}
				kernT += time.Since(t1)
			}
			layer := float64(p.FLOPs()) * float64(b.N) / layerT.Seconds() / 1e9
			kern := kernFlops / kernT.Seconds() / 1e9
			b.ReportMetric(layer, "layer-GFLOP/s")
			b.ReportMetric(kern, "kernel-GFLOP/s")
			b.ReportMetric(layer/kern, "in-layer/kernel")
			b.ReportMetric(g.useful(&p), "useful")
		})
	}
}

// BenchmarkBlockedISAs times direct-blocked with each kernel set this
// machine runs against im2col-gemm with each GEMM kernel it runs, planned,
// one worker, on the ResNet-50 res2a 3×3 layer: on an AVX-512 machine,
// direct-blocked with the AVX2 kernels against im2col-gemm with the AVX2
// GEMM is what an AVX2-only machine would choose between (compare each
// with BenchmarkPeak's probe of its unit in optimized/gemm):
//
//	go test ./optimized -run '^$' -bench BlockedISAs -count 6
func BenchmarkBlockedISAs(b *testing.B) {
	const desc = "mb1ic64ih56oc64oh56kh3ph1"
	var bp BenchProblem
	for _, q := range BenchProblems() {
		if q.Shape == desc {
			bp = q
		}
	}
	if bp.Shape == "" {
		b.Fatalf("no benchmark layer %s", desc)
	}
	blocked, _ := Lookup("direct-blocked")
	for _, isa := range blockedRunnableISAs() {
		b.Run(fmt.Sprintf("direct-blocked/blocked=%s", blockedISANames[isa]), func(b *testing.B) {
			withBlockedISA(isa, func() { BenchPlanFunc(blocked, bp, 1)(b) })
		})
	}
	im2col, _ := Lookup("im2col-gemm")
	old := gemm.Kernel()
	defer gemm.SetKernel(old)
	for _, k := range gemm.Kernels() {
		b.Run("im2col-gemm/gemm="+k, func(b *testing.B) {
			if err := gemm.SetKernel(k); err != nil {
				b.Fatal(err)
			}
			BenchPlanFunc(im2col, bp, 1)(b)
		})
	}
}
