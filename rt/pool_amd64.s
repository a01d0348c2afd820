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

// func winners2x2ReLUAVX512(out, code, r0, r1 *float32, n int, bias float32, at0, wo int32, outMask, in0, in1 uint16)
//
// The winners of a pooled row of a 2×2, stride-2 max pool after bias and ReLU
// (Epilogue.winners' fast path, in vectors of 16 windows): out[q] is the pooled
// value as maxPool2x2ReLUAVX512 computes it, code[q] the position of the window's
// first maximum (at0 + 2q, +1, +wo or +wo+1), a later element winning only when
// greater than the running maximum, or -(position+1) where the pooled value is not
// positive. n is a multiple of 16; outMask, in0 and in1 describe a partial block
// after it, as for maxPool2x2ReLUAVX512.
TEXT ·winners2x2ReLUAVX512(SB), NOSPLIT, $0-58
	MOVQ out+0(FP), DI
	MOVQ code+8(FP), R8
	MOVQ r0+16(FP), SI
	MOVQ r1+24(FP), DX
	MOVQ n+32(FP), CX
	VBROADCASTSS bias+40(FP), Z10
	VPXORD Z11, Z11, Z11
	MOVL $0x7fc00000, AX
	VPBROADCASTD AX, Z12
	VMOVDQU32 poolEven<>(SB), Z13
	VMOVDQU32 poolOdd<>(SB), Z14
	// Z17: the positions of the 16 windows' first elements; Z18 advances them.
	MOVL at0+44(FP), AX
	VPBROADCASTD AX, Z17
	VPADDD Z13, Z17, Z17
	MOVL $32, AX
	VPBROADCASTD AX, Z18
	// The other elements' offsets: 1, wo, wo+1; and -1.
	MOVL $1, AX
	VPBROADCASTD AX, Z19
	MOVL wo+48(FP), AX
	VPBROADCASTD AX, Z20
	VPADDD Z19, Z20, Z21
	MOVL $-1, AX
	VPBROADCASTD AX, Z22
	TESTQ CX, CX
	JZ wtail

wloop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS (DX), Z2
	VMOVUPS 64(DX), Z3
	CALL winners16<>(SB)
	VMOVUPS Z9, (DI)
	VMOVUPS Z24, (R8)
	VPADDD Z18, Z17, Z17
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $64, DI
	ADDQ $64, R8
	SUBQ $16, CX
	JNZ wloop

wtail:
	KMOVW outMask+52(FP), K5
	KORTESTW K5, K5
	JZ wdone
	KMOVW in0+54(FP), K6
	KMOVW in1+56(FP), K7
	VMOVUPS.Z (SI), K6, Z0
	VMOVUPS.Z 64(SI), K7, Z1
	VMOVUPS.Z (DX), K6, Z2
	VMOVUPS.Z 64(DX), K7, Z3
	CALL winners16<>(SB)
	VMOVUPS Z9, K5, (DI)
	VMOVUPS Z24, K5, (R8)

wdone:
	VZEROUPPER
	RET

// winners16 computes 16 windows from Z0:Z1 (row 0) and Z2:Z3 (row 1): the pooled
// values in Z9 and the codes in Z24, with the constants of winners2x2ReLUAVX512.
TEXT winners16<>(SB), NOSPLIT|NOFRAME, $0-0
	// Bias and ReLU, keeping NaN (Go's max(NaN, 0) is NaN).
	VADDPS Z10, Z0, Z0
	VCMPPS $3, Z0, Z0, K1
	VMAXPS Z11, Z0, Z4
	VMOVAPS Z0, K1, Z4
	VADDPS Z10, Z1, Z1
	VCMPPS $3, Z1, Z1, K1
	VMAXPS Z11, Z1, Z5
	VMOVAPS Z1, K1, Z5
	VADDPS Z10, Z2, Z2
	VCMPPS $3, Z2, Z2, K1
	VMAXPS Z11, Z2, Z6
	VMOVAPS Z2, K1, Z6
	VADDPS Z10, Z3, Z3
	VCMPPS $3, Z3, Z3, K1
	VMAXPS Z11, Z3, Z7
	VMOVAPS Z3, K1, Z7
	// t0, t1, t2, t3: each window's elements in row-major order.
	VMOVAPS Z4, Z0
	VPERMT2PS Z5, Z13, Z0
	VMOVAPS Z4, Z1
	VPERMT2PS Z5, Z14, Z1
	VMOVAPS Z6, Z2
	VPERMT2PS Z7, Z13, Z2
	VMOVAPS Z6, Z3
	VPERMT2PS Z7, Z14, Z3
	// The running maximum v (Z9, Go's max) and the winner's offset (Z8): an
	// element wins when it is greater than the maximum before it.
	VPXORD Z8, Z8, Z8
	VCMPPS $0x1e, Z0, Z1, K2
	VMOVDQA32 Z19, K2, Z8
	VCMPPS $3, Z1, Z0, K3
	VMAXPS Z1, Z0, Z9
	VMOVAPS Z12, K3, Z9
	VCMPPS $0x1e, Z9, Z2, K2
	VMOVDQA32 Z20, K2, Z8
	VCMPPS $3, Z2, Z9, K3
	VMAXPS Z2, Z9, Z9
	VMOVAPS Z12, K3, Z9
	VCMPPS $0x1e, Z9, Z3, K2
	VMOVDQA32 Z21, K2, Z8
	VCMPPS $3, Z3, Z9, K3
	VMAXPS Z3, Z9, Z9
	VMOVAPS Z12, K3, Z9
	// The code: the position, or -(position+1) where v is not positive.
	VPADDD Z8, Z17, Z23
	VCMPPS $0x1e, Z11, Z9, K4
	VPSUBD Z23, Z22, Z24
	VMOVDQA32 Z23, K4, Z24
	VCVTDQ2PS Z24, Z24
	RET

// func addToAVX512(dst, src *float32, n int)
//
// dst[i] += src[i] for i < n, 16 at a time and a masked partial block.
TEXT ·addToAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	CMPQ CX, $16
	JLT atail

aloop:
	VMOVUPS (DI), Z0
	VADDPS (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE aloop

atail:
	TESTQ CX, CX
	JZ adone
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)

adone:
	VZEROUPPER
	RET
