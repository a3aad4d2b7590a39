//go:build !noasm

#include "textflag.h"

// SRCAHEAD is how far ahead of its loads (bytes) each row copier asks for
// the source lines: a depthwise layer reads its input once, from L3 or
// memory, and the copy of its window was most of its time waiting on it.
// Paired ratios over no prefetch, one core: MobileNet's stride-2 depthwise
// layers at 112² and 56² 1.08–1.11, stride 1 at 112² and 56² 1.04; 1024
// and 4096 bytes gained less, 8192 and 16384 less still or lost; the
// stride-2 padded volumes of direct-rows and direct-blocked 1.00.
#define SRCAHEAD 2048

// ROWS_PROLOGUE loads the arguments the row copiers share (their
// signature is (dst *float32, ldd int, src *float32, lds, n, rows int)):
// DI dst, R8 ldd·4, SI src, R9 lds·4, R11 rows; each loads n itself.
#define ROWS_PROLOGUE \
	MOVQ dst+0(FP), DI; \
	MOVQ ldd+8(FP), R8; \
	SHLQ $2, R8; \
	MOVQ src+16(FP), SI; \
	MOVQ lds+24(FP), R9; \
	SHLQ $2, R9; \
	MOVQ rows+40(FP), R11

// The 3×3 depthwise kernels at the end (dw3x3.go) share their prologue and
// row pointers. DW3X3_PROLOGUE loads the arguments: DI out, R8 ow·4, SI
// x − pw, R9 iw·4, R15 zero − pw, R12 masks, R13 chunks, the weights
// broadcast in Z8–Z16, the bias in Z17. DW3X3_ROW(reg) sets reg to the
// input row DX (x + DX·iw, or the zero row where DX lies outside
// [0, ih)) and moves DX to the next row.
#define DW3X3_PROLOGUE \
	MOVQ         out+0(FP), DI; \
	MOVQ         ow+8(FP), R8; \
	SHLQ         $2, R8; \
	MOVQ         x+24(FP), SI; \
	MOVQ         iw+32(FP), R9; \
	SHLQ         $2, R9; \
	MOVQ         pw+56(FP), AX; \
	SHLQ         $2, AX; \
	SUBQ         AX, SI; \
	MOVQ         zero+64(FP), R15; \
	SUBQ         AX, R15; \
	MOVQ         masks+72(FP), R12; \
	MOVQ         chunks+80(FP), R13; \
	MOVQ         w+88(FP), AX; \
	VBROADCASTSS 0(AX), Z8; \
	VBROADCASTSS 4(AX), Z9; \
	VBROADCASTSS 8(AX), Z10; \
	VBROADCASTSS 12(AX), Z11; \
	VBROADCASTSS 16(AX), Z12; \
	VBROADCASTSS 20(AX), Z13; \
	VBROADCASTSS 24(AX), Z14; \
	VBROADCASTSS 28(AX), Z15; \
	VBROADCASTSS 32(AX), Z16; \
	VBROADCASTSS bias+96(FP), Z17

#define DW3X3_ROW(reg) \
	MOVQ    DX, AX; \
	IMULQ   R9, AX; \
	LEAQ    (SI)(AX*1), reg; \
	CMPQ    DX, $0; \
	CMOVQLT R15, reg; \
	CMPQ    DX, ih+40(FP); \
	CMOVQGE R15, reg; \
	INCQ    DX

DATA evenLanes<>+0(SB)/4, $0
DATA evenLanes<>+4(SB)/4, $2
DATA evenLanes<>+8(SB)/4, $4
DATA evenLanes<>+12(SB)/4, $6
DATA evenLanes<>+16(SB)/4, $8
DATA evenLanes<>+20(SB)/4, $10
DATA evenLanes<>+24(SB)/4, $12
DATA evenLanes<>+28(SB)/4, $14
DATA evenLanes<>+32(SB)/4, $16
DATA evenLanes<>+36(SB)/4, $18
DATA evenLanes<>+40(SB)/4, $20
DATA evenLanes<>+44(SB)/4, $22
DATA evenLanes<>+48(SB)/4, $24
DATA evenLanes<>+52(SB)/4, $26
DATA evenLanes<>+56(SB)/4, $28
DATA evenLanes<>+60(SB)/4, $30
GLOBL evenLanes<>(SB), RODATA|NOPTR, $64

DATA oddLanes<>+0(SB)/4, $1
DATA oddLanes<>+4(SB)/4, $3
DATA oddLanes<>+8(SB)/4, $5
DATA oddLanes<>+12(SB)/4, $7
DATA oddLanes<>+16(SB)/4, $9
DATA oddLanes<>+20(SB)/4, $11
DATA oddLanes<>+24(SB)/4, $13
DATA oddLanes<>+28(SB)/4, $15
DATA oddLanes<>+32(SB)/4, $17
DATA oddLanes<>+36(SB)/4, $19
DATA oddLanes<>+40(SB)/4, $21
DATA oddLanes<>+44(SB)/4, $23
DATA oddLanes<>+48(SB)/4, $25
DATA oddLanes<>+52(SB)/4, $27
DATA oddLanes<>+56(SB)/4, $29
DATA oddLanes<>+60(SB)/4, $31
GLOBL oddLanes<>(SB), RODATA|NOPTR, $64

// func deinterleave2Rows(dst *float32, ph, ldd int, src *float32, soff, lds, rows int, masks *uint64, chunks int)
//
// For each row r < rows and chunk c < chunks (16 column pairs each), with
// S = src + r·lds + soff + 32c and D = dst + r·ldd + 16c:
//
//	D[i] = S[2i], D[ph + i] = S[2i + 1]   for the lanes of masks[c]
//
// masks[c] bits 0–15 and 16–31 select the 32 source lanes that lie inside
// the row (the others load as zero and are never touched, so S may start
// one element before the row), bits 32–47 the pairs to store. Two loads,
// two two-table permutes and two stores per 16 pairs.
TEXT ·deinterleave2Rows(SB), NOSPLIT, $0-72
	MOVQ      dst+0(FP), DI
	MOVQ      ph+8(FP), R8
	SHLQ      $2, R8
	MOVQ      ldd+16(FP), R9
	SHLQ      $2, R9
	MOVQ      src+24(FP), SI
	MOVQ      soff+32(FP), AX
	SHLQ      $2, AX
	ADDQ      AX, SI
	MOVQ      lds+40(FP), R10
	SHLQ      $2, R10
	MOVQ      rows+48(FP), R11
	MOVQ      masks+56(FP), R12
	MOVQ      chunks+64(FP), R13
	VMOVDQU32 evenLanes<>(SB), Z6
	VMOVDQU32 oddLanes<>(SB), Z7

row:
	TESTQ R11, R11
	JZ    done
	XORQ  CX, CX
	MOVQ  SI, DX
	MOVQ  DI, BX

chunk:
	CMPQ      CX, R13
	JGE       nextrow
	MOVQ      (R12)(CX*8), AX
	KMOVW     AX, K1
	SHRQ      $16, AX
	KMOVW     AX, K2
	SHRQ      $16, AX
	KMOVW     AX, K3
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS.Z 64(DX), K2, Z1
	PREFETCHT0 SRCAHEAD(DX)
	PREFETCHT0 SRCAHEAD+64(DX)
	VMOVAPS   Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z7, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS   Z2, K3, (BX)
	VMOVUPS   Z3, K3, (BX)(R8*1)
	ADDQ      $128, DX
	ADDQ      $64, BX
	INCQ      CX
	JMP       chunk

nextrow:
	ADDQ R10, SI
	ADDQ R9, DI
	DECQ R11
	JMP  row

done:
	VZEROUPPER
	RET

// func copyRowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int)
//
// For each row r < rows: dst[r·ldd + i] = src[r·lds + i] for i < n (n ≥ 1),
// 16 floats a vector, the last vector of a row masked to the n mod 16 left
// (the mask is the same for every row and set once): the padded-row copy
// of width stride 1 without a memmove call per row.
TEXT ·copyRowsAVX512(SB), NOSPLIT, $0-48
	ROWS_PROLOGUE
	MOVQ  n+32(FP), R10
	MOVQ  R10, CX
	ANDQ  $15, CX
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVW AX, K1

crow:
	TESTQ R11, R11
	JZ    cdone
	XORQ  BX, BX
	MOVQ  R10, DX

