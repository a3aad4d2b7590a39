//go:build !noasm

#include "textflag.h"

// func kern14x32(k int, a, b, c *float32, ldc int, beta float32, accum int)
//
// C[0:14, 0:32] (row stride ldc floats) = Σ_p a[14p+i]·b[32p+j], or that + beta·C
// when accum ≠ 0. Z0–Z27 hold the 14×32 sums (row i in Z(2i), Z(2i+1)); each p
// loads one B row into Z28, Z29 and takes each of the 14 A values as the
// embedded-broadcast memory operand of its two FMAs (VFMADD231PS.BCST): one
// load-and-FMA uop, where VBROADCASTSS + FMA measured 20 % slower. (bc is
// unused, kept to mark which register a separate broadcast would use.)
#define ROW512(off, acc0, acc1, bc) \
	VFMADD231PS.BCST off(SI), Z28, acc0; \
	VFMADD231PS.BCST off(SI), Z29, acc1

#define STEP512(aoff, boff) \
	VMOVUPS boff(DI), Z28; \
	VMOVUPS boff+64(DI), Z29; \
	ROW512(aoff+0, Z0, Z1, Z30); \
	ROW512(aoff+4, Z2, Z3, Z31); \
	ROW512(aoff+8, Z4, Z5, Z30); \
	ROW512(aoff+12, Z6, Z7, Z31); \
	ROW512(aoff+16, Z8, Z9, Z30); \
	ROW512(aoff+20, Z10, Z11, Z31); \
	ROW512(aoff+24, Z12, Z13, Z30); \
	ROW512(aoff+28, Z14, Z15, Z31); \
	ROW512(aoff+32, Z16, Z17, Z30); \
	ROW512(aoff+36, Z18, Z19, Z31); \
	ROW512(aoff+40, Z20, Z21, Z30); \
	ROW512(aoff+44, Z22, Z23, Z31); \
	ROW512(aoff+48, Z24, Z25, Z30); \
	ROW512(aoff+52, Z26, Z27, Z31)

#define STORE512(acc0, acc1) \
	VMOVUPS acc0, (DX); \
	VMOVUPS acc1, 64(DX); \
	ADDQ    R8, DX

#define ACC512(acc0, acc1) \
	VFMADD231PS (DX), Z30, acc0; \
	VFMADD231PS 64(DX), Z30, acc1; \
	VMOVUPS     acc0, (DX); \
	VMOVUPS     acc1, 64(DX); \
	ADDQ        R8, DX

// PREFETCHC512 touches the 14 rows of the C tile (AX = its start, R8 = row stride).
#define PREFETCHC512 \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX); ADDQ R8, AX; \
	PREFETCHT0 (AX); PREFETCHT0 64(AX)

