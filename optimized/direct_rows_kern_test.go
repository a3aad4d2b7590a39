package optimized

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// TestRowsKernel checks direct-rows' micro-kernel, with every kernel set
// this machine runs (the AVX-512 and AVX2 assembly, the Go loop), against
// a plain float64 sum in the style of math/big's arith_test: both tiles,
// 32 channels at every segment length P = 1–14 and 16 at P = 1–28 (one
// AVX-512 function each; for AVX2 every cut into blocks of up to 6),
// every term count 0–40, on small integers
// (every partial sum exact, so every order and rounding agrees bit for
// bit), in both starts: from the bias (the tile NaN poison, which the
// kernel must overwrite all of) and going on from the tile's own partial
// sums (init = c, ldi = oc). The tile lies between guard words; the
// weights carry guards after the last term, the bias after its oc
// channels, and x holds NaN past the last input a term may read.
func TestRowsKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, isa := range blockedRunnableISAs() {
		withBlockedISA(isa, func() { testRowsKernel(t, rng) })
	}
}

func testRowsKernel(t *testing.T, rng *rand.Rand) {
	for _, sh := range rowsTiles() {
		for P := 1; P <= sh.maxPos; P++ {
			for k := 0; k <= 40; k++ {
				for _, goOn := range []bool{false, true} {
					testRowsKernelCase(t, rng, sh.oc, P, k, goOn)
				}
			}
		}
	}
}

func testRowsKernelCase(t *testing.T, rng *rand.Rand, oc, P, k int, goOn bool) {
	const guard = 8
	const g = float32(-12345)
	small := func(s []float32, n int) {
		for i := range s {
			s[i] = float32(rng.IntN(2*n+1) - n)
		}
	}
	offs := make([]int, k)
	span := 1
	for j := range offs {
		offs[j] = rng.IntN(3 * P)
		if j > 0 && rng.IntN(3) > 0 {
			// runs of inputs one apart, as consecutive kw taps: the
			// narrow kernels take such terms in pairs
			offs[j] = offs[j-1] + 1
		}
		span = max(span, offs[j]+1)
	}
	x := make([]float32, span+P+16) // NaN past the last input read
	small(x, 4)
	for i := span - 1 + P; i < len(x); i++ {
		x[i] = nan32
	}
	w := make([]float32, k*oc+guard)
	small(w, 3)
	bias := make([]float32, oc+guard)
	small(bias, 5)
	buf := make([]float32, P*oc+2*guard)
	for i := range buf {
		buf[i] = g
	}
	c := buf[guard : guard+P*oc]
	init, ldi := bias, 0
	if goOn {
		small(c, 50)
		init, ldi = c, oc
	} else {
		for i := range c {
			c[i] = nan32
		}
	}
	c0 := append([]float32(nil), c...)
	rowsKernel(oc, P, c, init, ldi, x[:span-1+P], span, offs, w)
	for i, v := range buf {
		want := float64(g)
		if i >= guard && i < guard+P*oc {
			j, o := (i-guard)/oc, (i-guard)%oc
			want = float64(bias[o])
			if goOn {
				want = float64(c0[j*oc+o])
			}
			for q, off := range offs {
				want += float64(w[q*oc+o]) * float64(x[off+j])
			}
		}
		if float64(v) != want || math.IsNaN(float64(v)) {
			t.Fatalf("%s oc=%d P=%d k=%d going on %v: word %d (tile %d) = %v, want %v", rowsKernelName(), oc, P, k, goOn, i, i-guard, v, want)
		}
	}
}

// TestRowsStore checks the segment store, with every kernel set this
// machine runs (the AVX-512 and AVX2 register transposes, the Go loop),
// for both tiles at every P and every channel count up to the block,
// channel rows osp = P + 3 apart: every word it must write gets c's
// value, and the gaps between rows, the words past the last channel and
// the guards around the output keep their guard values (c's rows past P
// hold NaN, which must not reach the output).
func TestRowsStore(t *testing.T) {
	for _, isa := range blockedRunnableISAs() {
		withBlockedISA(isa, func() { testRowsStore(t) })
	}
}

