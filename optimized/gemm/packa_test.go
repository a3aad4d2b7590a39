package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPackedA: A packed once, for every tile of every family (and for the
// tile PackA picks), multiplied by Sgemm's entry points with packed A —
// SgemmPackedA on 1…3 workers, Workspace.SgemmPackedA and
// Workspace.SgemmPackedAPanels — gives Sgemm's bits, for shapes around the
// tile and block edges, with the guard words around C intact.
func TestPackedA(t *testing.T) {
	defer SetKernel(Kernels()[0])
	rng := rand.New(rand.NewPCG(31, 32))
	var ws Workspace
	transposedRuns := 0
	defer func() {
		if len(family(findKernel(Kernels()[0]))) > 3 && transposedRuns == 0 {
			t.Error("no shape ran a transposed tile with a PackedA")
		}
	}()
	for _, name := range Kernels() {
		if err := SetKernel(name); err != nil {
			t.Fatal(err)
		}
		for _, tile := range append(family(active()), nil) {
			if tile != nil && tile.trans {
				continue // PackA packs for direct tiles; the transposed ones repack it (the nil case)
			}
			mr, nr, kc := 14, 32, 256
			if tile != nil {
				mr, nr, kc = tile.mr, tile.nr, tile.kc
			}
			shapes := [][3]int{{1, 1, 1}, {mr + 1, nr - 1, 3}, {mr, nr + 1, kc + 1}, {2*mr + 3, 3*nr + 7, 2*kc + 5}, {200, 9, 40}, {512, 49, 40}}
			if raceEnabled {
				shapes = [][3]int{shapes[1], shapes[2], shapes[len(shapes)-1]}
			}
			for _, s := range shapes {
				for _, beta := range betas {
					o := newOperands(rng, s[0], s[1], s[2], beta, false)
					want := slices.Clone(o.cbuf)
					wantC := want[guardWords : guardWords+(o.m-1)*o.ldc+o.n]
					Sgemm(1, o.m, o.n, o.k, o.aArg(), o.lda, o.bArg(), o.ldb, o.beta, wantC, o.ldc)
					var pa *PackedA
					if tile == nil {
						// into a reused buffer (PackAInto): poisoned,
						// with guard words past what it may write
						n := PackedALen(o.m, o.k)
						buf := make([]float32, n+guardWords)
						for i := range buf {
							buf[i] = float32(math.NaN())
						}
						buf[n] = guard
						pa = PackAInto(buf, o.m, o.k, o.aArg(), o.lda)
						if buf[n] != guard || n > 0 && &pa.data[0] != &buf[0] {
							t.Fatalf("%s %v: PackAInto wrote past PackedALen or did not use the buffer", name, s)
						}
					} else {
						pa = packAFor(tile, o.m, o.k, o.aArg(), o.lda)
					}
					if pa.kernelFor(o.n).trans {
						transposedRuns++
					}
					if pa.M() != o.m || pa.K() != o.k {
						t.Fatalf("PackA: m %d k %d, want %d %d", pa.M(), pa.K(), o.m, o.k)
					}
					calls := []struct {
						name string
						f    func(c []float32)
					}{
						{"ws.SgemmPackedA", func(c []float32) { ws.SgemmPackedA(pa, o.n, o.bArg(), o.ldb, o.beta, c, o.ldc) }},
						{"ws.SgemmPackedAPanels", func(c []float32) {
							ws.SgemmPackedAPanels(pa, o.n, &matPanels{k: o.k, n: o.n, ldb: o.ldb, b: o.bArg()}, o.beta, c, o.ldc)
						}},
					}
					for w := 1; w <= 3; w++ {
						calls = append(calls, struct {
							name string
							f    func(c []float32)
						}{fmt.Sprintf("SgemmPackedA workers=%d", w), func(c []float32) { SgemmPackedA(w, pa, o.n, o.bArg(), o.ldb, o.beta, c, o.ldc) }})
					}
					for _, call := range calls {
						got := slices.Clone(o.cbuf)
						call.f(got[guardWords : guardWords+(o.m-1)*o.ldc+o.n])
						label := fmt.Sprintf("%s tile %s %s", call.name, pa.Kernel(), o)
						if i := firstDiff(want, got); i >= 0 {
							t.Fatalf("%s: differs from Sgemm at cbuf[%d]: %v vs %v", label, i, got[i], want[i])
						}
					}
					copy(o.cbuf, want)
					o.check(t, "PackedA "+o.String())
				}
			}
		}
		m, n, k := 40, 70, 300
		a, b, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		pa := PackA(m, k, a, k)
		src := &matPanels{k: k, n: n, ldb: n, b: b}
		ws.Reserve(m, n, k)
		if allocs := testing.AllocsPerRun(5, func() {
			ws.SgemmPackedA(pa, n, b, n, 0, c, n)
			ws.SgemmPackedAPanels(pa, n, src, 1, c, n)
		}); allocs != 0 {
			t.Errorf("%s: reserved SgemmPackedA/SgemmPackedAPanels: %v allocations, want 0", name, allocs)
		}
	}
}

// TestPackAChoice: PackA picks the tile that pads m least.
func TestPackAChoice(t *testing.T) {
	fam := family(active())
	for _, m := range []int{1, 7, 8, 14, 16, 28, 32, 64, 100} {
		got := chooseM(active(), m)
		for _, s := range fam {
			if s.trans {
				continue
			}
			if ceilTo(m, s.mr)*1000/int(1000*s.efficiency()) < ceilTo(m, got.mr)*1000/int(1000*got.efficiency()) {
				t.Errorf("m=%d: PackA chose %s (%d rows), %s pads to %d", m, got.name, ceilTo(m, got.mr), s.name, ceilTo(m, s.mr))
			}
		}
	}
}

// TestPackedAConcurrent: goroutines sharing one fresh PackedA, whose first
// products build its other layouts concurrently, all get Sgemm's bits (and
// -race sees no race).
func TestPackedAConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	m, k := 64, 70
	a := randSlice(rng, m*k)
	pa := PackA(m, k, a, k)
	ns := []int{9, 9, 9, 49, 512} // n = 9 runs transposed: three goroutines race to build that layout
	if tile := pa.kernelFor(9); !tile.trans && len(family(active())) > 3 {
		t.Errorf("n=9 runs %s, want a transposed tile (the test's premise)", tile.name)
	}
	type job struct {
		n            int
		b, want, got []float32
	}
	var jobs []*job
	for _, n := range ns {
		j := &job{n: n, b: randSlice(rng, k*n), want: make([]float32, m*n), got: make([]float32, m*n)}
		Sgemm(1, m, n, k, a, k, j.b, n, 0, j.want, n)
		jobs = append(jobs, j)
	}
	done := make(chan struct{})
	for _, j := range jobs {
		go func() {
			var ws Workspace
			ws.SgemmPackedAPanels(pa, j.n, &matPanels{k: k, n: j.n, ldb: j.n, b: j.b}, 0, j.got, j.n)
			done <- struct{}{}
		}()
	}
	for range jobs {
		<-done
	}
	for _, j := range jobs {
		if i := firstDiff(j.want, j.got); i >= 0 {
			t.Errorf("n=%d (tile %s): c[%d] = %v, Sgemm %v", j.n, pa.kernelFor(j.n).name, i, j.got[i], j.want[i])
		}
	}
}
