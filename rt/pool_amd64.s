#include "textflag.h"

// Even and odd lane indices into a pair of 16-float vectors (VPERMT2PS tables).
DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

DATA poolOdd<>+0(SB)/4, $1
DATA poolOdd<>+4(SB)/4, $3
DATA poolOdd<>+8(SB)/4, $5
DATA poolOdd<>+12(SB)/4, $7
DATA poolOdd<>+16(SB)/4, $9
DATA poolOdd<>+20(SB)/4, $11
DATA poolOdd<>+24(SB)/4, $13
DATA poolOdd<>+28(SB)/4, $15
DATA poolOdd<>+32(SB)/4, $17
DATA poolOdd<>+36(SB)/4, $19
DATA poolOdd<>+40(SB)/4, $21
DATA poolOdd<>+44(SB)/4, $23
DATA poolOdd<>+48(SB)/4, $25
DATA poolOdd<>+52(SB)/4, $27
DATA poolOdd<>+56(SB)/4, $29
DATA poolOdd<>+60(SB)/4, $31
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64

// func maxPool2x2ReLUAVX512(out, r0, r1 *float32, n int, bias float32, outMask, in0, in1 uint16)
//
// out[q] = max(max(r0[2q], r0[2q+1], r1[2q], r1[2q+1]) + bias, 0) for q < n+popcount(outMask),
// n a multiple of 16, with Go's max semantics: a NaN anywhere in a window gives NaN,
// and a zero result is +0. VMAXPS returns its second source when either is NaN (and
// when both are zeros), so every max is followed by a masked move of NaN into the
// lanes whose operands were unordered, and the ReLU's zero is the second source.
// After the n values, a partial block: outMask selects the outputs stored, in0 and
// in1 the inputs loaded from each row's first and second 16 floats (the others read
// as zero and are never stored), so nothing past the row is read or written.
TEXT ·maxPool2x2ReLUAVX512(SB), NOSPLIT, $0-42
	MOVQ out+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS bias+32(FP), Z10
	VPXORD Z11, Z11, Z11
	MOVL $0x7fc00000, AX
	VPBROADCASTD AX, Z12
	VMOVDQU32 poolEven<>(SB), Z13
	VMOVDQU32 poolOdd<>(SB), Z14
	TESTQ CX, CX
	JZ tail

loop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS (DX), Z2
	VMOVUPS 64(DX), Z3
	CALL pool16<>(SB)
	VMOVUPS Z9, (DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ loop

tail:
	KMOVW outMask+36(FP), K5
	KORTESTW K5, K5
	JZ done
	KMOVW in0+38(FP), K6
	KMOVW in1+40(FP), K7
	VMOVUPS.Z (SI), K6, Z0
	VMOVUPS.Z 64(SI), K7, Z1
	VMOVUPS.Z (DX), K6, Z2
	VMOVUPS.Z 64(DX), K7, Z3
	CALL pool16<>(SB)
	VMOVUPS Z9, K5, (DI)

done:
	VZEROUPPER
	RET

// pool16 pools Z0:Z1 (row 0) and Z2:Z3 (row 1) into Z9 with the constants of
// maxPool2x2ReLUAVX512.
TEXT pool16<>(SB), NOSPLIT|NOFRAME, $0-0
	// Down the window's two rows.
	VCMPPS $3, Z2, Z0, K1
	VCMPPS $3, Z3, Z1, K2
	VMAXPS Z2, Z0, Z4
	VMAXPS Z3, Z1, Z5
	VMOVAPS Z12, K1, Z4
	VMOVAPS Z12, K2, Z5
	// Across the window's two columns: even lanes against odd lanes.
	VMOVAPS Z4, Z6
	VMOVAPS Z4, Z7
	VPERMT2PS Z5, Z13, Z6
	VPERMT2PS Z5, Z14, Z7
	VCMPPS $3, Z7, Z6, K3
	VMAXPS Z7, Z6, Z8
	VMOVAPS Z12, K3, Z8
	// Bias and ReLU.
	VADDPS Z10, Z8, Z8
	VCMPPS $3, Z8, Z8, K4
	VMAXPS Z11, Z8, Z9
	VMOVAPS Z8, K4, Z9
	RET