func testRowsStore(t *testing.T) {
	const guard = 8
	const g = float32(-12345)
	for _, sh := range rowsTiles() {
		oc := sh.oc
		for P := 1; P <= sh.maxPos; P++ {
			c := make([]float32, rowsStoreFloats)
			for i := range c {
				c[i] = float32(i)
				if i/oc >= P {
					c[i] = nan32
				}
			}
			osp := P + 3
			for chans := 1; chans <= oc; chans++ {
				buf := make([]float32, oc*osp+2*guard)
				for i := range buf {
					buf[i] = g
				}
				rowsStore(oc, P, c, buf[guard:], osp, chans)
				for i, v := range buf {
					want := g
					if o, j := (i-guard)/osp, (i-guard)%osp; i >= guard && o < chans && j < P {
						want = c[j*oc+o]
					}
					if v != want {
						t.Fatalf("%s oc=%d P=%d chans=%d: word %d = %v, want %v", rowsKernelName(), oc, P, chans, i, v, want)
					}
				}
			}
		}
	}
}

// fma32 is a·b + c rounded once to float32 (to nearest, ties to even), as
// VFMADD231PS computes it, for finite operands and result (TestFMA32).
// a·b is exact in float64 (48 significant bits at most), so s = a·b + c
// rounded to float64 is one rounding, and e, the
// exact s − (a·b + c) by TwoSum, what it dropped. float32(s) rounds a
// second time, which can go wrong only where s fell exactly on the
// midpoint of two float32 neighbours while the exact sum was not: then
// the exact sum lies on e's side of the midpoint, and that neighbour is
// the answer.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	cc := float64(c)
	s := p + cc
	bv := s - p
	e := (p - (s - bv)) + (cc - bv)
	r := float32(s)
	if e == 0 || float64(r) == s {
		return r
	}
	lo, hi := r, math.Nextafter32(r, float32(math.Inf(1)))
	if float64(r) > s {
		lo, hi = math.Nextafter32(r, float32(math.Inf(-1))), r
	}
	if (float64(lo)+float64(hi))/2 != s {
		return r
	}
	if e > 0 {
		return hi
	}
	return lo
}

// TestFMA32 checks the test's own reference, fma32, against a·b + c
// computed exactly with math/big and rounded once to float32: on any
// finite a, b, c whose result is finite, and on drawn cases of double
// rounding, where a·b is half an ulp of c less 2^-46 of it (so a·b + c in
// float64 lands on the midpoint: rounding that to float32 once more, ties
// to even, gives the wrong neighbour whenever c's last bit is odd), which
// fma32 must get right while float32(a·b + c) gets it wrong.
func TestFMA32(t *testing.T) {
	exact := func(a, b, c float32) float32 {
		z := new(big.Float).SetPrec(1000).SetFloat64(float64(a))
		z.Mul(z, new(big.Float).SetFloat64(float64(b)))
		z.Add(z, new(big.Float).SetFloat64(float64(c)))
		f, _ := z.Float32()
		return f
	}
	finite := func(rt *rapid.T, label string) float32 {
		v := math.Float32frombits(rapid.Uint32().Draw(rt, label))
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			rt.Skip("not finite")
		}
		return v
	}
	rapid.Check(t, func(rt *rapid.T) {
		a, b, c := finite(rt, "a"), finite(rt, "b"), finite(rt, "c")
		want := exact(a, b, c)
		if math.IsInf(float64(want), 0) {
			rt.Skip("overflow")
		}
		if got := fma32(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			rt.Fatalf("fma32(%g, %g, %g) = %g, want %g", a, b, c, got, want)
		}
	})
	rapid.Check(t, func(rt *rapid.T) {
		// c = ±(1 + m·2^-23)·2^ce, m odd; a·b = (1 + 2^-23)(1 − 2^-23)·2^(ce−24)
		m := 2*rapid.Uint32Range(0, 1<<22-1).Draw(rt, "m/2") + 1
		ce := rapid.IntRange(-80, 100).Draw(rt, "c exponent") // a and b normal
		split := rapid.IntRange(-20, 20).Draw(rt, "a exponent")
		c := float32(math.Ldexp(1+float64(m)/(1<<23), ce))
		a := float32(math.Ldexp(1+1.0/(1<<23), split))
		b := float32(math.Ldexp(1-1.0/(1<<23), ce-24-split))
		if rapid.Bool().Draw(rt, "negative") {
			c, a = -c, -a
		}
		want := exact(a, b, c)
		if got := fma32(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			rt.Fatalf("fma32(%g, %g, %g) = %g, want %g", a, b, c, got, want)
		}
		if naive := float32(float64(a)*float64(b) + float64(c)); naive == want {
			rt.Fatalf("(%g, %g, %g): the double-rounded sum is right, not a double-rounding case", a, b, c)
		}
	})
}

// rowsFMAISAs are the kernel sets whose row kernels add each term with one
// fused multiply-add and that this machine runs: AVX2 (with FMA) and, on
// an AVX-512 machine, AVX-512 first.
func rowsFMAISAs() []blockedISAKind {
	var isas []blockedISAKind
	for _, isa := range []blockedISAKind{blockedAVX512, blockedAVX2} {
		if blockedCanRun(isa) {
			isas = append(isas, isa)
		}
	}
	return isas
}

// TestRowsKernelAVX2 checks the AVX2 row kernels (and, on an AVX-512
// machine, the AVX-512 ones by the same measure) on inputs rapid draws,
// nonzero floats of every mantissa, exponents −6 to 6 (sums round all the
// time), against the exact sum the contract names: each output its
// init, then one fused multiply-add per term in t order, the float32
// recursion acc = fma32(w, x, acc) (fma32: exact, tested by TestFMA32).
// Both kernel sets are to match it bit for bit, and so each other. Every
// draw runs both tiles at every P (1–14 at 32 channels, 1–28 at 16: the
// AVX2 kernels' every cut into blocks of up to 6), k = 0, 1, 2, 3, a drawn
// odd count and 257 terms (the pair loop and its odd term), from the bias
// (ldi = 0, the tile NaN-poisoned first) and going on from the tile
// itself (init = c, ldi = oc). Guard words around the tile must keep
// their value; the weights, the bias and x sit between NaNs, which any
// read past them (a term past k, a bias row past the first, an input
// past span − 1 + P or before x) would carry into the result.
func TestRowsKernelAVX2(t *testing.T) {
	if !blockedCanRun(blockedAVX2) {
		t.Skip("this machine has no AVX2+FMA, or this is a noasm build: no AVX2 row kernel runs here")
	}
	const maxK, guard = 257, 8
	const g = float32(-12345.5)
	rapid.Check(t, func(rt *rapid.T) {
		val := func(label string) float32 {
			m := rapid.Uint32Range(0, 1<<23-1).Draw(rt, label+" mantissa")
			e := rapid.IntRange(-6, 6).Draw(rt, label+" exponent")
			v := float32(math.Ldexp(1+float64(m)/(1<<23), e))
			if rapid.Bool().Draw(rt, label+" negative") {
				v = -v
			}
			return v
		}
		vals := func(n int, label string) []float32 {
			s := make([]float32, n)
			for i := range s {
				s[i] = val(label)
			}
			return s
		}
		offs := make([]int, maxK)
		for i := range offs {
			offs[i] = rapid.IntRange(0, 3*rowsMaxPos).Draw(rt, "offs")
			if i > 0 && rapid.Bool().Draw(rt, "offs run") {
				offs[i] = offs[i-1] + 1 // consecutive kw taps, as the narrow AVX-512 kernels pair them
			}
		}
		span := 0
		for _, o := range offs {
			span = max(span, o+1)
		}
		xAll := vals(span+rowsMaxPos16, "x")
		wAll := vals(maxK*rowsOC, "w")
		bias := vals(rowsOC, "bias")
		c0 := vals(rowsStoreFloats, "c0")
		odd := 2*rapid.IntRange(2, 40).Draw(rt, "odd k/2") + 1
		ks := []int{0, 1, 2, 3, odd, maxK}
		// between NaNs
		nanned := func(s []float32) []float32 {
			b := make([]float32, len(s)+2*guard)
			for i := range b {
				b[i] = nan32
			}
			copy(b[guard:], s)
			return b[guard : guard+len(s)]
		}
		for _, sh := range rowsTiles() {
			oc := sh.oc
			biasN := nanned(bias[:oc])
			for _, goOn := range []bool{false, true} {
				// want[ki][j·oc + o]: the recursion after ks[ki] terms
				want := make([][]float32, len(ks))
				acc := make([]float32, sh.maxPos*oc)
				for i := range acc {
					acc[i] = bias[i%oc]
					if goOn {
						acc[i] = c0[i]
					}
				}
				for ki, k := range ks {
					for q := 0; q < k; q++ {
						if ki > 0 && q < ks[ki-1] {
							continue
						}
						for j := range sh.maxPos {
							for o := range oc {
								acc[j*oc+o] = fma32(wAll[q*oc+o], xAll[offs[q]+j], acc[j*oc+o])
							}
						}
					}
					want[ki] = append([]float32(nil), acc...)
				}
				for ki, k := range ks {
					wk := nanned(wAll[:k*oc])
					kspan := 1
					for _, o := range offs[:k] {
						kspan = max(kspan, o+1)
					}
					for P := 1; P <= sh.maxPos; P++ {
						x := nanned(xAll[:kspan-1+P])
						for _, isa := range rowsFMAISAs() {
							buf := make([]float32, P*oc+2*guard)
							for i := range buf {
								buf[i] = g
							}
							c := buf[guard : guard+P*oc]
							init, ldi := biasN, 0
							if goOn {
								copy(c, c0)
								init, ldi = c, oc
							} else {
								for i := range c {
									c[i] = nan32
								}
							}
							var name string
							withBlockedISA(isa, func() {
								name = rowsKernelName()
								rowsKernel(oc, P, c, init, ldi, x, kspan, offs[:k], wk)
							})
							for i, v := range buf {
								wv := g
								if i >= guard && i < guard+P*oc {
									wv = want[ki][i-guard]
								}
								if math.Float32bits(v) != math.Float32bits(wv) {
									rt.Fatalf("%s oc=%d P=%d k=%d going on %v: word %d (tile %d: position %d, channel %d) = %v, want %v",
										name, oc, P, k, goOn, i, i-guard, (i-guard)/oc, (i-guard)%oc, v, wv)
								}
							}
						}
					}
				}
			}
		}
	})
}

