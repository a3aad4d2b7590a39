package optimized

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// mixGo is mixInto's Go loop alone, the operations the assembly must
// repeat exactly.
func mixGo(dst, src []float32, size int, alpha []float64) {
	for i := range dst {
		var s float64
		for e, a := range alpha {
			s += a * float64(src[e*size+i])
		}
		dst[i] = float32(s)
	}
}

// TestMixIntoMatchesGo: mixInto (assembly for each whole 16 outputs, Go
// for the rest) gives mixGo's bits at every length up to 70, for 1 to 5
// experts, with NaN-poisoned outputs and guard words after them.
func TestMixIntoMatchesGo(t *testing.T) { forEachMixKernel(t, testMixIntoMatchesGo) }

// forEachMixKernel runs f with the machine's mix kernel, then, on an
// AVX-512 machine, with the AVX2 one.
func forEachMixKernel(t *testing.T, f func(t *testing.T)) {
	t.Run("best", f)
	if hasMixAsm && hasMixAVX2 {
		hasMixAsm = false
		defer func() { hasMixAsm = true }()
		t.Run("avx2", f)
	}
}

func testMixIntoMatchesGo(t *testing.T) {
	const guard = float32(-1234.5)
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 70).Draw(t, "n")
		e := rapid.IntRange(1, 5).Draw(t, "experts")
		size := n + rapid.IntRange(0, 20).Draw(t, "stride slack")
		src := make([]float32, e*size+n)
		for i := range src {
			src[i] = float32(rapid.Float64Range(-4, 4).Draw(t, "src"))
		}
		alpha := make([]float64, e)
		for i := range alpha {
			alpha[i] = rapid.Float64Range(-1, 1).Draw(t, "alpha")
		}
		got := make([]float32, n+4)
		want := make([]float32, n)
		for i := range got {
			got[i] = float32(math.NaN())
		}
		for i := n; i < len(got); i++ {
			got[i] = guard
		}
		mixInto(got[:n], src, size, alpha)
		mixGo(want, src, size, alpha)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d, %d experts: dst[%d] = %v, want %v", n, e, i, got[i], want[i])
			}
		}
		for i := n; i < len(got); i++ {
			if got[i] != guard {
				t.Fatalf("n %d: guard %d overwritten: %v", n, i-n, got[i])
			}
		}
	})
}

// TestSumChannel: dynamicRouting's channel sum (16 lane sums in float64,
// then the tail) is exact on integers whose partial sums stay under 2^53,
// at every length up to 80, and never reads past the channel.
func TestSumChannel(t *testing.T) { forEachMixKernel(t, testSumChannel) }

func testSumChannel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 80).Draw(t, "n")
		x := make([]float32, n+1)
		var want float64
		for i := 0; i < n; i++ {
			v := float32(rapid.IntRange(-1<<20, 1<<20).Draw(t, "x"))
			x[i] = v
			want += float64(v)
		}
		x[n] = float32(math.NaN()) // past the channel: must not be read
		s, i0 := sumAsm(x[:n])
		for _, v := range x[i0:n] {
			s += float64(v)
		}
		if s != want {
			t.Fatalf("n %d: sum %v, want %v", n, s, want)
		}
	})
}
