//go:build !noasm

#include "textflag.h"

// func mixF64x16(dst, src *float32, n, size int, alpha *float64, e int)
//
// For i < n (a multiple of 16): dst[i] = float32(Σ_{j<e} alpha[j]·float64(src[j·size+i])),
// each product rounded (VMULPD) and added in j order from 0 (VADDPD), then
// rounded once to float32: the same operations as mixInto's Go loop, so
// the same bits. 16 outputs per iteration, as two vectors of 8 float64.
TEXT ·mixF64x16(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), DX
	MOVQ size+24(FP), R10
	SHLQ $2, R10
	MOVQ alpha+32(FP), R9
	MOVQ e+40(FP), R11
	SHRQ $4, DX
	JZ   done

outer:
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	MOVQ   SI, R8
	MOVQ   R9, AX
	MOVQ   R11, CX

inner:
	VCVTPS2PD    (R8), Z2
	VCVTPS2PD    32(R8), Z3
	VBROADCASTSD (AX), Z4
	VMULPD       Z4, Z2, Z2
	VMULPD       Z4, Z3, Z3
	VADDPD       Z2, Z0, Z0
	VADDPD       Z3, Z1, Z1
	ADDQ         R10, R8
	ADDQ         $8, AX
	DECQ         CX
	JNZ          inner

	VCVTPD2PS Z0, Y5
	VCVTPD2PS Z1, Y6
	VMOVUPS   Y5, (DI)
	VMOVUPS   Y6, 32(DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	DECQ      DX
	JNZ       outer

done:
	VZEROUPPER
	RET

// func sumF64x16(x *float32, n int, lanes *[16]float64)
//
// lanes[l] = Σ_q x[16q + l] for 16q < n (n a multiple of 16), in q order,
// in float64: the caller adds the 16 lane sums in lane order, so the
// order is fixed whatever the data.
TEXT ·sumF64x16(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), DX
	MOVQ   lanes+16(FP), DI
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	SHRQ   $4, DX
	JZ     store

loop:
	VCVTPS2PD (SI), Z2
	VCVTPS2PD 32(SI), Z3
	VADDPD    Z2, Z0, Z0
	VADDPD    Z3, Z1, Z1
	ADDQ      $64, SI
	DECQ      DX
	JNZ       loop

store:
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VZEROUPPER
	RET
