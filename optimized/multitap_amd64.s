//go:build !noasm

#include "textflag.h"

// MASK sets k to the lanes of the next 16-wide vector: min(R12, 16) ones,
// and takes them off R12 (remaining outputs, never below 0).
#define MASK(k) \
	MOVQ   R12, CX; \
	CMPQ   CX, $16; \
	JLE    2(PC); \
	MOVQ   $16, CX; \
	MOVQ   $1, AX; \
	SHLQ   CX, AX; \
	DECQ   AX; \
	KMOVW  AX, k; \
	SUBQ   CX, R12

// func multiTapAVX512(out *float32, n, rows, ldo int, base *float32, ldb int, offs *int, w *float32, taps int, bias float32)
//
// For each row r < rows: out[r·ldo + i] = bias + Σ_t w[t]·base[r·ldb + offs[t] + i]
// for i < n, taps ≥ 1, one fused multiply-add per tap in tap order, 64
// outputs (four accumulators) per pass, four rows at a time while four
// are left, then two. The last pass of a row takes the
// n mod 64 remaining outputs in two or four vectors masked to them
// (masked-off lanes are neither loaded nor stored); the masks are the same
// for every row and set once.
TEXT ·multiTapAVX512(SB), NOSPLIT, $0-76
	MOVQ         out+0(FP), DI
	MOVQ         n+8(FP), CX
	MOVQ         rows+16(FP), R11
	MOVQ         ldo+24(FP), R15
	SHLQ         $2, R15
	MOVQ         base+32(FP), R13
	MOVQ         offs+48(FP), R8
	MOVQ         w+56(FP), R9
	MOVQ         taps+64(FP), R10
	VBROADCASTSS bias+72(FP), Z9
	MOVQ         CX, R12
	ANDQ         $63, R12
	MOVQ         CX, DX
	MASK(K1)
	MASK(K2)
	MASK(K3)
	MASK(K4)
	MOVQ         DX, CX
	MOVQ         ldb+40(FP), R12
	SHLQ         $2, R12

	// Rows four at a time while four are left (sixteen accumulators, each
	// tap's weight broadcast once for the four; the tails as merge-masked
	// multiply-adds from memory), then two, then one.
quadrow:
	CMPQ R11, $4
	JLT  pairrow
	XORQ BX, BX
	MOVQ R13, R14

qloop64:
	MOVQ    CX, AX
	SUBQ    BX, AX
	CMPQ    AX, $64
	JLT     qtail
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z2
	VMOVAPS Z9, Z3
	VMOVAPS Z9, Z10
	VMOVAPS Z9, Z11
	VMOVAPS Z9, Z12
	VMOVAPS Z9, Z13
	VMOVAPS Z9, Z14
	VMOVAPS Z9, Z15
	VMOVAPS Z9, Z16
	VMOVAPS Z9, Z17
	VMOVAPS Z9, Z18
	VMOVAPS Z9, Z19
	VMOVAPS Z9, Z20
	VMOVAPS Z9, Z21
	XORQ    DX, DX

