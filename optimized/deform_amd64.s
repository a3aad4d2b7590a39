//go:build !noasm

#include "textflag.h"

// func deformSampleAVX512(dst, x *float32, ldx int, base *int32, w *float32, ws, n int)
//
// dst[j] = (w0[j]·x[b] + w1[j]·x[b+1]) + (w2[j]·x[b+ldx] + w3[j]·x[b+ldx+1]),
// b = base[j], wi = w + i·ws; n ≥ 1. Lanes past n are neither read nor
// written (masked loads and gathers, whose masked-off lanes do not fault).
TEXT ·deformSampleAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ ldx+16(FP), BX
	LEAQ (SI)(BX*4), BX       // the row below
	MOVQ base+24(FP), DX
	MOVQ w+32(FP), R8
	MOVQ ws+40(FP), AX
	SHLQ $2, AX
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	MOVQ n+48(FP), CX

loop16:
	CMPQ CX, $16
	JLT  tail
	VMOVDQU32 (DX), Z0
	KXNORW    K1, K1, K1
	KXNORW    K2, K2, K2
	KXNORW    K3, K3, K3
	KXNORW    K4, K4, K4
	VPXORD    Z1, Z1, Z1 // break the gathers' merge dependency
	VPXORD    Z2, Z2, Z2
	VPXORD    Z3, Z3, Z3
	VPXORD    Z4, Z4, Z4
	VGATHERDPS (SI)(Z0*4), K1, Z1
	VGATHERDPS 4(SI)(Z0*4), K2, Z2
	VGATHERDPS (BX)(Z0*4), K3, Z3
	VGATHERDPS 4(BX)(Z0*4), K4, Z4
	VMULPS    (R8), Z1, Z1
	VMULPS    (R9), Z2, Z2
	VMULPS    (R10), Z3, Z3
	VMULPS    (R11), Z4, Z4
	VADDPS    Z2, Z1, Z1
	VADDPS    Z4, Z3, Z3
	VADDPS    Z3, Z1, Z1
	VMOVUPS   Z1, (DI)
	ADDQ      $64, DX
	ADDQ      $64, R8
	ADDQ      $64, R9
	ADDQ      $64, R10
	ADDQ      $64, R11
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       loop16

tail:
	TESTQ CX, CX
	JEQ   done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K5
	VMOVDQU32.Z (DX), K5, Z0
	KMOVW     K5, K1
	KMOVW     K5, K2
	KMOVW     K5, K3
	KMOVW     K5, K4
	VPXORD    Z1, Z1, Z1
	VPXORD    Z2, Z2, Z2
	VPXORD    Z3, Z3, Z3
	VPXORD    Z4, Z4, Z4
	VGATHERDPS (SI)(Z0*4), K1, Z1
	VGATHERDPS 4(SI)(Z0*4), K2, Z2
	VGATHERDPS (BX)(Z0*4), K3, Z3
	VGATHERDPS 4(BX)(Z0*4), K4, Z4
	VMULPS.Z  (R8), Z1, K5, Z1
	VMULPS.Z  (R9), Z2, K5, Z2
	VMULPS.Z  (R10), Z3, K5, Z3
	VMULPS.Z  (R11), Z4, K5, Z4
	VADDPS    Z2, Z1, Z1
	VADDPS    Z4, Z3, Z3
	VADDPS    Z3, Z1, Z1
	VMOVUPS   Z1, K5, (DI)

done:
	VZEROUPPER
	RET
