#include "textflag.h"

// The adaptive optimizers' element loops on AVX-512, sixteen parameters a block.
// Each kernel does exactly the float32 operations of its Go loop (adamGo,
// adamaxGo, nadamGo in optim_adam.go; adagradGo, adadeltaGo, rmspropGo in
// optim_adaptive.go) in the same order, with no fused multiply-add, so both give
// the same bits. Every block runs under the mask K1 of its first min(16, left)
// lanes: the last one reads and writes nothing past the slices, and masked-off
// lanes compute on zeros that are never stored.
//
// Go's operand order: VSUBPS a, b, c is c = b - a; VDIVPS a, b, c is c = b / a;
// VCMPPS $pred, a, b, K is K = b pred a.
//
// A maximum max(x, y) of the Go loops is written `if !(x >= y) { x = y }`: x when
// x >= y holds, else y (so y when either is NaN, and x when they are zeros of
// either sign). The kernels compare with predicate GE_OQ (0x1d, false on NaN)
// and move x into y's register under that mask.

// MASK sets K1 to the low CX bits, CX in 1..16.
#define MASK \
	MOVL  $1, BX \
	SHLL  CX, BX \
	DECL  BX \
	KMOVW BX, K1

// NEXT sets CX to min(16, R11), the lanes of the next block.
#define NEXT \
	MOVQ    $16, CX \
	CMPQ    R11, CX \
	CMOVQLT R11, CX

// func adamAVX512(p, grad, m, v, vmax *float32, n int, stepSize, ibc2, b1, omb1, b2, omb2, wd, eps, shrink float32, l2, decay, amsgrad bool)
TEXT ·adamAVX512(SB), NOSPLIT, $0-87
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), DX
	MOVQ         v+24(FP), R8
	MOVQ         vmax+32(FP), R9
	MOVQ         n+40(FP), R11
	VBROADCASTSS stepSize+48(FP), Z20
	VBROADCASTSS ibc2+52(FP), Z21
	VBROADCASTSS b1+56(FP), Z22
	VBROADCASTSS omb1+60(FP), Z23
	VBROADCASTSS b2+64(FP), Z24
	VBROADCASTSS omb2+68(FP), Z25
	VBROADCASTSS wd+72(FP), Z26
	VBROADCASTSS eps+76(FP), Z27
	VBROADCASTSS shrink+80(FP), Z28
	MOVBLZX      l2+84(FP), R10
	MOVBLZX      decay+85(FP), R12
	MOVBLZX      amsgrad+86(FP), R13

adamLoop:
	TESTQ     R11, R11
	JLE       adamDone
	NEXT
	MASK
	VMOVUPS.Z (DI), K1, Z0   // w = p
	TESTQ     R12, R12
	JZ        adamGrad
	VMULPS    Z28, Z0, Z0    // w = w·shrink (AdamW)

adamGrad:
	VMOVUPS.Z (SI), K1, Z1   // d = g
	TESTQ     R10, R10
	JZ        adamMoments
	VMULPS    Z0, Z26, Z2
	VADDPS    Z2, Z1, Z1     // d = g + wd·w

adamMoments:
	VMOVUPS.Z (DX), K1, Z3
	VMULPS    Z3, Z22, Z3
	VMULPS    Z1, Z23, Z4
	VADDPS    Z4, Z3, Z3     // m = β₁·m + (1-β₁)·d
	VMOVUPS   Z3, K1, (DX)
	VMOVUPS.Z (R8), K1, Z5
	VMULPS    Z5, Z24, Z5
	VMULPS    Z1, Z25, Z6
	VMULPS    Z1, Z6, Z6
	VADDPS    Z6, Z5, Z5     // v = β₂·v + (1-β₂)·d·d
	VMOVUPS   Z5, K1, (R8)
	TESTQ     R13, R13
	JZ        adamApply
	VMOVUPS.Z (R9), K1, Z6   // v'
	VCMPPS    $0x1d, Z5, Z6, K2
	VMOVAPS   Z6, K2, Z5     // v' = max(v', v): v' where v' >= v, else v
	VMOVUPS   Z5, K1, (R9)

