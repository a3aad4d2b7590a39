//go:build !noasm

#include "textflag.h"

// func kern14x16(k int, a, b, c *float32, ldc int, beta float32, accum int)
//
// The left half of kern14x32: C[0:14, 0:16] (row stride ldc floats) =
// Σ_p a[14p+i]·b[32p+j], or that + beta·C when accum ≠ 0, reading the first
// 16 columns of each row of a 32-wide B panel. It serves the last panel of
// a product whose n mod 32 is at most 16 (n = 196: a 14×14 plane), which
// the full tile would compute half in vain. Each element sees the same
// fused multiply-adds in the same order as in kern14x32 (one FMA per p,
// then beta·C merged by one FMA), so the bits are the same.
#define ROW256(off, acc) \
	VFMADD231PS.BCST off(SI), Z28, acc

#define STEP256(aoff, boff) \
	VMOVUPS boff(DI), Z28; \
	ROW256(aoff+0, Z0); \
	ROW256(aoff+4, Z1); \
	ROW256(aoff+8, Z2); \
	ROW256(aoff+12, Z3); \
	ROW256(aoff+16, Z4); \
	ROW256(aoff+20, Z5); \
	ROW256(aoff+24, Z6); \
	ROW256(aoff+28, Z7); \
	ROW256(aoff+32, Z8); \
	ROW256(aoff+36, Z9); \
	ROW256(aoff+40, Z10); \
	ROW256(aoff+44, Z11); \
	ROW256(aoff+48, Z12); \
	ROW256(aoff+52, Z13)

TEXT ·kern14x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
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

	// Two p per iteration, then the odd one.
	MOVQ CX, BX
	SHRQ $1, BX
	JZ   tail256

loop256:
	STEP256(0, 0)
	STEP256(56, 128)
	ADDQ $112, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  loop256

tail256:
	TESTQ $1, CX
	JZ    store256
	STEP256(0, 0)

store256:
	MOVQ  accum+48(FP), AX
	TESTQ AX, AX
	JNZ   accum256
	VMOVUPS Z0, (DX)
	ADDQ    R8, DX
	VMOVUPS Z1, (DX)
	ADDQ    R8, DX
	VMOVUPS Z2, (DX)
	ADDQ    R8, DX
	VMOVUPS Z3, (DX)
	ADDQ    R8, DX
	VMOVUPS Z4, (DX)
	ADDQ    R8, DX
	VMOVUPS Z5, (DX)
	ADDQ    R8, DX
	VMOVUPS Z6, (DX)
	ADDQ    R8, DX
	VMOVUPS Z7, (DX)
	ADDQ    R8, DX
	VMOVUPS Z8, (DX)
	ADDQ    R8, DX
	VMOVUPS Z9, (DX)
	ADDQ    R8, DX
	VMOVUPS Z10, (DX)
	ADDQ    R8, DX
	VMOVUPS Z11, (DX)
	ADDQ    R8, DX
	VMOVUPS Z12, (DX)
	ADDQ    R8, DX
	VMOVUPS Z13, (DX)
	VZEROUPPER
	RET

accum256:
	VBROADCASTSS beta+40(FP), Z30
	VFMADD231PS (DX), Z30, Z0
	VMOVUPS     Z0, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z1
	VMOVUPS     Z1, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z2
	VMOVUPS     Z2, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z3
	VMOVUPS     Z3, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z4
	VMOVUPS     Z4, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z5
	VMOVUPS     Z5, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z6
	VMOVUPS     Z6, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z7
	VMOVUPS     Z7, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z8
	VMOVUPS     Z8, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z9
	VMOVUPS     Z9, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z10
	VMOVUPS     Z10, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z11
	VMOVUPS     Z11, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z12
	VMOVUPS     Z12, (DX)
	ADDQ        R8, DX
	VFMADD231PS (DX), Z30, Z13
	VMOVUPS     Z13, (DX)
	VZEROUPPER
	RET
