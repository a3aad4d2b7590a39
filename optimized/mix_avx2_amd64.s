//go:build !noasm

#include "textflag.h"

// func mixF64x16AVX2(dst, src *float32, n, size int, alpha *float64, e int)
//
// mixF64x16 (mix_amd64.s) with AVX2: the same operations in the same
// order, 16 outputs per iteration as four vectors of 4 float64.
TEXT ·mixF64x16AVX2(SB), NOSPLIT, $0-48
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
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ   SI, R8
	MOVQ   R9, AX
	MOVQ   R11, CX

inner:
	VBROADCASTSD (AX), Y8
	VCVTPS2PD    (R8), Y4
	VCVTPS2PD    16(R8), Y5
	VCVTPS2PD    32(R8), Y6
	VCVTPS2PD    48(R8), Y7
	VMULPD       Y8, Y4, Y4
	VMULPD       Y8, Y5, Y5
	VMULPD       Y8, Y6, Y6
	VMULPD       Y8, Y7, Y7
	VADDPD       Y4, Y0, Y0
	VADDPD       Y5, Y1, Y1
	VADDPD       Y6, Y2, Y2
	VADDPD       Y7, Y3, Y3
	ADDQ         R10, R8
	ADDQ         $8, AX
	DECQ         CX
	JNZ          inner

	VCVTPD2PSY Y0, X4
	VCVTPD2PSY Y1, X5
	VCVTPD2PSY Y2, X6
	VCVTPD2PSY Y3, X7
	VMOVUPS    X4, (DI)
	VMOVUPS    X5, 16(DI)
	VMOVUPS    X6, 32(DI)
	VMOVUPS    X7, 48(DI)
	ADDQ       $64, SI
	ADDQ       $64, DI
	DECQ       DX
	JNZ        outer

done:
	VZEROUPPER
	RET

// func sumF64x16AVX2(x *float32, n int, lanes *[16]float64)
//
// sumF64x16 with AVX2: lanes[l] = Σ_q x[16q + l] in q order, in float64,
// the 16 lanes as four vectors of 4.
TEXT ·sumF64x16AVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), DX
	MOVQ   lanes+16(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	SHRQ   $4, DX
	JZ     store

loop:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	DECQ      DX
	JNZ       loop

store:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET
