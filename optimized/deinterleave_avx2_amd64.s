//go:build !noasm

#include "textflag.h"

// func deinterleave2AVX2(even, odd, src *float32, n int)
//
// For j < n (a multiple of 8): even[j] = src[2j], odd[j] = src[2j + 1].
// Per 8 pairs two loads, two in-lane shuffles (VSHUFPS 0x88: the even
// elements of each 128-bit lane of both, 0xDD: the odd ones) and a
// cross-lane permute each (VPERMPD 0xD8: 64-bit chunks 0, 2, 1, 3), so
// the order is that of the source.
TEXT ·deinterleave2AVX2(SB), NOSPLIT, $0-32
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), SI
	MOVQ src+16(FP), R8
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (R8), Y0
	VMOVUPS 32(R8), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y2, Y2
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (SI)
	ADDQ    $64, R8
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET
