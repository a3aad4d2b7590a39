//go:build !noasm

#include "textflag.h"

// lanes8Mask: 8 dwords of all ones, then 8 of zero; the 8 from dword
// 8 − r on are the VMASKMOVPS mask of the first r lanes. One table for
// every AVX2 kernel of the package that masks a vector's tail
// (direct-blocked's, direct-rows' store, the depthwise row kernel).
DATA ·lanes8Mask+0(SB)/4, $0xffffffff
DATA ·lanes8Mask+4(SB)/4, $0xffffffff
DATA ·lanes8Mask+8(SB)/4, $0xffffffff
DATA ·lanes8Mask+12(SB)/4, $0xffffffff
DATA ·lanes8Mask+16(SB)/4, $0xffffffff
DATA ·lanes8Mask+20(SB)/4, $0xffffffff
DATA ·lanes8Mask+24(SB)/4, $0xffffffff
DATA ·lanes8Mask+28(SB)/4, $0xffffffff
DATA ·lanes8Mask+32(SB)/4, $0
DATA ·lanes8Mask+36(SB)/4, $0
DATA ·lanes8Mask+40(SB)/4, $0
DATA ·lanes8Mask+44(SB)/4, $0
DATA ·lanes8Mask+48(SB)/4, $0
DATA ·lanes8Mask+52(SB)/4, $0
DATA ·lanes8Mask+56(SB)/4, $0
DATA ·lanes8Mask+60(SB)/4, $0
GLOBL ·lanes8Mask(SB), RODATA|NOPTR, $64
