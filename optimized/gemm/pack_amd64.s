//go:build !noasm

#include "textflag.h"

// func packA14(chunks int, src *float32, lda int, dst *float32)
//
// Packs a full 14-row A panel, 16 columns (p) per chunk: dst[p·14+i] =
// src[i·lda+p] for i < 14, p < 16·chunks. Each chunk loads one cache line of
// each row (Z0–Z13, rows 14 and 15 read as zero from Z31), transposes the
// 16×16 block in registers (unpack, shuffle, two 128-bit lane shuffles), and
// stores 14 floats per p under mask K1.
TEXT ·packA14(SB), NOSPLIT, $0-32
	MOVQ chunks+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9
	MOVQ dst+24(FP), DI
	MOVQ $0x3fff, AX
	KMOVW AX, K1
	TESTQ CX, CX
	JLE done

loop:
	VPXORD Z31, Z31, Z31
	MOVQ SI, AX
	VMOVUPS (AX), Z0
	ADDQ R9, AX
	VMOVUPS (AX), Z1
	ADDQ R9, AX
	VMOVUPS (AX), Z2
	ADDQ R9, AX
	VMOVUPS (AX), Z3
	ADDQ R9, AX
	VMOVUPS (AX), Z4
	ADDQ R9, AX
	VMOVUPS (AX), Z5
	ADDQ R9, AX
	VMOVUPS (AX), Z6
	ADDQ R9, AX
	VMOVUPS (AX), Z7
	ADDQ R9, AX
	VMOVUPS (AX), Z8
	ADDQ R9, AX
	VMOVUPS (AX), Z9
	ADDQ R9, AX
	VMOVUPS (AX), Z10
	ADDQ R9, AX
	VMOVUPS (AX), Z11
	ADDQ R9, AX
	VMOVUPS (AX), Z12
	ADDQ R9, AX
	VMOVUPS (AX), Z13
	// t[2j], t[2j+1] = unpacklo/hi(row 2j, row 2j+1)
	VUNPCKLPS Z1, Z0, Z14
	VUNPCKHPS Z1, Z0, Z15
	VUNPCKLPS Z3, Z2, Z16
	VUNPCKHPS Z3, Z2, Z17
	VUNPCKLPS Z5, Z4, Z18
	VUNPCKHPS Z5, Z4, Z19
	VUNPCKLPS Z7, Z6, Z20
	VUNPCKHPS Z7, Z6, Z21
	VUNPCKLPS Z9, Z8, Z22
	VUNPCKHPS Z9, Z8, Z23
	VUNPCKLPS Z11, Z10, Z24
	VUNPCKHPS Z11, Z10, Z25
	VUNPCKLPS Z13, Z12, Z26
	VUNPCKHPS Z13, Z12, Z27
	// u[4g+c] lane L = rows 4g…4g+3 at column 4L+c
	VSHUFPS $0x44, Z16, Z14, Z0
	VSHUFPS $0xEE, Z16, Z14, Z1
	VSHUFPS $0x44, Z17, Z15, Z2
	VSHUFPS $0xEE, Z17, Z15, Z3
	VSHUFPS $0x44, Z20, Z18, Z4
	VSHUFPS $0xEE, Z20, Z18, Z5
	VSHUFPS $0x44, Z21, Z19, Z6
	VSHUFPS $0xEE, Z21, Z19, Z7
	VSHUFPS $0x44, Z24, Z22, Z8
	VSHUFPS $0xEE, Z24, Z22, Z9
	VSHUFPS $0x44, Z25, Z23, Z10
	VSHUFPS $0xEE, Z25, Z23, Z11
	VSHUFPS $0x44, Z31, Z26, Z12
	VSHUFPS $0xEE, Z31, Z26, Z13
	VSHUFPS $0x44, Z31, Z27, Z14
	VSHUFPS $0xEE, Z31, Z27, Z15
	// per column c: gather 128-bit lanes so output p = 4L+c holds rows 0…15
	VSHUFF32X4 $0x88, Z4, Z0, Z16
	VSHUFF32X4 $0xDD, Z4, Z0, Z17
	VSHUFF32X4 $0x88, Z12, Z8, Z18
	VSHUFF32X4 $0xDD, Z12, Z8, Z19
	VSHUFF32X4 $0x88, Z18, Z16, Z20
	VSHUFF32X4 $0x88, Z19, Z17, Z21
	VSHUFF32X4 $0xDD, Z18, Z16, Z22
	VSHUFF32X4 $0xDD, Z19, Z17, Z23
	VMOVUPS Z20, K1, 0(DI)
	VMOVUPS Z21, K1, 224(DI)
	VMOVUPS Z22, K1, 448(DI)
	VMOVUPS Z23, K1, 672(DI)
	VSHUFF32X4 $0x88, Z5, Z1, Z16
	VSHUFF32X4 $0xDD, Z5, Z1, Z17
	VSHUFF32X4 $0x88, Z13, Z9, Z18
	VSHUFF32X4 $0xDD, Z13, Z9, Z19
	VSHUFF32X4 $0x88, Z18, Z16, Z20
	VSHUFF32X4 $0x88, Z19, Z17, Z21
	VSHUFF32X4 $0xDD, Z18, Z16, Z22
	VSHUFF32X4 $0xDD, Z19, Z17, Z23
	VMOVUPS Z20, K1, 56(DI)
	VMOVUPS Z21, K1, 280(DI)
	VMOVUPS Z22, K1, 504(DI)
	VMOVUPS Z23, K1, 728(DI)
	VSHUFF32X4 $0x88, Z6, Z2, Z16
	VSHUFF32X4 $0xDD, Z6, Z2, Z17
	VSHUFF32X4 $0x88, Z14, Z10, Z18
	VSHUFF32X4 $0xDD, Z14, Z10, Z19
	VSHUFF32X4 $0x88, Z18, Z16, Z20
	VSHUFF32X4 $0x88, Z19, Z17, Z21
	VSHUFF32X4 $0xDD, Z18, Z16, Z22
	VSHUFF32X4 $0xDD, Z19, Z17, Z23
	VMOVUPS Z20, K1, 112(DI)
	VMOVUPS Z21, K1, 336(DI)
	VMOVUPS Z22, K1, 560(DI)
	VMOVUPS Z23, K1, 784(DI)
	VSHUFF32X4 $0x88, Z7, Z3, Z16
	VSHUFF32X4 $0xDD, Z7, Z3, Z17
	VSHUFF32X4 $0x88, Z15, Z11, Z18
	VSHUFF32X4 $0xDD, Z15, Z11, Z19
	VSHUFF32X4 $0x88, Z18, Z16, Z20
	VSHUFF32X4 $0x88, Z19, Z17, Z21
	VSHUFF32X4 $0xDD, Z18, Z16, Z22
	VSHUFF32X4 $0xDD, Z19, Z17, Z23
	VMOVUPS Z20, K1, 168(DI)
	VMOVUPS Z21, K1, 392(DI)
	VMOVUPS Z22, K1, 616(DI)
	VMOVUPS Z23, K1, 840(DI)
	ADDQ $64, SI
	ADDQ $896, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func copyRows48(rows int, src *float32, ldb int, dst *float32)
//
// dst[p·48+j] = src[p·ldb+j] for p < rows, j < 48: packB's inner copy for
// 48-wide panels, three Z moves per row (a [48]float32 copy in Go is a
// memmove call per row).
TEXT ·copyRows48(SB), NOSPLIT, $0-32
	MOVQ rows+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R9
	SHLQ $2, R9
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JLE copydone

copyloop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	ADDQ R9, SI
	ADDQ $192, DI
	DECQ CX
	JNZ  copyloop

copydone:
	VZEROUPPER
	RET

// func copyRows16AVX(rows int, src *float32, ldb int, dst *float32)
//
// dst[p·16+j] = src[p·ldb+j] for p < rows, j < 16: packB's inner copy for
// the AVX2 kernel's 16-wide panels, two Y moves per row (a [16]float32
// copy in Go is a memmove call per row: 13% of a 1×1 layer's time on
// pointwise-gemm, one worker, on an AVX2 machine).
TEXT ·copyRows16AVX(SB), NOSPLIT, $0-32
	MOVQ rows+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R9
	SHLQ $2, R9
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JLE copy16done

copy16loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ R9, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  copy16loop

copy16done:
	VZEROUPPER
	RET
