package gemm

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// configs are the kernels under test: every kernel this machine runs, with its
// real blocking and with tiny blocks (as gonum shrinks blockSize) so that
// every KC, MC and NC boundary is crossed at small, cheap sizes.
func configs() []*kernel {
	var ks []*kernel
	for _, k := range allTiles() {
		ks = append(ks, k, tiny(k))
	}
	return ks
}

// allTiles lists every tile of every kernel family this machine runs.
func allTiles() []*kernel {
	var ks []*kernel
	for _, name := range Kernels() {
		ks = append(ks, family(findKernel(name))...)
	}
	return ks
}

func tiny(k *kernel) *kernel {
	t := *k
	t.name += "-tiny"
	t.kc, t.mc, t.nc = 5, 2*k.mr, 2*k.nr
	return &t
}

func upTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

// sizes sweeps one dimension at a time around the blocking of kern: every
// size up to two register tiles + 1, then each cache block −1, +0, +1 and
// three blocks + 1, the others held at sizes with an edge tile.
func sizes(kern *kernel) [][3]int {
	mr, nr, kc, mc, nc := kern.mr, kern.nr, kern.kc, kern.mc, kern.nc
	if kern.trans { // the tile runs over Cᵀ: its rows are C's columns
		mr, nr, mc, nc = nr, mr, nc, mc
	}
	ms := append(upTo(2*mr+1), mc-1, mc, mc+1, 2*mc+1, 3*mc+1)
	ns := append(upTo(2*nr+1), nc-1, nc, nc+1, 2*nc+1, 3*nc+1)
	ks := append(upTo(4), kc-1, kc, kc+1, 2*kc, 3*kc+1)
	if raceEnabled {
		ms, ns, ks = ms[len(ms)-6:], ns[len(ns)-6:], ks[len(ks)-4:]
	}
	// k0 is small for the m and n sweeps (they may be long); the k sweep crosses KC.
	m0, n0, k0 := mr+3, nr+5, 7
	var out [][3]int
	for _, m := range ms {
		out = append(out, [3]int{m, n0, k0})
	}
	for _, n := range ns {
		out = append(out, [3]int{m0, n, k0})
	}
	for _, k := range ks {
		out = append(out, [3]int{m0, n0, k})
	}
	if *long {
		bm := append(upTo(mr+1), mc-1, mc+1, 3*mc+1)
		bn := append(upTo(nr+1), nc-1, nc+1, 3*nc+1)
		bk := []int{1, 2, kc - 1, kc + 1, 3*kc + 1}
		if kc*mc*nc >= 1<<16 { // real blocks: one large dimension at most
			bm, bn, bk = append(upTo(mr+1), mc+1), upTo(nr+1), []int{1, kc + 1}
		}
		for _, m := range bm {
			for _, n := range bn {
				for _, k := range bk {
					out = append(out, [3]int{m, n, k})
				}
			}
		}
	}
	if kc*mc*nc < 1<<16 { // tiny blocks: all three dimensions past three blocks at once
		out = append(out, [3]int{3*mc + 1, 3*nc + 1, 3*kc + 1})
	}
	out = slices.DeleteFunc(out, func(s [3]int) bool { return s[0] < 1 || s[1] < 1 || s[2] < 1 })
	return out
}

// long adds every pair of boundary sizes (all three dimensions at once) to
// the one-dimension-at-a-time sweeps.
var long = flag.Bool("gemm.long", false, "sweep pairs of boundary sizes too (slow)")

var betas = []float32{0, 1, -0.75}

func betaFor(beta float32, ints bool) float32 {
	if ints && beta == -0.75 {
		return 2 // keeps integer data exact
	}
	return beta
}

func TestSgemmSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	workers := []int{1, 2, 3}
	if raceEnabled {
		workers = []int{3}
	}
	for _, kern := range configs() {
		if raceEnabled && !slices.Contains([]string{"tiny"}, kern.name[max(0, len(kern.name)-4):]) {
			continue
		}
		t.Run(kern.name, func(t *testing.T) {
			fails := 0
			for _, s := range sizes(kern) {
				for _, w := range workers {
					for _, beta := range betas {
						for _, ints := range []bool{false, true} {
							o := newOperands(rng, s[0], s[1], s[2], betaFor(beta, ints), ints)
							sgemm(kern, w, o.m, o.n, o.k, o.aArg(), o.lda, rawB{o.bArg(), o.ldb}, o.beta, o.cArg(), o.ldc)
							if !o.check(t, fmt.Sprintf("%s workers=%d", o, w)) {
								fails++
							}
							if fails > 5 {
								t.Fatal("too many failures")
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmPublic runs the exported entry points under every kernel.
func TestSgemmPublic(t *testing.T) {
	defer SetKernel(Kernels()[0])
	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range Kernels() {
		if err := SetKernel(name); err != nil {
			t.Fatal(err)
		}
		if Kernel() != name {
			t.Fatalf("Kernel() = %q after SetKernel(%q)", Kernel(), name)
		}
		shapes := [][3]int{{1, 1, 1}, {37, 71, 300}, {100, 33, 513}}
		if raceEnabled {
			shapes = [][3]int{{1, 1, 1}, {15, 33, 257}}
		}
		for _, s := range shapes {
			for _, beta := range betas {
				o := newOperands(rng, s[0], s[1], s[2], beta, false)
				Sgemm(2, o.m, o.n, o.k, o.aArg(), o.lda, o.bArg(), o.ldb, o.beta, o.cArg(), o.ldc)
				o.check(t, name+" Sgemm "+o.String())

				o = newOperands(rng, s[0], s[1], s[2], beta, false)
				pb := PackB(o.k, o.n, o.bArg(), o.ldb)
				if pb.Kernel() != name || pb.K() != o.k || pb.N() != o.n {
					t.Fatalf("PackB: kernel %q k %d n %d", pb.Kernel(), pb.K(), pb.N())
				}
				SgemmPacked(2, o.m, o.aArg(), o.lda, pb, o.beta, o.cArg(), o.ldc)
				o.check(t, name+" SgemmPacked "+o.String())
			}
		}
	}
	if SetKernel("no-such-kernel") == nil {
		t.Error("SetKernel accepted an unknown name")
	}
}

// TestKZero checks that k = 0 scales C by beta, and that beta = 0 clears NaN.
func TestKZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, beta := range betas {
		o := newOperands(rng, 5, 7, 0, beta, false)
		Sgemm(1, o.m, o.n, 0, nil, 1, nil, o.n, o.beta, o.cArg(), o.ldc)
		o.check(t, o.String())
	}
}

// TestDeterminism demands bit-identical C for workers 1…4, for shapes split
// along m and along n, and from SgemmPacked as from Sgemm.
func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, kern := range configs() {
		if raceEnabled && kern.kc*kern.mc*kern.nc >= 1<<16 {
			continue // the tiny blocks cross the same boundaries, cheaper
		}
		shapes := [][3]int{{3*kern.mc + 1, kern.nr + 3, kern.kc + 7}, {kern.mr + 1, 3*kern.nr + 5, 2*kern.kc + 1}}
		if kern.kc*kern.mc*kern.nc < 1<<16 {
			shapes = append(shapes, [3]int{3*kern.mc + 1, 3*kern.nc + 1, 3*kern.kc + 1})
		}
		for _, s := range shapes {
			o := newOperands(rng, s[0], s[1], s[2], -0.75, false)
			var first []float32
			for w := 1; w <= 4; w++ {
				c := slices.Clone(o.cbuf)
				sgemm(kern, w, o.m, o.n, o.k, o.aArg(), o.lda, rawB{o.bArg(), o.ldb}, o.beta, c[guardWords:guardWords+(o.m-1)*o.ldc+o.n], o.ldc)
				if first == nil {
					first = c
				} else if i := firstDiff(first, c); i >= 0 {
					t.Errorf("%s %s: workers=%d differs from workers=1 at cbuf[%d]: %v vs %v", kern.name, o, w, i, c[i], first[i])
				}
				if kern.trans {
					continue // PackB packs for direct tiles only
				}
				pb := packBFor(kern, o.k, o.n, o.bArg(), o.ldb)
				c = slices.Clone(o.cbuf)
				sgemm(pb.kern, w, o.m, o.n, o.k, o.aArg(), o.lda, pb, o.beta, c[guardWords:guardWords+(o.m-1)*o.ldc+o.n], o.ldc)
				if i := firstDiff(first, c); i >= 0 {
					t.Errorf("%s %s: packed, workers=%d differs from Sgemm at cbuf[%d]: %v vs %v", kern.name, o, w, i, c[i], first[i])
				}
			}
			copy(o.cbuf, first)
			o.check(t, kern.name+" "+o.String())
		}
	}
}

func firstDiff(x, y []float32) int {
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return i
		}
	}
	return -1
}

// TestSgemmRapid draws shapes, strides, beta, workers and kernel at random.
func TestSgemmRapid(t *testing.T) {
	ks := configs()
	rapid.Check(t, func(rt *rapid.T) {
		kern := ks[rapid.IntRange(0, len(ks)-1).Draw(rt, "kernel")]
		m := rapid.IntRange(1, 3*kern.mr+2).Draw(rt, "m")
		n := rapid.IntRange(1, 3*kern.nr+2).Draw(rt, "n")
		k := rapid.IntRange(1, 40).Draw(rt, "k")
		beta := rapid.SampledFrom([]float32{0, 1, -0.75, 0.5}).Draw(rt, "beta")
		w := rapid.IntRange(1, 4).Draw(rt, "workers")
		ints := rapid.Bool().Draw(rt, "ints")
		seed := rapid.Uint64().Draw(rt, "seed")
		o := newOperands(rand.New(rand.NewPCG(seed, 9)), m, n, k, betaFor(beta, ints), ints)
		sgemm(kern, w, m, n, k, o.aArg(), o.lda, rawB{o.bArg(), o.ldb}, o.beta, o.cArg(), o.ldc)
		o.check(rt, fmt.Sprintf("%s workers=%d %s", kern.name, w, o))
	})
}

func TestArgErrors(t *testing.T) {
	buf := make([]float32, 100)
	cases := []struct {
		want string
		call func()
	}{
		{errNegDim, func() { Sgemm(1, -1, 2, 2, buf, 2, buf, 2, 0, buf, 2) }},
		{errShortLdA, func() { Sgemm(1, 2, 2, 3, buf, 2, buf, 2, 0, buf, 2) }},
		{errShortLdB, func() { Sgemm(1, 2, 3, 2, buf, 2, buf, 2, 0, buf, 3) }},
		{errShortLdC, func() { Sgemm(1, 2, 3, 2, buf, 2, buf, 3, 0, buf, 2) }},
		{errShortA, func() { Sgemm(1, 20, 2, 9, buf, 9, buf, 2, 0, buf, 2) }},
		{errShortB, func() { Sgemm(1, 1, 2, 90, buf, 90, buf, 2, 0, buf, 2) }},
		{errShortC, func() { Sgemm(1, 60, 2, 1, buf, 1, buf, 2, 0, buf, 2) }},
		{errPackedNil, func() { SgemmPacked(1, 2, buf, 2, nil, 0, buf, 2) }},
		{errShortLdB, func() { PackB(2, 3, buf, 2) }},
		{errPackedANil, func() { SgemmPackedA(1, nil, 2, buf, 2, 0, buf, 2) }},
		{errPackedANil, func() { new(Workspace).SgemmPackedAPanels(nil, 2, nil, 0, buf, 2) }},
		{errShortLdA, func() { PackA(2, 3, buf, 2) }},
		{errShortB, func() { SgemmPackedA(1, PackA(1, 90, buf, 90), 2, buf, 2, 0, buf, 2) }},
		{errPanelsNil, func() { new(Workspace).SgemmPanels(2, 2, 2, buf, 2, nil, 0, buf, 2) }},
		{errPackedANil, func() { new(Workspace).SgemmPackedABias(nil, 2, buf, 2, buf, buf, 2) }},
		{errShortBias, func() { new(Workspace).SgemmPackedABias(PackA(3, 2, buf, 2), 2, buf, 2, buf[:2], buf, 2) }},
	}
	for _, c := range cases {
		func() {
			defer func() {
				if r := recover(); r != c.want {
					t.Errorf("panic %v, want %q", r, c.want)
				}
			}()
			c.call()
		}()
	}
}

// TestTilesAgree demands the same bits from every tile of a family (the
// guarantee that lets choose pick a tile per product): random non-integer
// data, beta −0.75 (so the fused S + beta·C merge shows), shapes with edge
// tiles in both dimensions and several KC blocks, real and tiny MC/NC.
func TestTilesAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, name := range Kernels() {
		fam := family(findKernel(name))
		if len(fam) < 2 {
			continue
		}
		for _, s := range [][3]int{{17, 53, 300}, {33, 97, 513}, {9, 31, 7}, {50, 49, 260}} {
			o := newOperands(rng, s[0], s[1], s[2], -0.75, false)
			var first []float32
			for _, kern := range fam {
				small := tiny(kern)
				small.kc = fam[0].kc // the family's KC, with tiny MC and NC
				for _, kk := range []*kernel{kern, small} {
					c := slices.Clone(o.cbuf)
					sgemm(kk, 2, o.m, o.n, o.k, o.aArg(), o.lda, rawB{o.bArg(), o.ldb}, o.beta, c[guardWords:guardWords+(o.m-1)*o.ldc+o.n], o.ldc)
					if first == nil {
						first = c
						continue
					}
					if i := firstDiff(first, c); i >= 0 {
						t.Errorf("%s %s: differs from %s at cbuf[%d]: %v vs %v", kk.name, o, fam[0].name, i, c[i], first[i])
					}
				}
			}
			copy(o.cbuf, first)
			o.check(t, name+" "+o.String())
		}
	}
}

// TestTileChoice pins the rule choose applies (least padded work, weighed
// by efficiency and tPenalty) on shapes where it matters, and that Tile
// reports it.
func TestTileChoice(t *testing.T) {
	fam := findKernel(Kernels()[0])
	if fam.name != "avx512" {
		t.Skip("tile choice is only among AVX-512 tiles")
	}
	cases := []struct {
		m, n, k int
		want    string
	}{
		{16, 4096, 1936, "avx512-8x48"}, // m = 16: 8 rows × 2, no padding (14 rows would pad to 28)
		{32, 4096, 864, "avx512-8x48"},  // 32 rows exactly (14 rows pad to 42)
		{64, 3136, 576, "avx512-8x48"},  // B is 7 MiB: 14×32 at 0.8 (bigB)
		{64, 512, 576, "avx512"},        // B is 1.2 MiB: 70×512 beats 64×528 / 0.9
		{512, 49, 4608, "avx512-7x48ᵀ"}, // n = 49 = 7·7 along the transposed tile's rows
		{2048, 49, 512, "avx512-7x48ᵀ"}, //
		{1024, 1024, 1024, "avx512"},    // 1036×1024 padded beats 8×48's 1024×1056
		{14, 32, 100, "avx512"},
	}
	for _, c := range cases {
		got := choose(fam, c.m, c.n, c.k)
		var want *kernel
		for _, s := range family(fam) {
			if s.name == c.want {
				want = s
			}
		}
		cost := func(s *kernel) float64 { return tileCost(s, c.m, c.n, c.k) }
		if got != want {
			t.Errorf("%d×%d×%d: chose %s (cost %.0f), want %s (cost %.0f)", c.m, c.n, c.k, got.name, cost(got), c.want, cost(want))
		}
		for _, s := range family(fam) {
			if cost(s) < cost(got) {
				t.Errorf("%d×%d×%d: chose %s (cost %.0f) but %s costs %.0f", c.m, c.n, c.k, got.name, cost(got), s.name, cost(s))
			}
		}
		if mr, nr, tr := Tile(c.m, c.n, c.k); Kernel() == "avx512" && (mr != got.mr || nr != got.nr || tr != got.trans) {
			t.Errorf("Tile(%d, %d, %d) = %d, %d, %v; choose gives %s", c.m, c.n, c.k, mr, nr, tr, got.name)
		}
	}
}
