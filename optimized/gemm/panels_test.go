package gemm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// matPanels is a BPanels over a row-major k×n matrix that checks every
// request against the contract (rows inside k, first column inside n, whole
// panels).
type matPanels struct {
	t          testing.TB
	k, n, ldb  int
	b          []float32
	calls      int
	badRequest string
}

func (m *matPanels) PackPanel(dst []float32, pc, kc, j0, nr int) {
	m.calls++
	if pc < 0 || kc < 1 || pc+kc > m.k || j0 < 0 || j0 >= m.n || nr < 1 || len(dst) < kc*nr {
		m.badRequest = fmt.Sprintf("PackPanel(len %d, pc %d, kc %d, j0 %d, nr %d) for B %d×%d", len(dst), pc, kc, j0, nr, m.k, m.n)
		return
	}
	for p := range kc {
		row := dst[p*nr : p*nr+nr]
		for j := range row {
			if j0+j < m.n {
				row[j] = m.b[(pc+p)*m.ldb+j0+j]
			} else {
				row[j] = 0
			}
		}
	}
}

// TestSgemmPanels: under every kernel, SgemmPanels with B supplied panel by
// panel gives ws.Sgemm's bits on the materialised B, for shapes around every
// tile and block edge, with guard words around C checked by operands.
func TestSgemmPanels(t *testing.T) {
	defer SetKernel(Kernels()[0])
	rng := rand.New(rand.NewPCG(11, 12))
	for _, name := range Kernels() {
		if err := SetKernel(name); err != nil {
			t.Fatal(err)
		}
		kern := active()
		shapes := [][3]int{{1, 1, 1}, {kern.mr + 1, kern.nr - 1, 3}, {kern.mr, kern.nr + 1, kern.kc + 1},
			{2*kern.mr + 3, 3*kern.nr + 7, 2*kern.kc + 5}, {kern.mc + 1, kern.nr, 9}, {5, kern.nc + 3, 4}}
		var ws, ref Workspace
		for _, s := range shapes {
			for _, beta := range betas {
				o := newOperands(rng, s[0], s[1], s[2], beta, false)
				want := slices.Clone(o.cbuf)
				ref.Sgemm(o.m, o.n, o.k, o.aArg(), o.lda, o.bArg(), o.ldb, o.beta, want[guardWords:guardWords+(o.m-1)*o.ldc+o.n], o.ldc)
				src := &matPanels{t: t, k: o.k, n: o.n, ldb: o.ldb, b: o.bArg()}
				ws.SgemmPanels(o.m, o.n, o.k, o.aArg(), o.lda, src, o.beta, o.cArg(), o.ldc)
				if src.badRequest != "" {
					t.Fatalf("%s %s: %s", name, o, src.badRequest)
				}
				if i := firstDiff(want, o.cbuf); i >= 0 {
					t.Fatalf("%s %s: SgemmPanels differs from Workspace.Sgemm at cbuf[%d]: %v vs %v", name, o, i, o.cbuf[i], want[i])
				}
				o.check(t, name+" SgemmPanels "+o.String())
			}
		}
		// The second shape runs a transposed tile where the family has one.
		for _, s := range [][3]int{{2*kern.mr + 1, 2*kern.nr + 1, kern.kc + 3}, {512, 49, 40}} {
			m, n, k := s[0], s[1], s[2]
			a, c := randSlice(rng, m*k), make([]float32, m*n)
			src := &matPanels{t: t, k: k, n: n, ldb: n, b: randSlice(rng, k*n)}
			var fresh Workspace
			fresh.Reserve(m, n, k)
			if allocs := testing.AllocsPerRun(5, func() { fresh.SgemmPanels(m, n, k, a, k, src, 0, c, n) }); allocs != 0 {
				t.Errorf("%s %v (tile %s): reserved SgemmPanels: %v allocations, want 0", name, s, choose(active(), m, n, k).name, allocs)
			}
		}
	}
}