qtap64:
	MOVQ         (R8)(DX*8), SI
	VBROADCASTSS (R9)(DX*4), Z4
	LEAQ         (R14)(SI*4), AX
	LEAQ         (AX)(R12*2), SI
	VFMADD231PS  (AX), Z4, Z0
	VFMADD231PS  64(AX), Z4, Z1
	VFMADD231PS  128(AX), Z4, Z2
	VFMADD231PS  192(AX), Z4, Z3
	VFMADD231PS  (AX)(R12*1), Z4, Z10
	VFMADD231PS  64(AX)(R12*1), Z4, Z11
	VFMADD231PS  128(AX)(R12*1), Z4, Z12
	VFMADD231PS  192(AX)(R12*1), Z4, Z13
	VFMADD231PS  (SI), Z4, Z14
	VFMADD231PS  64(SI), Z4, Z15
	VFMADD231PS  128(SI), Z4, Z16
	VFMADD231PS  192(SI), Z4, Z17
	VFMADD231PS  (SI)(R12*1), Z4, Z18
	VFMADD231PS  64(SI)(R12*1), Z4, Z19
	VFMADD231PS  128(SI)(R12*1), Z4, Z20
	VFMADD231PS  192(SI)(R12*1), Z4, Z21
	INCQ         DX
	CMPQ         DX, R10
	JLT          qtap64
	MOVQ         DI, AX
	VMOVUPS      Z0, (AX)(BX*4)
	VMOVUPS      Z1, 64(AX)(BX*4)
	VMOVUPS      Z2, 128(AX)(BX*4)
	VMOVUPS      Z3, 192(AX)(BX*4)
	ADDQ         R15, AX
	VMOVUPS      Z10, (AX)(BX*4)
	VMOVUPS      Z11, 64(AX)(BX*4)
	VMOVUPS      Z12, 128(AX)(BX*4)
	VMOVUPS      Z13, 192(AX)(BX*4)
	ADDQ         R15, AX
	VMOVUPS      Z14, (AX)(BX*4)
	VMOVUPS      Z15, 64(AX)(BX*4)
	VMOVUPS      Z16, 128(AX)(BX*4)
	VMOVUPS      Z17, 192(AX)(BX*4)
	ADDQ         R15, AX
	VMOVUPS      Z18, (AX)(BX*4)
	VMOVUPS      Z19, 64(AX)(BX*4)
	VMOVUPS      Z20, 128(AX)(BX*4)
	VMOVUPS      Z21, 192(AX)(BX*4)
	ADDQ         $64, BX
	ADDQ         $256, R14
	JMP          qloop64

qtail:
	TESTQ AX, AX
	JZ    qnext
	CMPQ  AX, $32
	JG    qtail4
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z10
	VMOVAPS Z9, Z11
	VMOVAPS Z9, Z14
	VMOVAPS Z9, Z15
	VMOVAPS Z9, Z18
	VMOVAPS Z9, Z19
	XORQ    DX, DX

qtap2:
	MOVQ         (R8)(DX*8), SI
	VBROADCASTSS (R9)(DX*4), Z4
	LEAQ         (R14)(SI*4), AX
	LEAQ         (AX)(R12*2), SI
	VFMADD231PS  (AX), Z4, K1, Z0
	VFMADD231PS  64(AX), Z4, K2, Z1
	VFMADD231PS  (AX)(R12*1), Z4, K1, Z10
	VFMADD231PS  64(AX)(R12*1), Z4, K2, Z11
	VFMADD231PS  (SI), Z4, K1, Z14
	VFMADD231PS  64(SI), Z4, K2, Z15
	VFMADD231PS  (SI)(R12*1), Z4, K1, Z18
	VFMADD231PS  64(SI)(R12*1), Z4, K2, Z19
	INCQ         DX
	CMPQ         DX, R10
	JLT          qtap2
	MOVQ         DI, AX
	VMOVUPS      Z0, K1, (AX)(BX*4)
	VMOVUPS      Z1, K2, 64(AX)(BX*4)
	ADDQ         R15, AX
	VMOVUPS      Z10, K1, (AX)(BX*4)
	VMOVUPS      Z11, K2, 64(AX)(BX*4)
	ADDQ         R15, AX
	VMOVUPS      Z14, K1, (AX)(BX*4)
	VMOVUPS      Z15, K2, 64(AX)(BX*4)
	ADDQ         R15, AX
	VMOVUPS      Z18, K1, (AX)(BX*4)
	VMOVUPS      Z19, K2, 64(AX)(BX*4)
	JMP          qnext

qtail4:
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z2
	VMOVAPS Z9, Z3
	VMOVAPS Z9, Z10
	VMOVAPS Z9, Z11
	VMOVAPS Z9, Z12
	VMOVAPS Z9, Z13
	VMOVAPS Z9, Z14
	VMOVAPS Z9, Z15
	VMOVAPS Z9, Z16
	VMOVAPS Z9, Z17
	VMOVAPS Z9, Z18
	VMOVAPS Z9, Z19
	VMOVAPS Z9, Z20
	VMOVAPS Z9, Z21
	XORQ    DX, DX

