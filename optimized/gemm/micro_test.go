package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMicroKernels checks each micro-kernel against the contract in
// kernel.micro, alone, at every kc from 0 to 70 and a few past KC, in both
// store modes, with NaN in C for the overwrite mode and guard words around
// and between the rows of the tile (ldc > NR), as math/big checks each
// assembly routine against its pure-Go twin. Integer data makes it exact.
func TestMicroKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, kern := range allTiles() {
		name := kern.name
		mr, nr := kern.mr, kern.nr
		kcs := append(upTo(70), 0, kern.kc-1, kern.kc, kern.kc+1, 2*kern.kc+3)
		for _, kc := range kcs {
			for _, accum := range []bool{false, true} {
				for _, fused := range []bool{false, true} {
					if fused && kern.microPack == nil {
						continue
					}
					a := make([]float32, kc*mr+1)
					b := make([]float32, kc*nr+1)
					for i := range a {
						a[i] = float32(rng.IntN(17) - 8)
					}
					for i := range b {
						b[i] = float32(rng.IntN(17) - 8)
					}
					ldc := nr + 3
					buf := make([]float32, 2*guardWords+mr*ldc)
					for i := range buf {
						buf[i] = guard
					}
					beta := float32(-2)
					want := make([]float32, mr*nr)
					for i := range mr {
						for j := range nr {
							var s float32
							for p := range kc {
								s += a[p*mr+i] * b[p*nr+j]
							}
							c0 := float32(math.NaN())
							if accum {
								c0 = float32(rng.IntN(9) - 4)
								s += beta * c0
							}
							buf[guardWords+i*ldc+j] = c0
							want[i*nr+j] = s
						}
					}
					c := buf[guardWords : guardWords+(mr-1)*ldc+nr]
					label := fmt.Sprintf("%s kc=%d accum=%v fused=%v", name, kc, accum, fused)
					if fused {
						// B rows spread ldb apart, NaN between them; the packed copy must come out equal to b.
						ldb := nr + 5
						src := make([]float32, max(1, kc)*ldb)
						for i := range src {
							src[i] = float32(math.NaN())
						}
						for p := range kc {
							copy(src[p*ldb:], b[p*nr:(p+1)*nr])
						}
						packed := make([]float32, len(b))
						packed[len(packed)-1] = b[len(b)-1]
						if kc == 0 {
							continue // microPack needs a first B row to read
						}
						kern.microPack(kc, a, src, ldb, packed, c, ldc, beta, accum)
						if !slices.Equal(packed, b) {
							t.Errorf("%s: packed B panel differs from B", label)
						}
					} else if kc == 0 {
						kern.micro(0, a, b, c, ldc, beta, accum)
					} else {
						kern.micro(kc, a, b, c, ldc, beta, accum)
					}
					for i, v := range buf {
						r, col := (i-guardWords)/ldc, (i-guardWords)%ldc
						inTile := i >= guardWords && r < mr && col < nr
						if !inTile {
							if math.Float32bits(v) != math.Float32bits(guard) {
								t.Errorf("%s: smashed guard at buf[%d]", label, i)
							}
							continue
						}
						if got, w := v, want[r*nr+col]; got != w {
							t.Errorf("%s: C[%d,%d] = %v, want %v", label, r, col, got, w)
						}
					}
				}
			}
		}
	}
}

