package optimized

import (
	"math/rand/v2"
	"testing"
)

// The channels-last kernels against their pure-Go twins, in the style of
// math/big's arith tests: every length through the 8-output passes and the
// 16-position transpose chunks and their tails, every channel count of a
// block, guard elements around every output, integer data (so that the
// fused multiply-add of the assembly and Go's separate rounding agree bit
// for bit). Under -tags noasm both sides are Go; the test still checks the
// twins' agreement with the definitions below.

const dwGuard = 1e9 // a value no kernel writes

func dwIntSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.IntN(9) - 4)
	}
	return s
}

func guarded(n, pad int) []float32 {
	s := make([]float32, n+2*pad)
	for i := range s {
		s[i] = dwGuard
	}
	return s
}

func TestDwTapsMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for n := 1; n <= 41; n++ {
		for _, taps := range []int{1, 2, 9, 13} {
			offs := make([]int, taps)
			span := 0
			for i := range offs {
				offs[i] = rng.IntN(5 * dwLanes) // any lane shift, not only whole slots
				span = max(span, offs[i])
			}
			in := dwIntSlice(rng, n*dwLanes+span)
			w := dwIntSlice(rng, taps*dwLanes)
			b := dwIntSlice(rng, dwLanes)
			const pad = 20
			got, want := guarded(n*dwLanes, pad), guarded(n*dwLanes, pad)
			dwTaps(got[pad:pad+n*dwLanes], n, in, offs, w, b)
			// the definition, one output at a time
			for i := 0; i < n; i++ {
				for c := 0; c < dwLanes; c++ {
					acc := b[c]
					for t, o := range offs {
						acc += w[t*dwLanes+c] * in[i*dwLanes+o+c]
					}
					want[pad+i*dwLanes+c] = acc
				}
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("n=%d taps=%d (%s): element %d (pad %d): got %v, want %v", n, taps, multiTapKernel(), i, pad, got[i], want[i])
				}
			}
		}
	}
}

func TestDwPackMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for isp := 1; isp <= 50; isp++ {
		for nc := 1; nc <= dwLanes; nc++ {
			// slots: a shuffled subset of 2·isp slots, some positions
			// unread (sent to the spare slot 2·isp, which holds anything)
			slots := rng.Perm(2 * isp)
			dst := make([]int32, isp)
			for s := range dst {
				dst[s] = int32(slots[s] * dwLanes)
				if rng.IntN(4) == 0 {
					dst[s] = int32(2 * isp * dwLanes)
				}
			}
			hi := (2*isp + 1) * dwLanes
			x := dwIntSlice(rng, nc*isp)
			const pad = 16
			got, want := guarded(hi, pad), guarded(hi, pad)
			dwPack(got[pad:pad+hi], x, isp, nc, dst, hi)
			written := make([]bool, 2*isp+1)
			written[2*isp] = true
			for s, k := range dst {
				for c := 0; c < nc && int(k) < 2*isp*dwLanes; c++ {
					want[pad+int(k)+c] = x[c*isp+s]
					written[int(k)/dwLanes] = true
				}
			}
			for i := range got {
				if q := i - pad; q >= 0 && q < hi && (q%dwLanes >= nc || q/dwLanes == 2*isp) && written[q/dwLanes] {
					continue // the lanes past nc of a written slot, and the spare slot, are arbitrary
				}
				if got[i] != want[i] {
					t.Fatalf("isp=%d nc=%d (%s): element %d (pad %d): got %v, want %v", isp, nc, multiTapKernel(), i, pad, got[i], want[i])
				}
			}
		}
	}
}

func TestDwUnpackMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for osp := 1; osp <= 50; osp++ {
		for nc := 1; nc <= dwLanes; nc++ {
			n := osp + rng.IntN(5)
			src := make([]int32, osp)
			for s, k := range rng.Perm(n)[:osp] {
				src[s] = int32(k * dwLanes)
			}
			tmp := dwIntSlice(rng, n*dwLanes)
			ldc := osp + rng.IntN(3)
			size := (nc-1)*ldc + osp
			const pad = 17
			got, want := guarded(size, pad), guarded(size, pad)
			dwUnpack(got[pad:pad+size], tmp, osp, ldc, nc, src, n*dwLanes)
			for c := 0; c < nc; c++ {
				for s, k := range src {
					want[pad+c*ldc+s] = tmp[int(k)+c]
				}
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("osp=%d nc=%d ldc=%d (%s): element %d (pad %d): got %v, want %v", osp, nc, ldc, multiTapKernel(), i, pad, got[i], want[i])
				}
			}
		}
	}
}
