#include "textflag.h"

// Sigmoid and tanh of 8 float32 lanes at a time with AVX2, the operations of
// Exp32, Sigmoid32 and Tanh32 (act.go) in the same order, each rounded to float32
// (no FMA), so every lane equals the Go function's result bit for bit.

DATA actExpMax<>+0(SB)/4, $0x42b00000 // 88
GLOBL actExpMax<>(SB), RODATA|NOPTR, $4
DATA actExpMin<>+0(SB)/4, $0xc2ae0000 // -87
GLOBL actExpMin<>(SB), RODATA|NOPTR, $4
DATA actLog2e<>+0(SB)/4, $0x3fb8aa3b
GLOBL actLog2e<>(SB), RODATA|NOPTR, $4
DATA actMagic<>+0(SB)/4, $0x4b400000 // 1.5·2^23
GLOBL actMagic<>(SB), RODATA|NOPTR, $4
DATA actLn2Hi<>+0(SB)/4, $0x3f318000
GLOBL actLn2Hi<>(SB), RODATA|NOPTR, $4
DATA actLn2Lo<>+0(SB)/4, $0xb95e8083
GLOBL actLn2Lo<>(SB), RODATA|NOPTR, $4
DATA actE0<>+0(SB)/4, $0x39506967
GLOBL actE0<>(SB), RODATA|NOPTR, $4
DATA actE1<>+0(SB)/4, $0x3ab743ce
GLOBL actE1<>(SB), RODATA|NOPTR, $4
DATA actE2<>+0(SB)/4, $0x3c088908
GLOBL actE2<>(SB), RODATA|NOPTR, $4
DATA actE3<>+0(SB)/4, $0x3d2aa9c1
GLOBL actE3<>(SB), RODATA|NOPTR, $4
DATA actE4<>+0(SB)/4, $0x3e2aaaaa
GLOBL actE4<>(SB), RODATA|NOPTR, $4
DATA actE5<>+0(SB)/4, $0x3f000000
GLOBL actE5<>(SB), RODATA|NOPTR, $4
DATA actOne<>+0(SB)/4, $0x3f800000
GLOBL actOne<>(SB), RODATA|NOPTR, $4
DATA actTwo<>+0(SB)/4, $0x40000000
GLOBL actTwo<>(SB), RODATA|NOPTR, $4
DATA actBias<>+0(SB)/4, $127
GLOBL actBias<>(SB), RODATA|NOPTR, $4
DATA actSign<>+0(SB)/4, $0x80000000
GLOBL actSign<>(SB), RODATA|NOPTR, $4
DATA actAbs<>+0(SB)/4, $0x7fffffff
GLOBL actAbs<>(SB), RODATA|NOPTR, $4
DATA actSmall<>+0(SB)/4, $0x3f200000 // 0.625
GLOBL actSmall<>(SB), RODATA|NOPTR, $4
DATA actT0<>+0(SB)/4, $0xbbbaf0ea
GLOBL actT0<>(SB), RODATA|NOPTR, $4
DATA actT1<>+0(SB)/4, $0x3ca9134e
GLOBL actT1<>(SB), RODATA|NOPTR, $4
DATA actT2<>+0(SB)/4, $0xbd5c1e2d
GLOBL actT2<>(SB), RODATA|NOPTR, $4
DATA actT3<>+0(SB)/4, $0x3e088393
GLOBL actT3<>(SB), RODATA|NOPTR, $4
DATA actT4<>+0(SB)/4, $0xbeaaaa99
GLOBL actT4<>(SB), RODATA|NOPTR, $4

// Constants kept in registers: Y8 88, Y9 -87, Y10 log2 e, Y11 the rounding
// constant, Y12 ln2Hi, Y13 ln2Lo, Y14 1.
#define LOADCONST \
	VBROADCASTSS actExpMax<>(SB), Y8 \
	VBROADCASTSS actExpMin<>(SB), Y9 \
	VBROADCASTSS actLog2e<>(SB), Y10 \
	VBROADCASTSS actMagic<>(SB), Y11 \
	VBROADCASTSS actLn2Hi<>(SB), Y12 \
	VBROADCASTSS actLn2Lo<>(SB), Y13 \
	VBROADCASTSS actOne<>(SB), Y14

// POLY(c, r, p): p = p·r + c.
#define POLY(c, r, p) \
	VMULPS r, p, p \
	VBROADCASTSS c, Y4 \
	VADDPS Y4, p, p