adamApply:
	VSQRTPS   Z5, Z5
	VMULPS    Z21, Z5, Z5
	VADDPS    Z27, Z5, Z5    // √v'·ibc2 + ε
	VDIVPS    Z5, Z3, Z3
	VMULPS    Z3, Z20, Z3
	VADDPS    Z3, Z0, Z0     // p = w + stepSize·(m/(√v'·ibc2 + ε))
	VMOVUPS   Z0, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, R8
	ADDQ      $64, R9
	SUBQ      CX, R11
	JMP       adamLoop

adamDone:
	VZEROUPPER
	RET

// func adamaxAVX512(p, grad, m, u *float32, n int, clr, b1, omb1, b2, wd, eps float32, l2 bool)
TEXT ·adamaxAVX512(SB), NOSPLIT, $0-65
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), DX
	MOVQ         u+24(FP), R8
	MOVQ         n+32(FP), R11
	VBROADCASTSS clr+40(FP), Z20
	VBROADCASTSS b1+44(FP), Z22
	VBROADCASTSS omb1+48(FP), Z23
	VBROADCASTSS b2+52(FP), Z24
	VBROADCASTSS wd+56(FP), Z26
	VBROADCASTSS eps+60(FP), Z27
	MOVBLZX      l2+64(FP), R10
	MOVL         $0x7fffffff, AX
	VPBROADCASTD AX, Z29     // all bits but the sign

adamaxLoop:
	TESTQ     R11, R11
	JLE       adamaxDone
	NEXT
	MASK
	VMOVUPS.Z (DI), K1, Z0   // w = p
	VMOVUPS.Z (SI), K1, Z1   // d = g
	TESTQ     R10, R10
	JZ        adamaxMoments
	VMULPS    Z0, Z26, Z2
	VADDPS    Z2, Z1, Z1     // d = g + wd·w

adamaxMoments:
	VMOVUPS.Z (DX), K1, Z3
	VMULPS    Z3, Z22, Z3
	VMULPS    Z1, Z23, Z4
	VADDPS    Z4, Z3, Z3     // m = β₁·m + (1-β₁)·d
	VMOVUPS   Z3, K1, (DX)
	VMOVUPS.Z (R8), K1, Z5
	VMULPS    Z5, Z24, Z5    // a = β₂·u
	VPANDD    Z1, Z29, Z6
	VADDPS    Z27, Z6, Z6    // b = |d| + ε
	VCMPPS    $0x1d, Z6, Z5, K2
	VMOVAPS   Z5, K2, Z6     // u = max(a, b): a where a >= b, else b
	VMOVUPS   Z6, K1, (R8)
	VDIVPS    Z6, Z3, Z3
	VMULPS    Z3, Z20, Z3
	VADDPS    Z3, Z0, Z0     // p = w + clr·(m/u)
	VMOVUPS   Z0, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, R8
	SUBQ      CX, R11
	JMP       adamaxLoop

adamaxDone:
	VZEROUPPER
	RET

// func nadamAVX512(p, grad, m, v *float32, n int, cg, cm, ibc2, b1, omb1, b2, omb2, wd, eps float32, l2 bool)
TEXT ·nadamAVX512(SB), NOSPLIT, $0-77
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), DX
	MOVQ         v+24(FP), R8
	MOVQ         n+32(FP), R11
	VBROADCASTSS cg+40(FP), Z18
	VBROADCASTSS cm+44(FP), Z19
	VBROADCASTSS ibc2+48(FP), Z21
	VBROADCASTSS b1+52(FP), Z22
	VBROADCASTSS omb1+56(FP), Z23
	VBROADCASTSS b2+60(FP), Z24
	VBROADCASTSS omb2+64(FP), Z25
	VBROADCASTSS wd+68(FP), Z26
	VBROADCASTSS eps+72(FP), Z27
	MOVBLZX      l2+76(FP), R10
	MOVL         $0x3f800000, AX
	VPBROADCASTD AX, Z29     // 1.0

nadamLoop:
	TESTQ     R11, R11
	JLE       nadamDone
	NEXT
	MASK
	VMOVUPS.Z (DI), K1, Z0   // w = p
	VMOVUPS.Z (SI), K1, Z1   // d = g
	TESTQ     R10, R10
	JZ        nadamMoments
	VMULPS    Z0, Z26, Z2
	VADDPS    Z2, Z1, Z1     // d = g + wd·w