cvec:
	CMPQ    DX, $16
	JLT     ctail
	VMOVUPS (SI)(BX*4), Z0
	PREFETCHT0 SRCAHEAD(SI)(BX*4)
	VMOVUPS Z0, (DI)(BX*4)
	ADDQ    $16, BX
	SUBQ    $16, DX
	JMP     cvec

ctail:
	TESTQ     DX, DX
	JZ        cnext
	VMOVUPS.Z (SI)(BX*4), K1, Z0
	VMOVUPS   Z0, K1, (DI)(BX*4)

cnext:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R11
	JMP  crow

cdone:
	VZEROUPPER
	RET

// func scatter2RowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int)
//
// For each row r < rows: dst[r·ldd + 2i] = src[r·lds + i] for i < n (n ≥ 1,
// rows ≥ 1), the odd elements untouched. Per 8 floats: VEXPANDPS into the
// even lanes (K1) and a store of those lanes; the last n mod 8 under K2,
// the even lanes below 2·(n mod 8) (masked lanes are neither read nor
// written, so nothing past either row is touched).
TEXT ·scatter2RowsAVX512(SB), NOSPLIT, $0-48
	ROWS_PROLOGUE
	MOVQ  n+32(FP), DX
	MOVL  $0x5555, AX
	KMOVW AX, K1
	MOVQ  DX, CX
	ANDQ  $7, CX
	SHLQ  $1, CX
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	ANDQ  $0x5555, AX
	KMOVW AX, K2

srow:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ DX, CX
	SHRQ $3, CX
	JZ   stail

svec:
	VEXPANDPS (R12), K1, Z0
	VMOVUPS   Z0, K1, (R13)
	ADDQ      $32, R12
	ADDQ      $64, R13
	DECQ      CX
	JNZ       svec

stail:
	KORTESTW  K2, K2
	JZ        snext
	VEXPANDPS (R12), K2, Z0
	VMOVUPS   Z0, K2, (R13)

snext:
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ R11
	JNZ  srow
	VZEROUPPER
	RET

// func dwS2PlaneAVX512(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, masks *uint64, chunks int, w *float32, bias float32)
//
// A 3×3, stride-2 depthwise plane straight from its input rows, no padded
// copy: for output row r < oh and chunk c < chunks (16 outputs), with
// R_kh = x + (2r − ph + kh)·iw (zero where that row lies outside [0, ih))
// and S = R_kh + 32c − pw,
//
//	out[r·ow + 16c + i] = bias + Σ_kh w[3kh]·S[2i] + w[3kh+1]·S[2i+1] + w[3kh+2]·S[2i+2]
//
// for the lanes of the store mask. masks[2c] bits 0–31 select the lanes of
// S[0..31] inside [0, iw), bits 32–63 those of S[2..33]; masks[2c+1] bits
// 0–15 the outputs to store. The lanes outside load as zero (padding) and
// are never touched. The taps are summed in (kh, kw) order from the bias,
// as the row kernel sums them.
TEXT ·dwS2PlaneAVX512(SB), NOSPLIT, $0-100
	DW3X3_PROLOGUE
	VMOVDQU32 evenLanes<>(SB), Z6
	VMOVDQU32 oddLanes<>(SB), Z7
	XORQ R14, R14               // output row

dwS2PlaneAVX512row:
	CMPQ R14, oh+16(FP)
	JGE  dwS2PlaneAVX512done
	// R10, R11, BX: the input rows of kh = 0, 1, 2 (2r − ph + kh)
	MOVQ R14, DX
	SHLQ $1, DX
	SUBQ ph+48(FP), DX
	DW3X3_ROW(R10)
	DW3X3_ROW(R11)
	DW3X3_ROW(BX)
	XORQ CX, CX                 // chunk
	MOVQ DI, DX                 // its outputs

