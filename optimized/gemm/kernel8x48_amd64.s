//go:build !noasm

#include "textflag.h"

// func kern8x48(k int, a, b, c *float32, ldc int, beta float32, accum int)
//
// C[0:8, 0:48] (row stride ldc floats) = Σ_p a[8p+i]·b[48p+j], or that + beta·C
// when accum ≠ 0: the AVX-512 tile for m a multiple of 8. Z0–Z23 hold the
// sums (row i in Z(3i), Z(3i+1), Z(3i+2)); each p loads one B row into
// Z24–Z26 and broadcasts each A value into one of Z27–Z30 (VBROADCASTSS,
// one load for three FMAs: 11 loads per 24 FMAs). The loop runs four p per
// iteration and prefetches the B panel PFDIST48 bytes ahead (it streams
// from L2: a 256×48 panel is 48 KiB).
#define PFDIST48 1536

#define ROW48(off, bc, acc0, acc1, acc2) \
	VBROADCASTSS off(SI), bc; \
	VFMADD231PS  Z24, bc, acc0; \
	VFMADD231PS  Z25, bc, acc1; \
	VFMADD231PS  Z26, bc, acc2

#define STEP48(aoff, boff) \
	VMOVUPS boff(DI), Z24; \
	VMOVUPS boff+64(DI), Z25; \
	VMOVUPS boff+128(DI), Z26; \
	PREFETCHT0 boff+PFDIST48(DI); \
	PREFETCHT0 boff+PFDIST48+64(DI); \
	PREFETCHT0 boff+PFDIST48+128(DI); \
	ROW48(aoff+0, Z27, Z0, Z1, Z2); \
	ROW48(aoff+4, Z28, Z3, Z4, Z5); \
	ROW48(aoff+8, Z29, Z6, Z7, Z8); \
	ROW48(aoff+12, Z30, Z9, Z10, Z11); \
	ROW48(aoff+16, Z27, Z12, Z13, Z14); \
	ROW48(aoff+20, Z28, Z15, Z16, Z17); \
	ROW48(aoff+24, Z29, Z18, Z19, Z20); \
	ROW48(aoff+28, Z30, Z21, Z22, Z23)

#define STORE48(acc0, acc1, acc2) \
	VMOVUPS acc0, (DX); \
	VMOVUPS acc1, 64(DX); \
	VMOVUPS acc2, 128(DX); \
	ADDQ    R8, DX

#define ACC48(acc0, acc1, acc2) \
	VFMADD231PS (DX), Z31, acc0; \
	VFMADD231PS 64(DX), Z31, acc1; \
	VFMADD231PS 128(DX), Z31, acc2; \
	VMOVUPS     acc0, (DX); \
	VMOVUPS     acc1, 64(DX); \
	VMOVUPS     acc2, 128(DX); \
	ADDQ        R8, DX

TEXT ·kern8x48(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	// Fetch the C tile (8 rows of 3 lines) so that it arrives during the k loop.
	MOVQ DX, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	// Four p per iteration, then one at a time.
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tail48

loop48:
	STEP48(0, 0)
	STEP48(32, 192)
	STEP48(64, 384)
	STEP48(96, 576)
	ADDQ $128, SI
	ADDQ $768, DI
	DECQ BX
	JNZ  loop48

tail48:
	ANDQ $3, CX
	JZ   store48

one48:
	STEP48(0, 0)
	ADDQ $32, SI
	ADDQ $192, DI
	DECQ CX
	JNZ  one48

store48:
	MOVQ  accum+48(FP), AX
	TESTQ AX, AX
	JNZ   accum48
	STORE48(Z0, Z1, Z2)
	STORE48(Z3, Z4, Z5)
	STORE48(Z6, Z7, Z8)
	STORE48(Z9, Z10, Z11)
	STORE48(Z12, Z13, Z14)
	STORE48(Z15, Z16, Z17)
	STORE48(Z18, Z19, Z20)
	STORE48(Z21, Z22, Z23)
	VZEROUPPER
	RET

accum48:
	VBROADCASTSS beta+40(FP), Z31
	ACC48(Z0, Z1, Z2)
	ACC48(Z3, Z4, Z5)
	ACC48(Z6, Z7, Z8)
	ACC48(Z9, Z10, Z11)
	ACC48(Z12, Z13, Z14)
	ACC48(Z15, Z16, Z17)
	ACC48(Z18, Z19, Z20)
	ACC48(Z21, Z22, Z23)
	VZEROUPPER
	RET