qtap4:
	MOVQ         (R8)(DX*8), SI
	VBROADCASTSS (R9)(DX*4), Z4
	LEAQ         (R14)(SI*4), AX
	LEAQ         (AX)(R12*2), SI
	VFMADD231PS  (AX), Z4, K1, Z0
	VFMADD231PS  64(AX), Z4, K2, Z1
	VFMADD231PS  128(AX), Z4, K3, Z2
	VFMADD231PS  192(AX), Z4, K4, Z3
	VFMADD231PS  (AX)(R12*1), Z4, K1, Z10
	VFMADD231PS  64(AX)(R12*1), Z4, K2, Z11
	VFMADD231PS  128(AX)(R12*1), Z4, K3, Z12
	VFMADD231PS  192(AX)(R12*1), Z4, K4, Z13
	VFMADD231PS  (SI), Z4, K1, Z14
	VFMADD231PS  64(SI), Z4, K2, Z15
	VFMADD231PS  128(SI), Z4, K3, Z16
	VFMADD231PS  192(SI), Z4, K4, Z17
	VFMADD231PS  (SI)(R12*1), Z4, K1, Z18
	VFMADD231PS  64(SI)(R12*1), Z4, K2, Z19
	VFMADD231PS  128(SI)(R12*1), Z4, K3, Z20
	VFMADD231PS  192(SI)(R12*1), Z4, K4, Z21
	INCQ         DX
	CMPQ         DX, R10
	JLT          qtap4
	MOVQ         DI, AX
	VMOVUPS      Z0, K1, (AX)(BX*4)
	VMOVUPS      Z1, K2, 64(AX)(BX*4)
	VMOVUPS      Z2, K3, 128(AX)(BX*4)
	VMOVUPS      Z3, K4, 192(AX)(BX*4)
	ADDQ         R15, AX
	VMOVUPS      Z10, K1, (AX)(BX*4)
	VMOVUPS      Z11, K2, 64(AX)(BX*4)
	VMOVUPS      Z12, K3, 128(AX)(BX*4)
	VMOVUPS      Z13, K4, 192(AX)(BX*4)
	ADDQ         R15, AX
	VMOVUPS      Z14, K1, (AX)(BX*4)
	VMOVUPS      Z15, K2, 64(AX)(BX*4)
	VMOVUPS      Z16, K3, 128(AX)(BX*4)
	VMOVUPS      Z17, K4, 192(AX)(BX*4)
	ADDQ         R15, AX
	VMOVUPS      Z18, K1, (AX)(BX*4)
	VMOVUPS      Z19, K2, 64(AX)(BX*4)
	VMOVUPS      Z20, K3, 128(AX)(BX*4)
	VMOVUPS      Z21, K4, 192(AX)(BX*4)

qnext:
	LEAQ (DI)(R15*4), DI
	LEAQ (R13)(R12*4), R13
	SUBQ $4, R11
	JMP  quadrow

	// Rows two at a time: eight accumulators (four per row) hide the
	// multiply-add latency that four alone cannot; each tap's weight is
	// broadcast once for both rows. Row 1 reads R12 = 4·ldb bytes after
	// row 0 and writes R15 = 4·ldo bytes after it.
pairrow:
	CMPQ R11, $2
	JLT  row
	XORQ BX, BX
	MOVQ R13, R14

ploop64:
	MOVQ    CX, AX
	SUBQ    BX, AX
	CMPQ    AX, $64
	JLT     ptail
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z2
	VMOVAPS Z9, Z3
	VMOVAPS Z9, Z10
	VMOVAPS Z9, Z11
	VMOVAPS Z9, Z12
	VMOVAPS Z9, Z13
	XORQ    DX, DX