TEXT ·kern14x32(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	// Fetch the C tile now so that its lines arrive during the k loop.
	MOVQ DX, AX
	PREFETCHC512

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
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27

	// Two p per iteration, then the odd one.
	MOVQ CX, BX
	SHRQ $1, BX
	JZ   tail512

loop512:
	STEP512(0, 0)
	STEP512(56, 128)
	ADDQ $112, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  loop512

tail512:
	TESTQ $1, CX
	JZ    store512
	STEP512(0, 0)

store512:
	MOVQ accum+48(FP), AX
	TESTQ AX, AX
	JNZ  accum512
	STORE512(Z0, Z1)
	STORE512(Z2, Z3)
	STORE512(Z4, Z5)
	STORE512(Z6, Z7)
	STORE512(Z8, Z9)
	STORE512(Z10, Z11)
	STORE512(Z12, Z13)
	STORE512(Z14, Z15)
	STORE512(Z16, Z17)
	STORE512(Z18, Z19)
	STORE512(Z20, Z21)
	STORE512(Z22, Z23)
	STORE512(Z24, Z25)
	STORE512(Z26, Z27)
	VZEROUPPER
	RET

accum512:
	VBROADCASTSS beta+40(FP), Z30
	ACC512(Z0, Z1)
	ACC512(Z2, Z3)
	ACC512(Z4, Z5)
	ACC512(Z6, Z7)
	ACC512(Z8, Z9)
	ACC512(Z10, Z11)
	ACC512(Z12, Z13)
	ACC512(Z14, Z15)
	ACC512(Z16, Z17)
	ACC512(Z18, Z19)
	ACC512(Z20, Z21)
	ACC512(Z22, Z23)
	ACC512(Z24, Z25)
	ACC512(Z26, Z27)
	VZEROUPPER
	RET

// func kern14x32pack(k int, a, b, c *float32, ldc int, beta float32, accum int, bsrc *float32, ldb int)
//
// kern14x32 that loads each B row from bsrc (R10, stride ldb in R11) and
// stores it into the packed panel b, so the first tile of a panel packs it
// while its FMAs run. It also fetches into L2 the same row of the next
// panel (the 32 columns after this one), which the next packing tile will
// read: those rows lie a row stride (a 1×1 layer's whole plane) apart, so
// no hardware prefetcher follows them, and without this the packing tiles
// waited on memory (res2b 1×1 256→64 at 56², planned, one core: packing
// tiles 42 % of the time instead of 28 %, the layer 91 → 100 GFLOP/s,
// best of 1.5 s, three alternations).
#define STEPPACK512(aoff, boff) \
	VMOVUPS (R10), Z28; \
	VMOVUPS 64(R10), Z29; \
	PREFETCHT1 128(R10); \
	PREFETCHT1 192(R10); \
	ADDQ    R11, R10; \
	VMOVUPS Z28, boff(DI); \
	VMOVUPS Z29, boff+64(DI); \
	ROW512(aoff+0, Z0, Z1, Z30); \
	ROW512(aoff+4, Z2, Z3, Z31); \
	ROW512(aoff+8, Z4, Z5, Z30); \
	ROW512(aoff+12, Z6, Z7, Z31); \
	ROW512(aoff+16, Z8, Z9, Z30); \
	ROW512(aoff+20, Z10, Z11, Z31); \
	ROW512(aoff+24, Z12, Z13, Z30); \
	ROW512(aoff+28, Z14, Z15, Z31); \
	ROW512(aoff+32, Z16, Z17, Z30); \
	ROW512(aoff+36, Z18, Z19, Z31); \
	ROW512(aoff+40, Z20, Z21, Z30); \
	ROW512(aoff+44, Z22, Z23, Z31); \
	ROW512(aoff+48, Z24, Z25, Z30); \
	ROW512(aoff+52, Z26, Z27, Z31)

TEXT ·kern14x32pack(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	// Fetch the C tile now so that its lines arrive during the k loop.
	MOVQ DX, AX
	PREFETCHC512
	MOVQ bsrc+56(FP), R10
	MOVQ ldb+64(FP), R11
	SHLQ $2, R11

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
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27

	// Two p per iteration, then the odd one.
	MOVQ CX, BX
	SHRQ $1, BX
	JZ   tail512p

loop512p:
	STEPPACK512(0, 0)
	STEPPACK512(56, 128)
	ADDQ $112, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  loop512p

tail512p:
	TESTQ $1, CX
	JZ    store512p
	STEPPACK512(0, 0)

store512p:
	MOVQ accum+48(FP), AX
	TESTQ AX, AX
	JNZ  accum512p
	STORE512(Z0, Z1)
	STORE512(Z2, Z3)
	STORE512(Z4, Z5)
	STORE512(Z6, Z7)
	STORE512(Z8, Z9)
	STORE512(Z10, Z11)
	STORE512(Z12, Z13)
	STORE512(Z14, Z15)
	STORE512(Z16, Z17)
	STORE512(Z18, Z19)
	STORE512(Z20, Z21)
	STORE512(Z22, Z23)
	STORE512(Z24, Z25)
	STORE512(Z26, Z27)
	VZEROUPPER
	RET

accum512p:
	VBROADCASTSS beta+40(FP), Z30
	ACC512(Z0, Z1)
	ACC512(Z2, Z3)
	ACC512(Z4, Z5)
	ACC512(Z6, Z7)
	ACC512(Z8, Z9)
	ACC512(Z10, Z11)
	ACC512(Z12, Z13)
	ACC512(Z14, Z15)
	ACC512(Z16, Z17)
	ACC512(Z18, Z19)
	ACC512(Z20, Z21)
	ACC512(Z22, Z23)
	ACC512(Z24, Z25)
	ACC512(Z26, Z27)
	VZEROUPPER
	RET