dwS2PlaneAVX512chunk:
	CMPQ CX, R13
	JGE  dwS2PlaneAVX512next
	MOVQ  CX, AX
	SHLQ  $4, AX
	MOVQ  8(R12)(AX*1), AX
	KMOVW AX, K5
	MOVQ  CX, AX
	SHLQ  $4, AX
	MOVQ  (R12)(AX*1), AX
	KMOVW AX, K1
	SHRQ  $16, AX
	KMOVW AX, K2
	SHRQ  $16, AX
	KMOVW AX, K3
	SHRQ  $16, AX
	KMOVW AX, K4
	VMOVAPS Z17, Z18

	// kh = 0
	VMOVUPS.Z (R10), K1, Z0
	VMOVUPS.Z 64(R10), K2, Z1
	VMOVUPS.Z 8(R10), K3, Z2
	VMOVUPS.Z 72(R10), K4, Z3
	VMOVAPS Z6, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS Z7, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVAPS Z6, Z19
	VPERMI2PS Z3, Z2, Z19
	VFMADD231PS Z8, Z4, Z18
	VFMADD231PS Z9, Z5, Z18
	VFMADD231PS Z10, Z19, Z18

	// kh = 1
	VMOVUPS.Z (R11), K1, Z0
	VMOVUPS.Z 64(R11), K2, Z1
	VMOVUPS.Z 8(R11), K3, Z2
	VMOVUPS.Z 72(R11), K4, Z3
	VMOVAPS Z6, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS Z7, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVAPS Z6, Z19
	VPERMI2PS Z3, Z2, Z19
	VFMADD231PS Z11, Z4, Z18
	VFMADD231PS Z12, Z5, Z18
	VFMADD231PS Z13, Z19, Z18

	// kh = 2
	PREFETCHT0 (BX)(R9*1)
	PREFETCHT0 64(BX)(R9*1)
	PREFETCHT0 (BX)(R9*2)
	PREFETCHT0 64(BX)(R9*2)
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 64(BX), K2, Z1
	VMOVUPS.Z 8(BX), K3, Z2
	VMOVUPS.Z 72(BX), K4, Z3
	VMOVAPS Z6, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS Z7, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVAPS Z6, Z19
	VPERMI2PS Z3, Z2, Z19
	VFMADD231PS Z14, Z4, Z18
	VFMADD231PS Z15, Z5, Z18
	VFMADD231PS Z16, Z19, Z18

	VMOVUPS Z18, K5, (DX)
	ADDQ $64, DX
	ADDQ $128, R10
	ADDQ $128, R11
	ADDQ $128, BX
	INCQ CX
	JMP  dwS2PlaneAVX512chunk

dwS2PlaneAVX512next:
	ADDQ R8, DI
	INCQ R14
	JMP  dwS2PlaneAVX512row

dwS2PlaneAVX512done:
	VZEROUPPER
	RET

// func dwS1PlaneAVX512(out *float32, ow, oh int, x *float32, iw, ih, ph, pw int, zero *float32, masks *uint64, chunks int, w *float32, bias float32)
//
// dwS2PlaneAVX512 at stride 1: for output row r < oh and chunk c < chunks
// (16 outputs), with R_kh = x + (r − ph + kh)·iw (zero where that row lies
// outside [0, ih)) and S = R_kh + 16c − pw,
//
//	out[r·ow + 16c + i] = bias + Σ_kh w[3kh]·S[i] + w[3kh+1]·S[i+1] + w[3kh+2]·S[i+2]
//
// for the lanes of the store mask. masks[c] bits 16kw … 16kw+15 select the
// lanes of S[kw..kw+15] inside [0, iw), bits 48–63 the outputs to store.
// Three loads and three multiply-adds per input row and chunk; the next
// output row's new input row is asked for as it goes.
TEXT ·dwS1PlaneAVX512(SB), NOSPLIT, $0-100
	DW3X3_PROLOGUE
	XORQ R14, R14               // output row

dwS1PlaneAVX512row:
	CMPQ R14, oh+16(FP)
	JGE  dwS1PlaneAVX512done
	// R10, R11, BX: the input rows of kh = 0, 1, 2 (1r − ph + kh)
	MOVQ R14, DX
	SUBQ ph+48(FP), DX
	DW3X3_ROW(R10)
	DW3X3_ROW(R11)
	DW3X3_ROW(BX)
	XORQ CX, CX                 // chunk
	MOVQ DI, DX                 // its outputs

