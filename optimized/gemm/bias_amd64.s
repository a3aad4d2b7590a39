//go:build !noasm

#include "textflag.h"

// func addBiasRowsAVX512(c *float32, ldc int, bias *float32, rows, cols int)
//
// For i < rows (≥ 1), j < cols: c[i·ldc + j] += bias[i], one VADDPS per 16
// columns (bias[i] broadcast in Z0) and a masked one (K1) for the last
// cols mod 16, whose masked-off lanes neither load nor store.
TEXT ·addBiasRowsAVX512(SB), NOSPLIT, $0-40
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $2, R8
	MOVQ bias+16(FP), SI
	MOVQ cols+32(FP), CX
	ANDQ $15, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	MOVQ rows+24(FP), CX
	MOVQ cols+32(FP), DX
	SHRQ $4, DX

row:
	VBROADCASTSS (SI), Z0
	MOVQ DI, AX
	MOVQ DX, BX
	TESTQ BX, BX
	JZ   tail

vec:
	VADDPS (AX), Z0, Z1
	VMOVUPS Z1, (AX)
	ADDQ $64, AX
	DECQ BX
	JNZ  vec

tail:
	KORTESTW K1, K1
	JZ   next
	VMOVUPS (AX), K1, Z1
	VADDPS Z0, Z1, K1, Z1
	VMOVUPS Z1, K1, (AX)

next:
	ADDQ $4, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  row
	VZEROUPPER
	RET

// func addBiasRowsAVX2(c *float32, ldc int, bias *float32, rows, cols int)
//
// addBiasRowsAVX512 with AVX2: one VADDPS per 8 columns (bias[i]
// broadcast in Y0), then one VADDSS per column of the last cols mod 8
// (AMD's masked stores are microcoded, and a tile row has at most 7 such
// columns).
TEXT ·addBiasRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $2, R8
	MOVQ bias+16(FP), SI
	MOVQ rows+24(FP), CX
	MOVQ cols+32(FP), DX

row2:
	VBROADCASTSS (SI), Y0
	MOVQ DI, AX
	MOVQ DX, BX
	SHRQ $3, BX
	JZ   tail2

vec2:
	VADDPS  (AX), Y0, Y1
	VMOVUPS Y1, (AX)
	ADDQ    $32, AX
	DECQ    BX
	JNZ     vec2

tail2:
	MOVQ DX, BX
	ANDQ $7, BX
	JZ   next2

scalar2:
	VADDSS (AX), X0, X1
	VMOVSS X1, (AX)
	ADDQ   $4, AX
	DECQ   BX
	JNZ    scalar2

next2:
	ADDQ $4, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  row2
	VZEROUPPER
	RET