// BenchmarkRowsKernel times direct-rows' micro-kernel alone on L1-resident
// data, both tiles at their longest segment (32 channels × 14 positions,
// 16 × 28), 128 terms a call (14 input channels of a 3×3 kernel and two
// taps more, rows 58 apart), from the bias and going on by turns, with
// each FMA kernel set this machine runs; compare its GFLOP/s with the FMA
// peak probe (BenchmarkPeak in optimized/gemm):
//
//	go test ./optimized -run '^$' -bench RowsKernel -count 6
func BenchmarkRowsKernel(b *testing.B) {
	for _, isa := range rowsFMAISAs() {
		for _, sh := range rowsTiles() {
			b.Run(fmt.Sprintf("%s/%dx%d", blockedISANames[isa], sh.oc, sh.maxPos), func(b *testing.B) {
				withBlockedISA(isa, func() { benchRowsKernel(b, sh.oc, sh.maxPos) })
			})
		}
	}
}

func benchRowsKernel(b *testing.B, oc, P int) {
	const k, wq = 128, 58
	offs := make([]int, k)
	for t := range offs {
		offs[t] = t/9*(3*wq+P) + t%9/3*wq + t%3
	}
	span := offs[k-1] + 1
	x := make([]float32, span-1+P)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	w := make([]float32, k*oc)
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	bias := make([]float32, oc)
	c := make([]float32, P*oc)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			rowsKernel(oc, P, c, bias, 0, x, span, offs, w)
		} else {
			rowsKernel(oc, P, c, c, oc, x, span, offs, w)
		}
	}
	flops := float64(2*P*oc*k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/s-cpu")
	}
}

// TestRowsShapeOK: rowsShapeOK, which spells the tiles out for speed,
// accepts exactly rowsTiles' shapes under every kernel set.
func TestRowsShapeOK(t *testing.T) {
	for isa, name := range blockedISANames {
		withBlockedISA(isa, func() {
			for oc := -1; oc <= 40; oc++ {
				for P := -1; P <= 40; P++ {
					want := false
					for _, s := range rowsTiles() {
						want = want || oc == s.oc && P >= 1 && P <= s.maxPos
					}
					if got := rowsShapeOK(oc, P); got != want {
						t.Errorf("%s: rowsShapeOK(%d, %d) = %v, rowsTiles say %v", name, oc, P, got, want)
					}
				}
			}
		})
	}
}
