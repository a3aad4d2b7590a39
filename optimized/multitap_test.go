package optimized

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forEachMultiTapISA runs f with each row kernel this machine runs in use
// in turn (the AVX2 one on AVX-512 machines too), as a subtest named by
// the kernel.
func forEachMultiTapISA(t *testing.T, f func(t *testing.T)) {
	old := multiTapISA
	defer func() { multiTapISA = old }()
	for _, isa := range []multiTapISAKind{multiTapAVX512ISA, multiTapAVX2ISA, multiTapGoISA} {
		if multiTapCanRun(isa) {
			multiTapISA = isa
			t.Run(isa.String(), f)
		}
	}
}

// TestMultiTapMatchesGo checks each assembly row kernel against its pure-Go
// twin at every length up to 200 (64-wide passes with AVX-512, 32-wide with AVX2, masked tails), with guard
// elements around out.
func TestMultiTapMatchesGo(t *testing.T) { forEachMultiTapISA(t, testMultiTapMatchesGo) }

func testMultiTapMatchesGo(t *testing.T) {
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
			tp.run(a[1:n+1], n, 1, n, base, 0, w, 3)
			multiTapGo(b[1:n+1], base, offs, w, 3)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("n=%d taps=%d (%s): element %d: %v vs %v", n, taps, multiTapKernel(), i, a[i], b[i])
				}
			}
		}
	}
}

// TestMultiTapRows checks the multi-row form (AVX-512: rows four, then
// two at a time, an odd last one; AVX2: three, then two, then one)
// against row-by-row Go at every length up to 140 (every pass width and
// tail) and 1–7 rows, with output and input row strides and guard
// elements between and after the rows.
func TestMultiTapRows(t *testing.T) { forEachMultiTapISA(t, testMultiTapRows) }

func testMultiTapRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= 140; n++ {
		for rows := 1; rows <= 7; rows++ {
			ldo, ldb := n+rng.IntN(4), n+7+rng.IntN(3)
			base := make([]float32, rows*ldb+16)
			for i := range base {
				base[i] = float32(rng.IntN(9) - 4)
			}
			offs := []int{0, 1, 5, 2}
			w := []float32{1, -2, 3, 2}
			tp := newTapPlan(offs)
			a := make([]float32, rows*ldo+5)
			for i := range a {
				a[i] = -99
			}
			tp.run(a, n, rows, ldo, base, ldb, w, 0.5)
			for r := 0; r < rows; r++ {
				want := make([]float32, n)
				multiTapGo(want, base[r*ldb:], offs, w, 0.5)
				for i := 0; i < ldo; i++ {
					got := a[r*ldo+i]
					if i < n && got != want[i] || i >= n && got != -99 {
						t.Fatalf("n=%d rows=%d row %d col %d (%s): got %v", n, rows, r, i, multiTapKernel(), got)
					}
				}
			}
			for _, g := range a[rows*ldo:] {
				if g != -99 {
					t.Fatalf("n=%d rows=%d: guard after the rows overwritten", n, rows)
				}
			}
		}
	}
}

// TestCopyRows1 checks the row copy at every length up to 70 and 1–3 rows
// against copy, with guards between and after the rows.
func TestCopyRows1(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= 70; n++ {
		for rows := 1; rows <= 3; rows++ {
			ldd, lds := n+rng.IntN(5), n+rng.IntN(3)
			src := make([]float32, rows*lds)
			for i := range src {
				src[i] = float32(rng.IntN(9) - 4)
			}
			got := make([]float32, rows*ldd+3)
			want := make([]float32, len(got))
			for i := range got {
				got[i], want[i] = -99, -99
			}
			copyRows1(got, ldd, src, lds, n, rows)
			for r := 0; r < rows; r++ {
				copy(want[r*ldd:r*ldd+n], src[r*lds:])
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("n=%d rows=%d (%s): element %d: got %v, want %v", n, rows, multiTapKernel(), i, got[i], want[i])
				}
			}
		}
	}
}

