//go:build !noasm

package gemm

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// kern14x32 and kern6x16 are the assembly micro-kernels (kernel_amd64.s): they
// compute an MR×NR tile from packed panels a (MR values per p) and b (NR per p)
// over k steps, storing S, or S + beta·C when accum ≠ 0.
//
//go:noescape
func kern14x32(k int, a, b, c *float32, ldc int, beta float32, accum int)

// kern14x32pack is kern14x32 reading each B row from bsrc (stride ldb
// floats) and storing it to the packed panel b as it goes.
//
//go:noescape
func kern14x32pack(k int, a, b, c *float32, ldc int, beta float32, accum int, bsrc *float32, ldb int)

//go:noescape
func kern6x16(k int, a, b, c *float32, ldc int, beta float32, accum int)

// Blocking for the 14×32 kernel: a B micro-panel (KC·32·4 B = 32 KiB) stays in
// the 48 KiB L1d while A panels stream from the MC×KC block in L2.
var avx512 = &kernel{
	name: "avx512",
	mr:   14, nr: 32,
	kc: 256, mc: 14 * 24, nc: 32 * 128,
	micro:     asmMicro(kern14x32, 14, 32),
	microPack: asmMicroPack(kern14x32pack, 14, 32),
	microHalf: asmMicroHalf(kern14x16, 14, 32),
	microRows: asmMicroRows(kern14x32rows[:], 14, 32),
	effBigB:   0.8,
}

// asmMicroRows adapts the kernels fs, fs[r] computing the first r rows of
// an mr×nr tile (fs[0] unused), to kernel.microRows, checking with the slice
// bounds that every word they touch lies inside a, b and c.
func asmMicroRows(fs []func(k int, a, b, c *float32, ldc int, beta float32, accum int), mr, nr int) func(int, int, []float32, []float32, []float32, int, float32, bool) {
	return func(rows, kc int, a, b, c []float32, ldc int, beta float32, accum bool) {
		if rows <= 0 || rows >= mr {
			panic(fmt.Sprintf("gemm: %d rows of a %d-row tile", rows, mr))
		}
		kc = max(kc, 0)
		_ = a[:kc*mr]
		_ = b[:kc*nr]
		_ = c[(rows-1)*ldc+nr-1]
		acc := 0
		if accum {
			acc = 1
		}
		fs[rows](kc, unsafe.SliceData(a), unsafe.SliceData(b), &c[0], ldc, beta, acc)
	}
}

// asmMicroPack adapts an assembly kernel that packs its B panel to
// kernel.microPack, checking with the slice bounds that every word it
// touches lies inside a, bsrc, b and c (kc ≥ 1).
func asmMicroPack(f func(k int, a, b, c *float32, ldc int, beta float32, accum int, bsrc *float32, ldb int), mr, nr int) func(int, []float32, []float32, int, []float32, []float32, int, float32, bool) {
	return func(kc int, a, bsrc []float32, ldb int, b, c []float32, ldc int, beta float32, accum bool) {
		_ = a[kc*mr-1]
		_ = bsrc[(kc-1)*ldb+nr-1]
		_ = b[kc*nr-1]
		_ = c[(mr-1)*ldc+nr-1]
		acc := 0
		if accum {
			acc = 1
		}
		f(kc, &a[0], &b[0], &c[0], ldc, beta, acc, &bsrc[0], ldb)
	}
}

// The 8×48 tile, for m a multiple of 8 (conv output channels): its B
// micro-panel (KC·48·4 B = 48 KiB) fills L1d, so macro keeps the 8 KiB A
// micro-panel in L1 instead (aOuter) and streams B panels from a B block
// (KC·NC·4 B ≈ 1 MiB) in the 2 MiB L2.
var avx512x8 = &kernel{
	name: "avx512-8x48",
	mr:   8, nr: 48,
	kc: 256, mc: 8 * 24, nc: 48 * 21,
	micro:  asmMicro(kern8x48, 8, 48),
	aOuter: true,
	eff:    0.9, // Sgemm GFLOP/s per padded flop vs 14×32 (BenchmarkSgemmConvTiles): 0.84–0.95
}

// The 7×48 tile: 8×48's blocking for m a multiple of 7; transposed, it
// fits C^T = Bᵀ·Aᵀ for products with n = 49 (7×7 output planes).
var avx512x7 = &kernel{
	name: "avx512-7x48",
	mr:   7, nr: 48,
	kc: 256, mc: 7 * 24, nc: 48 * 21,
	micro:  asmMicro(kern7x48, 7, 48),
	aOuter: true,
	eff:    0.9, // Sgemm GFLOP/s per padded flop vs 14×32 (BenchmarkSgemmConvTiles): 0.84–0.95
}

// The AVX2 tile's B block (KC·NC·4 B = 512 KiB) is a Zen 3 core's L2:
// the packed panels are read back from there, not from L3. Paired over
// NC = 4096, one core: 64×3136×256 1.025, 64×12544×32 1.015,
// 128×3136×128 1.012, 256×3136×64 1.008, 512×784×128 1.00 (1024: about
// half those gains).
var avx2 = &kernel{
	name: "avx2",
	mr:   6, nr: 16,
	kc: 256, mc: 6 * 24, nc: 16 * 32,
	micro:     asmMicro(kern6x16, 6, 16),
	microHalf: asmMicroHalf(kern6x8, 6, 16),
	microRows: asmMicroRows(kern6x16rows[:], 6, 16),
	microN:    asmMicroN(kern6x16n, 6, 16),
}

