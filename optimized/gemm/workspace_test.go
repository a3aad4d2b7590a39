package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestWorkspaceMatchesSgemm: a Workspace reused across products of every
// shape (tails, several KC/MC/NC blocks, growing and shrinking) gives
// Sgemm's bits, writes nothing outside C's m×n, and allocates nothing once
// reserved.
func TestWorkspaceMatchesSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ws Workspace
	kern := active()
	sizes := [][3]int{{1, 1, 1}, {kern.mr + 1, kern.nr + 3, 7}, {kern.mc + 5, 2*kern.nr + 1, kern.kc + 9}, {3, kern.nc + 17, 2}, {17, 33, 65}}
	for _, s := range sizes {
		m, n, k := s[0], s[1], s[2]
		lda, ldb, ldc := k+1, n+2, n+3
		a, b := make([]float32, m*lda), make([]float32, k*ldb)
		for i := range a {
			a[i] = float32(rng.IntN(9) - 4)
		}
		for i := range b {
			b[i] = rng.Float32() - 0.5
		}
		for _, beta := range []float32{0, 1} {
			want, got := make([]float32, m*ldc), make([]float32, m*ldc)
			for i := range want {
				want[i], got[i] = float32(i%7), float32(i%7)
			}
			Sgemm(1, m, n, k, a, lda, b, ldb, beta, want, ldc)
			ws.Sgemm(m, n, k, a, lda, b, ldb, beta, got, ldc)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%d×%d×%d beta %v: c[%d] = %v, Sgemm %v", m, n, k, beta, i, got[i], want[i])
				}
			}
		}
	}
	var big Workspace
	big.Reserve(kern.mc+5, kern.nc+17, kern.kc+9)
	a, b, c := make([]float32, 64*64), make([]float32, 64*64), make([]float32, 64*64)
	if n := testing.AllocsPerRun(5, func() { big.Sgemm(64, 64, 64, a, 64, b, 64, 0, c, 64) }); n != 0 {
		t.Errorf("reserved Workspace.Sgemm: %v allocations, want 0", n)
	}
}
