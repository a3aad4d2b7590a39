package optimized

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRowsKernel checks direct-rows' micro-kernel, the AVX-512 assembly
// where this machine runs it and the Go loop, against a plain float64 sum
// in the style of math/big's arith_test: both tiles, 32 channels at every
// segment length P = 1–14 and 16 at P = 1–28 (one assembly function
// each), every term count 0–40, on small integers
// (every partial sum exact, so every order and rounding agrees bit for
// bit), in both starts: from the bias (the tile NaN poison, which the
// kernel must overwrite all of) and going on from the tile's own partial
// sums (init = c, ldi = oc). The tile lies between guard words; the
// weights carry guards after the last term, the bias after its oc
// channels, and x holds NaN past the last input a term may read.
func TestRowsKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, isa := range blockedRunnableISAs() {
		if isa == blockedAVX2 {
			continue // rowsAsm: AVX-512 or Go
		}
		withBlockedISA(isa, func() { testRowsKernel(t, rng) })
	}
}

func testRowsKernel(t *testing.T, rng *rand.Rand) {
	for _, sh := range rowsTiles {
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

// TestRowsStore checks the segment store, the register transpose where
// the assembly kernels run and the Go loop, for both tiles at every P and
// every channel count up to the block, channel rows osp = P + 3 apart: every word it must
// write gets c's value, and the gaps between rows, the words past the
// last channel and the guards around the output keep their guard values
// (c's rows past P hold NaN, which must not reach the output).
func TestRowsStore(t *testing.T) {
	for _, isa := range blockedRunnableISAs() {
		if isa == blockedAVX2 {
			continue
		}
		withBlockedISA(isa, func() { testRowsStore(t) })
	}
}

func testRowsStore(t *testing.T) {
	const guard = 8
	const g = float32(-12345)
	for _, sh := range rowsTiles {
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