ptap64:
	MOVQ         (R8)(DX*8), SI
	VBROADCASTSS (R9)(DX*4), Z4
	LEAQ         (R14)(SI*4), AX
	VFMADD231PS  (AX), Z4, Z0
	VFMADD231PS  64(AX), Z4, Z1
	VFMADD231PS  128(AX), Z4, Z2
	VFMADD231PS  192(AX), Z4, Z3
	VFMADD231PS  (AX)(R12*1), Z4, Z10
	VFMADD231PS  64(AX)(R12*1), Z4, Z11
	VFMADD231PS  128(AX)(R12*1), Z4, Z12
	VFMADD231PS  192(AX)(R12*1), Z4, Z13
	INCQ         DX
	CMPQ         DX, R10
	JLT          ptap64
	VMOVUPS      Z0, (DI)(BX*4)
	VMOVUPS      Z1, 64(DI)(BX*4)
	VMOVUPS      Z2, 128(DI)(BX*4)
	VMOVUPS      Z3, 192(DI)(BX*4)
	LEAQ         (DI)(R15*1), AX
	VMOVUPS      Z10, (AX)(BX*4)
	VMOVUPS      Z11, 64(AX)(BX*4)
	VMOVUPS      Z12, 128(AX)(BX*4)
	VMOVUPS      Z13, 192(AX)(BX*4)
	ADDQ         $64, BX
	ADDQ         $256, R14
	JMP          ploop64

ptail:
	TESTQ   AX, AX
	JZ      pnext
	CMPQ    AX, $32
	JG      ptail4
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z10
	VMOVAPS Z9, Z11
	XORQ    DX, DX

ptap2:
	MOVQ         (R8)(DX*8), SI
	VBROADCASTSS (R9)(DX*4), Z4
	LEAQ         (R14)(SI*4), AX
	VMOVUPS.Z    (AX), K1, Z5
	VMOVUPS.Z    64(AX), K2, Z6
	VMOVUPS.Z    (AX)(R12*1), K1, Z14
	VMOVUPS.Z    64(AX)(R12*1), K2, Z15
	VFMADD231PS  Z5, Z4, Z0
	VFMADD231PS  Z6, Z4, Z1
	VFMADD231PS  Z14, Z4, Z10
	VFMADD231PS  Z15, Z4, Z11
	INCQ         DX
	CMPQ         DX, R10
	JLT          ptap2
	VMOVUPS      Z0, K1, (DI)(BX*4)
	VMOVUPS      Z1, K2, 64(DI)(BX*4)
	LEAQ         (DI)(R15*1), AX
	VMOVUPS      Z10, K1, (AX)(BX*4)
	VMOVUPS      Z11, K2, 64(AX)(BX*4)
	JMP          pnext

ptail4:
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z2
	VMOVAPS Z9, Z3
	VMOVAPS Z9, Z10
	VMOVAPS Z9, Z11
	VMOVAPS Z9, Z12
	VMOVAPS Z9, Z13
	XORQ    DX, DX

ptap4:
	MOVQ         (R8)(DX*8), SI
	VBROADCASTSS (R9)(DX*4), Z4
	LEAQ         (R14)(SI*4), AX
	VMOVUPS.Z    (AX), K1, Z5
	VMOVUPS.Z    64(AX), K2, Z6
	VMOVUPS.Z    128(AX), K3, Z7
	VMOVUPS.Z    192(AX), K4, Z8
	VMOVUPS.Z    (AX)(R12*1), K1, Z14
	VMOVUPS.Z    64(AX)(R12*1), K2, Z15
	VMOVUPS.Z    128(AX)(R12*1), K3, Z16
	VMOVUPS.Z    192(AX)(R12*1), K4, Z17
	VFMADD231PS  Z5, Z4, Z0
	VFMADD231PS  Z6, Z4, Z1
	VFMADD231PS  Z7, Z4, Z2
	VFMADD231PS  Z8, Z4, Z3
	VFMADD231PS  Z14, Z4, Z10
	VFMADD231PS  Z15, Z4, Z11
	VFMADD231PS  Z16, Z4, Z12
	VFMADD231PS  Z17, Z4, Z13
	INCQ         DX
	CMPQ         DX, R10
	JLT          ptap4
	VMOVUPS      Z0, K1, (DI)(BX*4)
	VMOVUPS      Z1, K2, 64(DI)(BX*4)
	VMOVUPS      Z2, K3, 128(DI)(BX*4)
	VMOVUPS      Z3, K4, 192(DI)(BX*4)
	LEAQ         (DI)(R15*1), AX
	VMOVUPS      Z10, K1, (AX)(BX*4)
	VMOVUPS      Z11, K2, 64(AX)(BX*4)
	VMOVUPS      Z12, K3, 128(AX)(BX*4)
	VMOVUPS      Z13, K4, 192(AX)(BX*4)

