//go:build !noasm

#include "textflag.h"

// func prefetchRowsWAsm(p *float32, stride, rows, lines int)
//
// PREFETCHW of lines 64-byte lines from p in each of rows rows stride
// floats apart: requests the lines for writing (in exclusive state), so
// that stores to them later find them in cache. Prefetches never fault.
TEXT ·prefetchRowsWAsm(SB), NOSPLIT, $0-32
	MOVQ  p+0(FP), AX
	MOVQ  stride+8(FP), BX
	SHLQ  $2, BX
	MOVQ  rows+16(FP), CX
	MOVQ  lines+24(FP), DX
	TESTQ CX, CX
	JLE   done
	TESTQ DX, DX
	JLE   done

row:
	MOVQ AX, SI
	MOVQ DX, DI

line:
	// PREFETCHW (SI): 0F 0D /1, ModRM 0x0E (the assembler has no mnemonic)
	BYTE $0x0F; BYTE $0x0D; BYTE $0x0E
	ADDQ $64, SI
	DECQ DI
	JNZ  line
	ADDQ BX, AX
	DECQ CX
	JNZ  row

done:
	RET
