//go:build !noasm

#include "textflag.h"
#include "../transpose16_amd64.h"
#include "../transpose8_amd64.h"

// func transpose16x16(n int, dst *float32, ldd int, src *float32, lds int)
//
// Transposes n 16×16 blocks side by side along the source's rows: block b
// reads src rows 0…15, columns 16b…16b+15 (row stride lds floats) and
// writes dst rows 16b…16b+15, columns 0…15 (row stride ldd):
// dst[(16b+j)·ldd + i] = src[i·lds + 16b + j]. Sixteen row loads, the
// register transpose, sixteen row stores a block.
TEXT ·transpose16x16(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ ldd+16(FP), R8
	SHLQ $2, R8
	MOVQ src+24(FP), SI
	MOVQ lds+32(FP), R9
	SHLQ $2, R9
	MOVQ R8, R10
	SHLQ $4, R10 // 16 dst rows
	TESTQ CX, CX
	JLE  done

loop:
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
	ADDQ R9, AX
	VMOVUPS (AX), Z14
	ADDQ R9, AX
	VMOVUPS (AX), Z15
	TRANSPOSE16
	MOVQ DI, BX
	VMOVUPS Z0, (BX)
	ADDQ R8, BX
	VMOVUPS Z1, (BX)
	ADDQ R8, BX
	VMOVUPS Z2, (BX)
	ADDQ R8, BX
	VMOVUPS Z3, (BX)
	ADDQ R8, BX
	VMOVUPS Z4, (BX)
	ADDQ R8, BX
	VMOVUPS Z5, (BX)
	ADDQ R8, BX
	VMOVUPS Z6, (BX)
	ADDQ R8, BX
	VMOVUPS Z7, (BX)
	ADDQ R8, BX
	VMOVUPS Z8, (BX)
	ADDQ R8, BX
	VMOVUPS Z9, (BX)
	ADDQ R8, BX
	VMOVUPS Z10, (BX)
	ADDQ R8, BX
	VMOVUPS Z11, (BX)
	ADDQ R8, BX
	VMOVUPS Z12, (BX)
	ADDQ R8, BX
	VMOVUPS Z13, (BX)
	ADDQ R8, BX
	VMOVUPS Z14, (BX)
	ADDQ R8, BX
	VMOVUPS Z15, (BX)
	ADDQ $64, SI
	ADDQ R10, DI
	DECQ CX
	JNZ  loop
	VZEROUPPER

done:
	RET

// func transpose8x8AVX2(n int, dst *float32, ldd int, src *float32, lds int)
//
// n 8×8 blocks side by side: dst[(8b+j)·ldd+i] = src[i·lds+8b+j] for
// i, j < 8, b < n; each block loaded as 8 rows, transposed in registers
// (TRANSPOSE8) and stored as 8 rows.
TEXT ·transpose8x8AVX2(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ ldd+16(FP), R8
	SHLQ $2, R8
	MOVQ src+24(FP), SI
	MOVQ lds+32(FP), R9
	SHLQ $2, R9
	TESTQ CX, CX
	JLE  t8done

t8block:
	MOVQ    SI, AX
	VMOVUPS (AX), Y0
	ADDQ    R9, AX
	VMOVUPS (AX), Y1
	ADDQ    R9, AX
	VMOVUPS (AX), Y2
	ADDQ    R9, AX
	VMOVUPS (AX), Y3
	ADDQ    R9, AX
	VMOVUPS (AX), Y4
	ADDQ    R9, AX
	VMOVUPS (AX), Y5
	ADDQ    R9, AX
	VMOVUPS (AX), Y6
	ADDQ    R9, AX
	VMOVUPS (AX), Y7
	TRANSPOSE8
	MOVQ    DI, AX
	VMOVUPS Y8, (AX)
	ADDQ    R8, AX
	VMOVUPS Y9, (AX)
	ADDQ    R8, AX
	VMOVUPS Y10, (AX)
	ADDQ    R8, AX
	VMOVUPS Y11, (AX)
	ADDQ    R8, AX
	VMOVUPS Y12, (AX)
	ADDQ    R8, AX
	VMOVUPS Y13, (AX)
	ADDQ    R8, AX
	VMOVUPS Y14, (AX)
	ADDQ    R8, AX
	VMOVUPS Y15, (AX)
	ADDQ    $32, SI
	LEAQ    (DI)(R8*8), DI
	DECQ    CX
	JNZ     t8block

t8done:
	VZEROUPPER
	RET