// EXP sets Y0 = Exp32(Y0); it uses Y1-Y4. The clamps keep a NaN (the second source
// operand, in Intel's order, is returned when either is NaN).
#define EXP \
	VMINPS Y0, Y8, Y0 \
	VMAXPS Y0, Y9, Y0 \
	VMULPS Y10, Y0, Y1 \
	VADDPS Y11, Y1, Y1 \
	VSUBPS Y11, Y1, Y1 \
	VMULPS Y12, Y1, Y2 \
	VSUBPS Y2, Y0, Y0 \
	VMULPS Y13, Y1, Y2 \
	VSUBPS Y2, Y0, Y0 \
	VBROADCASTSS actE0<>(SB), Y2 \
	VMULPS Y0, Y2, Y2 \
	VBROADCASTSS actE1<>(SB), Y4 \
	VADDPS Y4, Y2, Y2 \
	POLY(actE2<>(SB), Y0, Y2) \
	POLY(actE3<>(SB), Y0, Y2) \
	POLY(actE4<>(SB), Y0, Y2) \
	POLY(actE5<>(SB), Y0, Y2) \
	VMULPS Y0, Y2, Y2 \
	VMULPS Y0, Y2, Y2 \
	VADDPS Y0, Y2, Y2 \
	VADDPS Y14, Y2, Y2 \
	VCVTTPS2DQ Y1, Y3 \
	VPBROADCASTD actBias<>(SB), Y4 \
	VPADDD Y4, Y3, Y3 \
	VPSLLD $23, Y3, Y3 \
	VMULPS Y3, Y2, Y0

// func sigmoidAVX2(y, x *float32, n int)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   sdone
	LOADCONST
	VBROADCASTSS actSign<>(SB), Y7

sloop:
	VMOVUPS (SI), Y0
	VXORPS  Y7, Y0, Y0 // -x
	EXP
	VADDPS  Y14, Y0, Y0
	VDIVPS  Y0, Y14, Y0 // 1/(1+e^-x)
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     sloop

sdone:
	VZEROUPPER
	RET

// func tanhAVX2(y, x *float32, n int)
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   tdone
	LOADCONST

tloop:
	VMOVUPS (SI), Y5 // x

	// Near 0: x + x·z·q(z), z = x².
	VMULPS       Y5, Y5, Y1 // z
	VBROADCASTSS actT0<>(SB), Y2
	VMULPS       Y1, Y2, Y2
	VBROADCASTSS actT1<>(SB), Y4
	VADDPS       Y4, Y2, Y2
	POLY(actT2<>(SB), Y1, Y2)
	POLY(actT3<>(SB), Y1, Y2)
	POLY(actT4<>(SB), Y1, Y2)
	VMULPS       Y1, Y5, Y6 // x·z
	VMULPS       Y2, Y6, Y6
	VADDPS       Y6, Y5, Y6 // the small-|x| result

	// Elsewhere: ±(1 - 2/(e^2|x| + 1)).
	VBROADCASTSS actSign<>(SB), Y4
	VANDPS       Y4, Y5, Y15 // the sign of x
	VBROADCASTSS actAbs<>(SB), Y4
	VANDPS       Y4, Y5, Y0 // |x|
	VBROADCASTSS actSmall<>(SB), Y4
	VCMPPS       $1, Y4, Y0, Y7 // |x| < 0.625
	VADDPS       Y0, Y0, Y0 // 2|x|
	EXP
	VADDPS       Y14, Y0, Y0
	VBROADCASTSS actTwo<>(SB), Y4
	VDIVPS       Y0, Y4, Y0
	VSUBPS       Y0, Y14, Y0
	VXORPS       Y15, Y0, Y0

	VBLENDVPS Y7, Y6, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       tloop

tdone:
	VZEROUPPER
	RET

// TANH sets Y0 = Tanh32(Y5), as tloop does; it uses Y1-Y7 and Y15.
#define TANH \
	VMULPS       Y5, Y5, Y1 \
	VBROADCASTSS actT0<>(SB), Y2 \
	VMULPS       Y1, Y2, Y2 \
	VBROADCASTSS actT1<>(SB), Y4 \
	VADDPS       Y4, Y2, Y2 \
	POLY(actT2<>(SB), Y1, Y2) \
	POLY(actT3<>(SB), Y1, Y2) \
	POLY(actT4<>(SB), Y1, Y2) \
	VMULPS       Y1, Y5, Y6 \
	VMULPS       Y2, Y6, Y6 \
	VADDPS       Y6, Y5, Y6 \
	VBROADCASTSS actSign<>(SB), Y4 \
	VANDPS       Y4, Y5, Y15 \
	VBROADCASTSS actAbs<>(SB), Y4 \
	VANDPS       Y4, Y5, Y0 \
	VBROADCASTSS actSmall<>(SB), Y4 \
	VCMPPS       $1, Y4, Y0, Y7 \
	VADDPS       Y0, Y0, Y0 \
	EXP \
	VADDPS       Y14, Y0, Y0 \
	VBROADCASTSS actTwo<>(SB), Y4 \
	VDIVPS       Y0, Y4, Y0 \
	VSUBPS       Y0, Y14, Y0 \
	VXORPS       Y15, Y0, Y0 \
	VBLENDVPS    Y7, Y6, Y0, Y0