pnext:
	LEAQ (DI)(R15*2), DI
	LEAQ (R13)(R12*2), R13
	SUBQ $2, R11
	JMP  pairrow

row:
	TESTQ R11, R11
	JZ    done
	XORQ  BX, BX
	MOVQ  R13, R14                   // R14 = base row + 4·i

loop64:
	MOVQ CX, AX
	SUBQ BX, AX
	CMPQ AX, $64
	JLT  tail
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z2
	VMOVAPS Z9, Z3
	XORQ    DX, DX

tap64:
	MOVQ         (R8)(DX*8), SI
	VBROADCASTSS (R9)(DX*4), Z4
	VFMADD231PS  (R14)(SI*4), Z4, Z0
	VFMADD231PS  64(R14)(SI*4), Z4, Z1
	VFMADD231PS  128(R14)(SI*4), Z4, Z2
	VFMADD231PS  192(R14)(SI*4), Z4, Z3
	INCQ         DX
	CMPQ         DX, R10
	JLT          tap64
	VMOVUPS Z0, (DI)(BX*4)
	VMOVUPS Z1, 64(DI)(BX*4)
	VMOVUPS Z2, 128(DI)(BX*4)
	VMOVUPS Z3, 192(DI)(BX*4)
	ADDQ    $64, BX
	ADDQ    $256, R14
	JMP     loop64

tail:
	TESTQ AX, AX
	JZ    nextrow
	CMPQ  AX, $32
	JG    tail4
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	XORQ    DX, DX

tap2:
	MOVQ         (R8)(DX*8), SI
	VBROADCASTSS (R9)(DX*4), Z4
	VMOVUPS.Z    (R14)(SI*4), K1, Z5
	VMOVUPS.Z    64(R14)(SI*4), K2, Z6
	VFMADD231PS  Z5, Z4, Z0
	VFMADD231PS  Z6, Z4, Z1
	INCQ         DX
	CMPQ         DX, R10
	JLT          tap2
	VMOVUPS Z0, K1, (DI)(BX*4)
	VMOVUPS Z1, K2, 64(DI)(BX*4)
	JMP     nextrow

tail4:
	VMOVAPS Z9, Z0
	VMOVAPS Z9, Z1
	VMOVAPS Z9, Z2
	VMOVAPS Z9, Z3
	XORQ    DX, DX

tap4:
	MOVQ         (R8)(DX*8), SI
	VBROADCASTSS (R9)(DX*4), Z4
	VMOVUPS.Z    (R14)(SI*4), K1, Z5
	VMOVUPS.Z    64(R14)(SI*4), K2, Z6
	VMOVUPS.Z    128(R14)(SI*4), K3, Z7
	VMOVUPS.Z    192(R14)(SI*4), K4, Z8
	VFMADD231PS  Z5, Z4, Z0
	VFMADD231PS  Z6, Z4, Z1
	VFMADD231PS  Z7, Z4, Z2
	VFMADD231PS  Z8, Z4, Z3
	INCQ         DX
	CMPQ         DX, R10
	JLT          tap4
	VMOVUPS Z0, K1, (DI)(BX*4)
	VMOVUPS Z1, K2, 64(DI)(BX*4)
	VMOVUPS Z2, K3, 128(DI)(BX*4)
	VMOVUPS Z3, K4, 192(DI)(BX*4)

nextrow:
	ADDQ R15, DI
	MOVQ ldb+40(FP), AX
	SHLQ $2, AX
	ADDQ AX, R13
	DECQ R11
	JMP  row

done:
	VZEROUPPER
	RET
