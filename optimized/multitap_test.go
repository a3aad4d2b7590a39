package optimized

import (
	"math/rand/v2"
	"testing"
)

// TestMultiTapMatchesGo checks the assembly row kernel against its pure-Go
// twin at every length up to 200 (64-wide passes, masked tails), with guard
// elements around out.
func TestMultiTapMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 200; n++ {
		for _, taps := range []int{1, 2, 9} {
			base := make([]float32, n+3*taps)
			for i := range base {
				base[i] = float32(rng.IntN(9) - 4)
			}
			w := make([]float32, taps)
			offs := make([]int, taps)
			for i := range w {
				w[i] = float32(rng.IntN(5) - 2)
				offs[i] = rng.IntN(3 * taps)
			}
			tp := newTapPlan(offs)
			a := make([]float32, n+2)
			b := make([]float32, n+2)
			for i := range a {
				a[i], b[i] = float32(i), float32(i)
			}
			tp.run(a[1:n+1], base, w, 3)
			multiTapGo(b[1:n+1], base, offs, w, 3)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("n=%d taps=%d (%s): element %d: %v vs %v", n, taps, multiTapKernel(), i, a[i], b[i])
				}
			}
		}
	}
}