dwS1PlaneAVX512chunk:
	CMPQ CX, R13
	JGE  dwS1PlaneAVX512next
	MOVQ  (R12)(CX*8), AX
	KMOVW AX, K1
	SHRQ  $16, AX
	KMOVW AX, K2
	SHRQ  $16, AX
	KMOVW AX, K3
	SHRQ  $16, AX
	KMOVW AX, K5
	VMOVAPS Z17, Z18

	// kh = 0
	VMOVUPS.Z (R10), K1, Z0
	VMOVUPS.Z 4(R10), K2, Z1
	VMOVUPS.Z 8(R10), K3, Z2
	VFMADD231PS Z8, Z0, Z18
	VFMADD231PS Z9, Z1, Z18
	VFMADD231PS Z10, Z2, Z18

	// kh = 1
	VMOVUPS.Z (R11), K1, Z0
	VMOVUPS.Z 4(R11), K2, Z1
	VMOVUPS.Z 8(R11), K3, Z2
	VFMADD231PS Z11, Z0, Z18
	VFMADD231PS Z12, Z1, Z18
	VFMADD231PS Z13, Z2, Z18

	// kh = 2
	PREFETCHT0 (BX)(R9*1)
	PREFETCHT0 (BX)(R9*2)
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 4(BX), K2, Z1
	VMOVUPS.Z 8(BX), K3, Z2
	VFMADD231PS Z14, Z0, Z18
	VFMADD231PS Z15, Z1, Z18
	VFMADD231PS Z16, Z2, Z18

	VMOVUPS Z18, K5, (DX)
	ADDQ $64, DX
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, BX
	INCQ CX
	JMP  dwS1PlaneAVX512chunk

dwS1PlaneAVX512next:
	ADDQ R8, DI
	INCQ R14
	JMP  dwS1PlaneAVX512row

dwS1PlaneAVX512done:
	VZEROUPPER
	RET

// func gather2RowsAVX512(dst *float32, ldd int, src *float32, lds, n, rows int)
//
// For each row r < rows: dst[r·ldd + i] = src[r·lds + 2i] for i < n (n ≥ 1,
// rows ≥ 1). Per 16 outputs: two loads of 16 source floats, a two-table
// permute of their even lanes and a store. The chunks whose 32 source
// lanes all lie at or below the row's last read, src[2n − 2], go whole;
// the last one (1–16 outputs) loads only the lanes below 2·rem − 1 (K1,
// K2: the rest load as zero and are never touched) and stores rem (K3),
// so nothing past either row is read or written.
TEXT ·gather2RowsAVX512(SB), NOSPLIT, $0-48
	ROWS_PROLOGUE
	MOVQ      n+32(FP), DX
	VMOVDQU32 evenLanes<>(SB), Z6
	// R13 whole chunks, ⌊(n − 1)/16⌋; rem = n − 16·R13 in 1…16
	LEAQ      -1(DX), R13
	SHRQ      $4, R13
	MOVQ      R13, AX
	SHLQ      $4, AX
	MOVQ      DX, CX
	SUBQ      AX, CX          // rem
	// K3: the rem outputs
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K3
	// source lanes below 2·rem − 1 (1…31): K1 the low 16, K2 the high
	LEAQ      -1(CX)(CX*1), CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	SHRQ      $16, AX
	KMOVW     AX, K2

grow:
	MOVQ SI, R12
	MOVQ DI, BX
	MOVQ R13, CX
	TESTQ CX, CX
	JZ   gtail

gvec:
	VMOVUPS   (R12), Z0
	VMOVUPS   64(R12), Z1
	PREFETCHT0 SRCAHEAD(R12)
	VMOVAPS   Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVUPS   Z2, (BX)
	ADDQ      $128, R12
	ADDQ      $64, BX
	DECQ      CX
	JNZ       gvec

gtail:
	VMOVUPS.Z (R12), K1, Z0
	VMOVUPS.Z 64(R12), K2, Z1
	VMOVAPS   Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVUPS   Z2, K3, (BX)
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ R11
	JNZ  grow
	VZEROUPPER
	RET