nadamMoments:
	VMOVUPS.Z (DX), K1, Z3
	VMULPS    Z3, Z22, Z3
	VMULPS    Z1, Z23, Z4
	VADDPS    Z4, Z3, Z3     // m = β₁·m + (1-β₁)·d
	VMOVUPS   Z3, K1, (DX)
	VMOVUPS.Z (R8), K1, Z5
	VMULPS    Z5, Z24, Z5
	VMULPS    Z1, Z25, Z6
	VMULPS    Z1, Z6, Z6
	VADDPS    Z6, Z5, Z5     // v = β₂·v + (1-β₂)·d·d
	VMOVUPS   Z5, K1, (R8)
	VMULPS    Z21, Z5, Z5
	VSQRTPS   Z5, Z5
	VADDPS    Z27, Z5, Z5
	VDIVPS    Z5, Z29, Z5    // r = 1/(√(v·ibc2) + ε)
	VMULPS    Z5, Z1, Z1
	VMULPS    Z1, Z18, Z1
	VADDPS    Z1, Z0, Z0     // w = w + cg·(d·r)
	VMULPS    Z5, Z3, Z3
	VMULPS    Z3, Z19, Z3
	VADDPS    Z3, Z0, Z0     // p = w + cm·(m·r)
	VMOVUPS   Z0, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, R8
	SUBQ      CX, R11
	JMP       nadamLoop

nadamDone:
	VZEROUPPER
	RET

// func adagradAVX512(p, grad, s *float32, n int, clr, wd, eps, init float32, l2 bool)
TEXT ·adagradAVX512(SB), NOSPLIT, $0-49
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         s+16(FP), DX
	MOVQ         n+24(FP), R11
	VBROADCASTSS clr+32(FP), Z20
	VBROADCASTSS wd+36(FP), Z26
	VBROADCASTSS eps+40(FP), Z27
	VBROADCASTSS init+44(FP), Z28
	MOVBLZX      l2+48(FP), R10

adagradLoop:
	TESTQ     R11, R11
	JLE       adagradDone
	NEXT
	MASK
	VMOVUPS.Z (DI), K1, Z0   // w = p
	VMOVUPS.Z (SI), K1, Z1   // d = g
	TESTQ     R10, R10
	JZ        adagradSum
	VMULPS    Z0, Z26, Z2
	VADDPS    Z2, Z1, Z1     // d = g + wd·w

adagradSum:
	VMOVUPS.Z (DX), K1, Z3
	VADDPS    Z28, Z3, Z3    // s = s + init
	VMULPS    Z1, Z1, Z4
	VADDPS    Z4, Z3, Z3     // s = s + d·d
	VMOVUPS   Z3, K1, (DX)
	VSQRTPS   Z3, Z3
	VADDPS    Z27, Z3, Z3
	VDIVPS    Z3, Z1, Z1
	VMULPS    Z1, Z20, Z1
	VADDPS    Z1, Z0, Z0     // p = w + clr·(d/(√s + ε))
	VMOVUPS   Z0, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	SUBQ      CX, R11
	JMP       adagradLoop

adagradDone:
	VZEROUPPER
	RET

// func adadeltaAVX512(p, grad, s, a *float32, n int, lr, rho, omr, wd, eps float32, l2 bool)
TEXT ·adadeltaAVX512(SB), NOSPLIT, $0-61
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         s+16(FP), DX
	MOVQ         a+24(FP), R8
	MOVQ         n+32(FP), R11
	VBROADCASTSS lr+40(FP), Z20
	VBROADCASTSS rho+44(FP), Z22
	VBROADCASTSS omr+48(FP), Z23
	VBROADCASTSS wd+52(FP), Z26
	VBROADCASTSS eps+56(FP), Z27
	MOVBLZX      l2+60(FP), R10

adadeltaLoop:
	TESTQ     R11, R11
	JLE       adadeltaDone
	NEXT
	MASK
	VMOVUPS.Z (DI), K1, Z0   // w = p
	VMOVUPS.Z (SI), K1, Z1   // d = g
	TESTQ     R10, R10
	JZ        adadeltaAverages
	VMULPS    Z0, Z26, Z2
	VADDPS    Z2, Z1, Z1     // d = g + wd·w