// TestScatter2Rows checks the stride-2 row store at every length up to 70
// and 1–3 rows against a scalar loop, with guards in the odd elements,
// between the rows and after the last.
func TestScatter2Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := 1; n <= 70; n++ {
		for rows := 1; rows <= 3; rows++ {
			ldd, lds := 2*n-1+rng.IntN(5), n+rng.IntN(3)
			src := make([]float32, (rows-1)*lds+n)
			for i := range src {
				src[i] = float32(rng.IntN(9) - 4)
			}
			got := make([]float32, (rows-1)*ldd+2*n-1+3)
			want := make([]float32, len(got))
			for i := range got {
				got[i], want[i] = -99, -99
			}
			scatter2Rows(got, ldd, src, lds, n, rows)
			for r := 0; r < rows; r++ {
				for i := 0; i < n; i++ {
					want[r*ldd+2*i] = src[r*lds+i]
				}
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("n=%d rows=%d (%s): element %d: got %v, want %v", n, rows, multiTapKernel(), i, got[i], want[i])
				}
			}
		}
	}
}

// TestZip2Rows checks the two-phase interleaving store at every length up
// to 70 and 1–3 rows against a scalar loop, with guards between the rows
// and after the last, and sources that end at the last element read,
// with NaN between their rows (a read of one would show in the output).
func TestZip2Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	nan := float32(math.NaN())
	for n := 1; n <= 70; n++ {
		for rows := 1; rows <= 3; rows++ {
			ldd, lds := 2*n+rng.IntN(5), n+rng.IntN(3)
			a, b := make([]float32, (rows-1)*lds+n), make([]float32, (rows-1)*lds+n)
			for i := range a {
				a[i], b[i] = nan, nan
				if i%lds < n {
					a[i], b[i] = float32(rng.IntN(9)-4), float32(rng.IntN(9)+10)
				}
			}
			got := make([]float32, (rows-1)*ldd+2*n+3)
			want := make([]float32, len(got))
			for i := range got {
				got[i], want[i] = -99, -99
			}
			zip2Rows(got, ldd, a, b, lds, n, rows)
			for r := 0; r < rows; r++ {
				for i := 0; i < n; i++ {
					want[r*ldd+2*i], want[r*ldd+2*i+1] = a[r*lds+i], b[r*lds+i]
				}
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("n=%d rows=%d (%s): element %d: got %v, want %v", n, rows, multiTapKernel(), i, got[i], want[i])
				}
			}
		}
	}
}

// TestGather2Rows checks the stride-2 row gather at every length up to 70
// and 1–3 rows against a scalar loop, with guards between the rows and
// after the last, and a source that ends at the last element read, its
// odd elements NaN (a read of one would show in the output).
func TestGather2Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	nan := float32(math.NaN())
	for n := 1; n <= 70; n++ {
		for rows := 1; rows <= 3; rows++ {
			ldd, lds := n+rng.IntN(5), 2*n-1+rng.IntN(4)
			src := make([]float32, (rows-1)*lds+2*n-1)
			for i := range src {
				src[i] = nan
			}
			for r := 0; r < rows; r++ {
				for i := 0; i < n; i++ {
					src[r*lds+2*i] = float32(rng.IntN(9) - 4)
				}
			}
			got := make([]float32, (rows-1)*ldd+n+3)
			want := make([]float32, len(got))
			for i := range got {
				got[i], want[i] = -99, -99
			}
			gather2Rows(got, ldd, src, lds, n, rows)
			for r := 0; r < rows; r++ {
				for i := 0; i < n; i++ {
					want[r*ldd+i] = src[r*lds+2*i]
				}
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("n=%d rows=%d (%s): element %d: got %v, want %v", n, rows, multiTapKernel(), i, got[i], want[i])
				}
			}
		}
	}
}

// TestDeinterleave2 checks the pair split at every length up to 70
// against a scalar loop, with guards after both halves, in the build's
// kernel (AVX2 assembly where the machine has it) and in Go.
func TestDeinterleave2(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	old := hasDeinterleaveAVX2
	defer func() { hasDeinterleaveAVX2 = old }()
	for _, asm := range []bool{old, false} {
		hasDeinterleaveAVX2 = asm
		for n := 0; n <= 70; n++ {
			src := make([]float32, 2*n)
			for i := range src {
				src[i] = float32(rng.IntN(99) - 49)
			}
			even, odd := make([]float32, n+3), make([]float32, n+3)
			for i := range even {
				even[i], odd[i] = -99, -99
			}
			deinterleave2(even[:n], odd[:n], src)
			for j := range even {
				we, wo := float32(-99), float32(-99)
				if j < n {
					we, wo = src[2*j], src[2*j+1]
				}
				if even[j] != we || odd[j] != wo {
					t.Fatalf("n=%d asm=%v: pair %d: got %v %v, want %v %v", n, asm, j, even[j], odd[j], we, wo)
				}
			}
		}
	}
}