// func zip2RowsAVX512(dst *float32, ldd int, a, b *float32, lds, n, rows int)
//
// For each row r < rows: dst[r·ldd + 2i] = a[r·lds + i] and dst[r·ldd +
// 2i + 1] = b[r·lds + i] for i < n (n ≥ 1, rows ≥ 1). Per 16 floats of a
// and of b: two VPERMI2PS interleave them into 32 outputs, stored whole;
// the last n mod 16 are loaded under K1 (masked lanes are not read) and
// stored under K2 and K3, the 2·(n mod 16) outputs' lanes, so nothing
// past a row is read or written.
TEXT ·zip2RowsAVX512(SB), NOSPLIT, $0-56
	MOVQ    dst+0(FP), DI
	MOVQ    ldd+8(FP), R8
	SHLQ    $2, R8
	MOVQ    a+16(FP), SI
	MOVQ    b+24(FP), R10
	MOVQ    lds+32(FP), R9
	SHLQ    $2, R9
	MOVQ    n+40(FP), DX
	MOVQ    rows+48(FP), R11
	VMOVUPS zipLanes<>+0(SB), Z6
	VMOVUPS zipLanes<>+64(SB), Z7
	MOVQ    DX, CX
	ANDQ    $15, CX
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K1
	SHLQ    $1, CX
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K2
	SHRQ    $16, AX
	KMOVW   AX, K3

zrow:
	MOVQ SI, R12
	MOVQ R10, R13
	MOVQ DI, R14
	MOVQ DX, CX
	SHRQ $4, CX
	JZ   ztail

zvec:
	VMOVUPS   (R12), Z0
	VMOVUPS   (R13), Z1
	VMOVAPS   Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z7, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS   Z2, (R14)
	VMOVUPS   Z3, 64(R14)
	ADDQ      $64, R12
	ADDQ      $64, R13
	ADDQ      $128, R14
	DECQ      CX
	JNZ       zvec

ztail:
	KORTESTW  K1, K1
	JZ        znext
	VMOVUPS.Z (R12), K1, Z0
	VMOVUPS.Z (R13), K1, Z1
	VMOVAPS   Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z7, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS   Z2, K2, (R14)
	VMOVUPS   Z3, K3, 64(R14)

znext:
	ADDQ R9, SI
	ADDQ R9, R10
	ADDQ R8, DI
	DECQ R11
	JNZ  zrow
	VZEROUPPER
	RET

// zipLanes are zip2RowsAVX512's VPERMI2PS indices: a's lane i to output
// lane 2i and b's (index 16 + i) to 2i + 1, for lanes 0–7 and then 8–15.
DATA zipLanes<>+0(SB)/4, $0
DATA zipLanes<>+4(SB)/4, $16
DATA zipLanes<>+8(SB)/4, $1
DATA zipLanes<>+12(SB)/4, $17
DATA zipLanes<>+16(SB)/4, $2
DATA zipLanes<>+20(SB)/4, $18
DATA zipLanes<>+24(SB)/4, $3
DATA zipLanes<>+28(SB)/4, $19
DATA zipLanes<>+32(SB)/4, $4
DATA zipLanes<>+36(SB)/4, $20
DATA zipLanes<>+40(SB)/4, $5
DATA zipLanes<>+44(SB)/4, $21
DATA zipLanes<>+48(SB)/4, $6
DATA zipLanes<>+52(SB)/4, $22
DATA zipLanes<>+56(SB)/4, $7
DATA zipLanes<>+60(SB)/4, $23
DATA zipLanes<>+64(SB)/4, $8
DATA zipLanes<>+68(SB)/4, $24
DATA zipLanes<>+72(SB)/4, $9
DATA zipLanes<>+76(SB)/4, $25
DATA zipLanes<>+80(SB)/4, $10
DATA zipLanes<>+84(SB)/4, $26
DATA zipLanes<>+88(SB)/4, $11
DATA zipLanes<>+92(SB)/4, $27
DATA zipLanes<>+96(SB)/4, $12
DATA zipLanes<>+100(SB)/4, $28
DATA zipLanes<>+104(SB)/4, $13
DATA zipLanes<>+108(SB)/4, $29
DATA zipLanes<>+112(SB)/4, $14
DATA zipLanes<>+116(SB)/4, $30
DATA zipLanes<>+120(SB)/4, $15
DATA zipLanes<>+124(SB)/4, $31
GLOBL zipLanes<>(SB), RODATA|NOPTR, $128