// TestPackAssembly compares the assembly A packer with the Go one on every
// panel height and many widths: the packed panels must be identical.
func TestPackAssembly(t *testing.T) {
	if packFull14 == nil {
		t.Skip("no assembly packer on this machine or build")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, mcur := range []int{47, 48, 49, 96, 100} {
		for _, kcur := range []int{1, 15, 16, 17, 33, 256} {
			lda := kcur + 1 + rng.IntN(5)
			a := randSlice(rng, (mcur+1)*lda)
			got := packA(make([]float32, (mcur+48)*kcur), a, lda, 1, mcur, 1, kcur, 48)
			saved := packFull48
			packFull48 = nil
			want := packA(make([]float32, (mcur+48)*kcur), a, lda, 1, mcur, 1, kcur, 48)
			packFull48 = saved
			if i := firstDiff(got, want); i >= 0 {
				t.Errorf("48 rows: mcur=%d kcur=%d lda=%d: packed[%d] = %v, want %v", mcur, kcur, lda, i, got[i], want[i])
			}
		}
	}
	for _, mcur := range []int{1, 13, 14, 15, 28, 41} {
		for _, kcur := range []int{1, 15, 16, 17, 31, 32, 33, 64, 255, 256} {
			lda := kcur + 1 + rng.IntN(5)
			a := randSlice(rng, (mcur+1)*lda)
			got := packA(make([]float32, (mcur+14)*kcur), a, lda, 1, mcur, 1, kcur, 14)
			saved := packFull14
			packFull14 = nil
			want := packA(make([]float32, (mcur+14)*kcur), a, lda, 1, mcur, 1, kcur, 14)
			packFull14 = saved
			if i := firstDiff(got, want); i >= 0 {
				t.Errorf("mcur=%d kcur=%d lda=%d: packed[%d] = %v, want %v", mcur, kcur, lda, i, got[i], want[i])
			}
		}
	}
}

// TestMicroRows checks each tile's row-remainder kernel (kernel.microRows)
// at every row count below MR, against exact integer sums at kc from 0 to
// 20 and around KC, in both store modes: the rows it computes hold the sum
// (NaN in C for the overwrite mode), and the rows below them, the gaps
// between rows and the words around the tile keep their guards. With
// random floats it must also give the bits of the full tile's first rows.
func TestMicroRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	tested := false
	for _, kern := range allTiles() {
		if kern.microRows == nil {
			continue
		}
		tested = true
		mr, nr := kern.mr, kern.nr
		ldc := nr + 3
		for rows := 1; rows < mr; rows++ {
			for _, kc := range append(upTo(20), kern.kc-1, kern.kc, kern.kc+1) {
				for _, accum := range []bool{false, true} {
					a := make([]float32, kc*mr)
					b := make([]float32, kc*nr)
					for i := range a {
						a[i] = float32(rng.IntN(17) - 8)
					}
					for i := range b {
						b[i] = float32(rng.IntN(17) - 8)
					}
					buf := make([]float32, 2*guardWords+mr*ldc)
					for i := range buf {
						buf[i] = guard
					}
					beta := float32(3)
					want := make([]float32, rows*nr)
					for i := range rows {
						for j := range nr {
							var s float32
							for p := range kc {
								s += a[p*mr+i] * b[p*nr+j]
							}
							c0 := float32(math.NaN())
							if accum {
								c0 = float32(rng.IntN(9) - 4)
								s += beta * c0
							}
							buf[guardWords+i*ldc+j] = c0
							want[i*nr+j] = s
						}
					}
					kern.microRows(rows, kc, a, b, buf[guardWords:guardWords+(rows-1)*ldc+nr], ldc, beta, accum)
					label := fmt.Sprintf("%s rows=%d kc=%d accum=%v", kern.name, rows, kc, accum)
					for i, v := range buf {
						r, col := (i-guardWords)/ldc, (i-guardWords)%ldc
						if i >= guardWords && r < rows && col < nr {
							if w := want[r*nr+col]; v != w {
								t.Errorf("%s: C[%d,%d] = %v, want %v", label, r, col, v, w)
							}
						} else if math.Float32bits(v) != math.Float32bits(guard) {
							t.Errorf("%s: smashed guard at buf[%d]", label, i)
						}
					}
				}
			}
			// the same bits as the full tile's first rows, on random floats
			kc := kern.kc + 7
			a := make([]float32, kc*mr)
			b := make([]float32, kc*nr)
			full := make([]float32, mr*nr)
			for i := range a {
				a[i] = rng.Float32()*2 - 1
			}
			for i := range b {
				b[i] = rng.Float32()*2 - 1
			}
			for i := range full {
				full[i] = rng.Float32()
			}
			part := slices.Clone(full[:rows*nr])
			kern.micro(kc, a, b, full, nr, 0.5, true)
			kern.microRows(rows, kc, a, b, part, nr, 0.5, true)
			if i := firstDiff(full[:rows*nr], part); i >= 0 {
				t.Errorf("%s rows=%d: element %d is %v, the full tile's %v", kern.name, rows, i, part[i], full[i])
			}
		}
	}
	if !tested && Kernels()[0] == "avx512" {
		t.Error("the AVX-512 tile has no row-remainder kernel")
	}
}

// TestMicroN checks each tile's column-of-tiles kernel (kernel.microN)
// for 1–5 tiles at short and long k, in both store modes, against micro
// run tile by tile: every word of C the same bits (NaN in C for the
// overwrite mode, which must not reach the result), and the gaps between
// rows and the words around the column keep their guards.
func TestMicroN(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	tested := false
	for _, kern := range allTiles() {
		if kern.microN == nil {
			continue
		}
		tested = true
		mr, nr := kern.mr, kern.nr
		ldc := nr + 3
		for n := 1; n <= 5; n++ {
			for _, kc := range []int{1, 2, 3, 17, kern.kc, kern.kc + 1} {
				for _, accum := range []bool{false, true} {
					a := make([]float32, n*kc*mr)
					b := make([]float32, kc*nr)
					for i := range a {
						a[i] = rng.Float32()*2 - 1
					}
					for i := range b {
						b[i] = rng.Float32()*2 - 1
					}
					got := make([]float32, 2*guardWords+n*mr*ldc)
					for i := range got {
						got[i] = guard
					}
					for i := 0; i < n*mr; i++ {
						for j := 0; j < nr; j++ {
							c0 := float32(math.NaN())
							if accum {
								c0 = rng.Float32()
							}
							got[guardWords+i*ldc+j] = c0
						}
					}
					want := slices.Clone(got)
					c := func(s []float32) []float32 { return s[guardWords : guardWords+(n*mr-1)*ldc+nr] }
					kern.microN(n, kc, a, b, c(got), ldc, 0.5, accum)
					for tl := 0; tl < n; tl++ {
						kern.micro(kc, a[tl*kc*mr:(tl+1)*kc*mr], b, c(want)[tl*mr*ldc:], ldc, 0.5, accum)
					}
					if i := firstDiff(want, got); i >= 0 {
						t.Errorf("%s n=%d kc=%d accum=%v: word %d is %v, tile by tile %v", kern.name, n, kc, accum, i, got[i], want[i])
					}
				}
			}
		}
	}
	if !tested && slices.Contains(Kernels(), "avx2") {
		t.Error("the AVX2 tile has no column-of-tiles kernel")
	}
}
