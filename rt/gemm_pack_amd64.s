#include "textflag.h"

// Packing routines for the B panels of the AVX2 and AVX-512 kernels. They use only
// AVX instructions on YMM registers, so both kernel families can share them.

// func packRowsAVX(kc int, src *float32, lds int, dst *float32, ldd, w int)
//
// Copies kc rows of w ≥ 8 floats, row p from src + p·lds to dst + p·ldd: an
// untransposed B panel, or a sliver of a transposed A. When w is not a multiple of
// 8, the last vector of a row is the one ending at the row's end, which overlaps the
// one before it and rewrites a few floats with the same values.
TEXT ·packRowsAVX(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), R11
	SHLQ $2, R11
	MOVQ w+40(FP), R9
	SHLQ $2, R9 // bytes per row
	LEAQ -32(R9), R10 // offset of the last vector of a row
	TESTQ CX, CX
	JEQ done
	CMPQ R9, $128
	JNE anyw

	// w = 32: four vectors per row, the common case, unrolled.
row32:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ R8, SI
	ADDQ R11, DI
	DECQ CX
	JNE row32
	JMP done

	// Any other width: whole vectors from the left, then the last one.
anyw:
	XORQ DX, DX
	JMP test
vec:
	VMOVUPS (SI)(DX*1), Y0
	VMOVUPS Y0, (DI)(DX*1)
	ADDQ $32, DX
test:
	CMPQ DX, R10
	JLT vec
	VMOVUPS (SI)(R10*1), Y0
	VMOVUPS Y0, (DI)(R10*1)
	ADDQ R8, SI
	ADDQ R11, DI
	DECQ CX
	JNE anyw

done:
	VZEROUPPER
	RET

// func transpose8Pack(nb int, src *float32, lds int, dst *float32, ldd int)
//
// Transposes an 8 × 8·nb strip: dst[(8b+p)·ldd + j] = src[j·lds + 8b+p] for
// j, p < 8 and b < nb. It packs 8 columns of a transposed B panel: the 8 stored rows
// j of B each run along k, and the panel wants k-major rows.
//
// Each 8×8 block is transposed in registers in three rounds (Y0..Y7 hold source
// rows r0..r7, each with k steps p0..p7; "|" separates the 128-bit lanes):
//  1. VUNPCKLPS/VUNPCKHPS interleave row pairs:   r0p0 r1p0 r0p1 r1p1 | r0p4 r1p4 r0p5 r1p5
//  2. VSHUFPS gathers four rows of one k step:    r0p0 r1p0 r2p0 r3p0 | r0p4 r1p4 r2p4 r3p4
//  3. VPERM2F128 joins rows 0-3 and 4-7 lanes:    r0p0 … r7p0 (and r0p4 … r7p4).
TEXT ·transpose8Pack(SB), NOSPLIT, $0-40
	MOVQ nb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9 // 3 rows
	LEAQ (SI)(R8*4), R10 // rows 4-7 base
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), R11
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12 // 3 rows of dst
	LEAQ (DI)(R11*4), R13 // dst rows 4-7 base
	TESTQ CX, CX
	JEQ done

block:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (R10)(R9*1), Y7

	// Round 1: interleave pairs of rows.
	VUNPCKLPS Y1, Y0, Y8  // r0p0 r1p0 r0p1 r1p1 | p4 p5
	VUNPCKHPS Y1, Y0, Y9  // r0p2 r1p2 r0p3 r1p3 | p6 p7
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	// Round 2: four rows of one k step per lane.
	VSHUFPS $0x44, Y10, Y8, Y0  // rows 0-3, p0 | p4
	VSHUFPS $0xEE, Y10, Y8, Y1  // rows 0-3, p1 | p5
	VSHUFPS $0x44, Y11, Y9, Y2  // rows 0-3, p2 | p6
	VSHUFPS $0xEE, Y11, Y9, Y3  // rows 0-3, p3 | p7
	VSHUFPS $0x44, Y14, Y12, Y4 // rows 4-7, p0 | p4
	VSHUFPS $0xEE, Y14, Y12, Y5 // rows 4-7, p1 | p5
	VSHUFPS $0x44, Y15, Y13, Y6 // rows 4-7, p2 | p6
	VSHUFPS $0xEE, Y15, Y13, Y7 // rows 4-7, p3 | p7

	// Round 3: low lanes give k steps 0-3, high lanes 4-7.
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R11*1)
	VMOVUPS Y10, (DI)(R11*2)
	VMOVUPS Y11, (DI)(R12*1)
	VMOVUPS Y12, (R13)
	VMOVUPS Y13, (R13)(R11*1)
	VMOVUPS Y14, (R13)(R11*2)
	VMOVUPS Y15, (R13)(R12*1)

	// Next 8 k steps: 32 bytes along the source rows, 8 rows down the panel.
	ADDQ $32, SI
	ADDQ $32, R10
	LEAQ (DI)(R11*8), DI
	LEAQ (R13)(R11*8), R13
	DECQ CX
	JNE block

done:
	VZEROUPPER
	RET