// SIGMOID sets Y0 = Sigmoid32(Y0), as sloop does; it uses Y1-Y4.
#define SIGMOID \
	VBROADCASTSS actSign<>(SB), Y4 \
	VXORPS       Y4, Y0, Y0 \
	EXP \
	VADDPS       Y14, Y0, Y0 \
	VDIVPS       Y0, Y14, Y0

// func lstmCellAVX2(row *lstmCellRow, cols int)
//
// One row of rt.LSTMCell, eight cells at a time, in the order of lstmCellGo's
// operations. Field offsets of lstmCellRow: z 0-24, b 32-56, cp 64, c 72, h 80,
// out 88-120 (i, f, g, o, tanh c). The row's h is scratch until its final store:
// g, then i·g, then tanh c pass through it, so that five results need no registers
// beyond the activations' own.
TEXT ·lstmCellAVX2(SB), NOSPLIT, $0-16
	MOVQ row+0(FP), R8
	MOVQ cols+8(FP), DX
	SHLQ $2, DX // bytes
	XORQ CX, CX
	MOVQ 80(R8), DI // h
	LOADCONST

lcloop:
	// g = tanh(z_g + b_g), kept in h.
	MOVQ    16(R8), SI
	VMOVUPS (SI)(CX*1), Y5
	MOVQ    48(R8), SI
	TESTQ   SI, SI
	JZ      lcgb
	VADDPS  (SI)(CX*1), Y5, Y5

lcgb:
	TANH
	VMOVUPS Y0, (DI)(CX*1)
	MOVQ    104(R8), SI
	TESTQ   SI, SI
	JZ      lcgs
	VMOVUPS Y0, (SI)(CX*1)

lcgs:
	// i = σ(z_i + b_i); i·g kept in h.
	MOVQ    0(R8), SI
	VMOVUPS (SI)(CX*1), Y0
	MOVQ    32(R8), SI
	TESTQ   SI, SI
	JZ      lcib
	VADDPS  (SI)(CX*1), Y0, Y0

lcib:
	SIGMOID
	MOVQ    88(R8), SI
	TESTQ   SI, SI
	JZ      lcis
	VMOVUPS Y0, (SI)(CX*1)

lcis:
	VMULPS  (DI)(CX*1), Y0, Y0
	VMOVUPS Y0, (DI)(CX*1)

	// f = σ(z_f + b_f); c = f·cPrev + i·g.
	MOVQ    8(R8), SI
	VMOVUPS (SI)(CX*1), Y0
	MOVQ    40(R8), SI
	TESTQ   SI, SI
	JZ      lcfb
	VADDPS  (SI)(CX*1), Y0, Y0

lcfb:
	SIGMOID
	MOVQ    96(R8), SI
	TESTQ   SI, SI
	JZ      lcfs
	VMOVUPS Y0, (SI)(CX*1)

lcfs:
	MOVQ    64(R8), SI
	VMULPS  (SI)(CX*1), Y0, Y0
	VADDPS  (DI)(CX*1), Y0, Y0
	MOVQ    72(R8), SI
	VMOVUPS Y0, (SI)(CX*1)

	// tanh c, kept in h.
	VMOVAPS Y0, Y5
	TANH
	VMOVUPS Y0, (DI)(CX*1)
	MOVQ    120(R8), SI
	TESTQ   SI, SI
	JZ      lccs
	VMOVUPS Y0, (SI)(CX*1)

lccs:
	// o = σ(z_o + b_o); h = o·tanh c.
	MOVQ    24(R8), SI
	VMOVUPS (SI)(CX*1), Y0
	MOVQ    56(R8), SI
	TESTQ   SI, SI
	JZ      lcob
	VADDPS  (SI)(CX*1), Y0, Y0

lcob:
	SIGMOID
	MOVQ    112(R8), SI
	TESTQ   SI, SI
	JZ      lcos
	VMOVUPS Y0, (SI)(CX*1)

lcos:
	VMULPS  (DI)(CX*1), Y0, Y0
	VMOVUPS Y0, (DI)(CX*1)

	ADDQ $32, CX
	CMPQ CX, DX
	JLT  lcloop
	VZEROUPPER
	RET