adadeltaAverages:
	VMOVUPS.Z (DX), K1, Z3
	VMULPS    Z3, Z22, Z3
	VMULPS    Z1, Z23, Z4
	VMULPS    Z1, Z4, Z4
	VADDPS    Z4, Z3, Z3     // s = ρ·s + (1-ρ)·d·d
	VMOVUPS   Z3, K1, (DX)
	VMOVUPS.Z (R8), K1, Z5   // a
	VADDPS    Z27, Z5, Z6
	VSQRTPS   Z6, Z6         // √(a + ε)
	VADDPS    Z27, Z3, Z3
	VSQRTPS   Z3, Z3         // √(s + ε)
	VDIVPS    Z3, Z6, Z6
	VMULPS    Z1, Z6, Z6     // Δ = √(a + ε)/√(s + ε)·d
	VMULPS    Z5, Z22, Z5
	VMULPS    Z6, Z23, Z4
	VMULPS    Z6, Z4, Z4
	VADDPS    Z4, Z5, Z5     // a = ρ·a + (1-ρ)·Δ·Δ
	VMOVUPS   Z5, K1, (R8)
	VMULPS    Z6, Z20, Z6
	VADDPS    Z6, Z0, Z0     // p = w + lr·Δ
	VMOVUPS   Z0, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, R8
	SUBQ      CX, R11
	JMP       adadeltaLoop

adadeltaDone:
	VZEROUPPER
	RET

// func rmspropAVX512(p, grad, s, buf, avg *float32, n int, lr, alpha, oma, wd, eps, mom float32, l2, momentum, centered bool)
TEXT ·rmspropAVX512(SB), NOSPLIT, $0-75
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         s+16(FP), DX
	MOVQ         buf+24(FP), R8
	MOVQ         avg+32(FP), R9
	MOVQ         n+40(FP), R11
	VBROADCASTSS lr+48(FP), Z20
	VBROADCASTSS alpha+52(FP), Z22
	VBROADCASTSS oma+56(FP), Z23
	VBROADCASTSS wd+60(FP), Z26
	VBROADCASTSS eps+64(FP), Z27
	VBROADCASTSS mom+68(FP), Z28
	MOVBLZX      l2+72(FP), R10
	MOVBLZX      momentum+73(FP), R12
	MOVBLZX      centered+74(FP), R13

rmspropLoop:
	TESTQ     R11, R11
	JLE       rmspropDone
	NEXT
	MASK
	VMOVUPS.Z (DI), K1, Z0   // w = p
	VMOVUPS.Z (SI), K1, Z1   // d = g
	TESTQ     R10, R10
	JZ        rmspropSquares
	VMULPS    Z0, Z26, Z2
	VADDPS    Z2, Z1, Z1     // d = g + wd·w

rmspropSquares:
	VMOVUPS.Z (DX), K1, Z3
	VMULPS    Z3, Z22, Z3
	VMULPS    Z1, Z23, Z4
	VMULPS    Z1, Z4, Z4
	VADDPS    Z4, Z3, Z3     // s = α·s + (1-α)·d·d
	VMOVUPS   Z3, K1, (DX)
	TESTQ     R13, R13
	JZ        rmspropDen
	VMOVUPS.Z (R9), K1, Z5
	VMULPS    Z5, Z22, Z5
	VMULPS    Z1, Z23, Z4
	VADDPS    Z4, Z5, Z5     // avg = α·avg + (1-α)·d
	VMOVUPS   Z5, K1, (R9)
	VMULPS    Z5, Z5, Z5
	VSUBPS    Z5, Z3, Z3     // s - avg·avg

rmspropDen:
	VSQRTPS   Z3, Z3
	VADDPS    Z27, Z3, Z3    // den = √(…) + ε
	VDIVPS    Z3, Z1, Z1     // d/den
	TESTQ     R12, R12
	JZ        rmspropApply
	VMOVUPS.Z (R8), K1, Z5
	VMULPS    Z5, Z28, Z5
	VADDPS    Z1, Z5, Z1     // buf = mom·buf + d/den
	VMOVUPS   Z1, K1, (R8)

rmspropApply:
	VMULPS    Z1, Z20, Z1
	VADDPS    Z1, Z0, Z0     // p = w + lr·(buf or d/den)
	VMOVUPS   Z0, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, R8
	ADDQ      $64, R9
	SUBQ      CX, R11
	JMP       rmspropLoop

rmspropDone:
	VZEROUPPER
	RET