//go:noescape
func kern6x16n(n, k int, a, b, c *float32, ldc int, beta float32, accum int)

// asmMicroN adapts an assembly kernel over n tiles down one B panel to
// kernel.microN, checking with the slice bounds that every word it
// touches lies inside a, b and c.
func asmMicroN(f func(n, k int, a, b, c *float32, ldc int, beta float32, accum int), mr, nr int) func(int, int, []float32, []float32, []float32, int, float32, bool) {
	return func(n, kc int, a, b, c []float32, ldc int, beta float32, accum bool) {
		if n < 1 || kc < 1 {
			panic(fmt.Sprintf("gemm: %d tiles of k = %d", n, kc))
		}
		_ = a[n*kc*mr-1]
		_ = b[kc*nr-1]
		_ = c[(n*mr-1)*ldc+nr-1]
		acc := 0
		if accum {
			acc = 1
		}
		f(n, kc, &a[0], &b[0], &c[0], ldc, beta, acc)
	}
}

// kern6x16r1 … kern6x16r5 are the first 1 … 5 rows of kern6x16, kern6x8
// its left half and kern6x16n n tiles of it down one B panel
// (kernel6rows_amd64.s, generated by gen/genrows6.py).
var kern6x16rows = [6]func(k int, a, b, c *float32, ldc int, beta float32, accum int){
	nil, kern6x16r1, kern6x16r2, kern6x16r3, kern6x16r4, kern6x16r5,
}

//go:noescape
func kern6x16r1(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern6x16r2(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern6x16r3(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern6x16r4(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern6x16r5(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern6x8(k int, a, b, c *float32, ldc int, beta float32, accum int)

// asmMicroHalf adapts the left-half kernel of an mr×nr tile (nr/2 columns
// of C from nr-wide panels) to kernel.microHalf, with asmMicro's checks.
func asmMicroHalf(f func(k int, a, b, c *float32, ldc int, beta float32, accum int), mr, nr int) func(int, []float32, []float32, []float32, int, float32, bool) {
	return func(kc int, a, b, c []float32, ldc int, beta float32, accum bool) {
		kc = max(kc, 0)
		_ = a[:kc*mr]
		_ = b[:kc*nr]
		_ = c[(mr-1)*ldc+nr/2-1]
		acc := 0
		if accum {
			acc = 1
		}
		f(kc, unsafe.SliceData(a), unsafe.SliceData(b), &c[0], ldc, beta, acc)
	}
}

// asmMicro adapts an assembly kernel to kernel.micro, checking with the slice
// bounds that every word the assembly touches lies inside a, b and c.
func asmMicro(f func(k int, a, b, c *float32, ldc int, beta float32, accum int), mr, nr int) func(int, []float32, []float32, []float32, int, float32, bool) {
	return func(kc int, a, b, c []float32, ldc int, beta float32, accum bool) {
		kc = max(kc, 0)
		_ = a[:kc*mr]
		_ = b[:kc*nr]
		_ = c[(mr-1)*ldc+nr-1]
		acc := 0
		if accum {
			acc = 1
		}
		// SliceData: with kc = 0 the kernel reads neither a nor b, which may be empty.
		f(kc, unsafe.SliceData(a), unsafe.SliceData(b), &c[0], ldc, beta, acc)
	}
}

func init() {
	var fast []*kernel
	if cpu.X86.HasAVX512F {
		// 14×32ᵀ is left out: over Cᵀ it ran at 0.76 of 7×48ᵀ per padded
		// flop (BenchmarkSgemmConvTiles, n = 49), and 16×16 (tried) at
		// 0.75–0.85 of 8×48 everywhere.
		avx512.shapes = []*kernel{avx512, avx512x8, avx512x7, transposed(avx512x7), transposed(avx512x8)}
		fast = append(fast, avx512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		fast = append(fast, avx2)
	}
	kernels = append(fast, kernels...)
}

// kern8x48 is the AVX-512 tile for m a multiple of 8 (kernel8x48_amd64.s).
//
//go:noescape
func kern8x48(k int, a, b, c *float32, ldc int, beta float32, accum int)

// kern7x48 is the AVX-512 tile for m a multiple of 7 (kernel7x48_amd64.s).
//
//go:noescape
func kern7x48(k int, a, b, c *float32, ldc int, beta float32, accum int)

// kern14x16 is the left half of kern14x32 (kernel14x16_amd64.s).
//
//go:noescape
func kern14x16(k int, a, b, c *float32, ldc int, beta float32, accum int)

// kern14x32r1 … kern14x32r13 are the first 1 … 13 rows of kern14x32
// (kernel14rows_amd64.s, generated by gen/genrows14.py).
var kern14x32rows = [14]func(k int, a, b, c *float32, ldc int, beta float32, accum int){
	nil, kern14x32r1, kern14x32r2, kern14x32r3, kern14x32r4, kern14x32r5, kern14x32r6, kern14x32r7,
	kern14x32r8, kern14x32r9, kern14x32r10, kern14x32r11, kern14x32r12, kern14x32r13,
}

//go:noescape
func kern14x32r1(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r2(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r3(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r4(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r5(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r6(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r7(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r8(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r9(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r10(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r11(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r12(k int, a, b, c *float32, ldc int, beta float32, accum int)

//go:noescape
func kern14x32r13(k int, a, b, c *float32, ldc int, beta float32, accum int)
