#include "textflag.h"

// Element-wise kernels of the training step's tail: the sum of squares behind the
// gradient norm, and the SGD update. Each does exactly the operations of its Go
// loop in vec.go (no fused multiply-add), so both give the same bits.

// func sumSquaresAVX512(x *float32, n int) float64
//
// Lane j of four ZMM accumulators (32 float64 lanes) sums x[i]² for i ≡ j mod 32,
// in index order; squaring a float32 in float64 is exact, so the fused multiply-add
// rounds once, like the Go loop's add. The last n mod 32 values are read under a
// mask. The lanes are then added pairwise in the fixed tree sumSquaresGo repeats.
TEXT ·sumSquaresAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3
	CMPQ CX, $32
	JLT ssTail

ssLoop:
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VCVTPS2PD 64(SI), Z6
	VCVTPS2PD 96(SI), Z7
	VFMADD231PD Z4, Z4, Z0
	VFMADD231PD Z5, Z5, Z1
	VFMADD231PD Z6, Z6, Z2
	VFMADD231PD Z7, Z7, Z3
	ADDQ $128, SI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE ssLoop

ssTail:
	// The remaining 0..31 values, read and added under the mask (1<<CX)-1, eight
	// bits per accumulator; masked-off lanes are neither read nor changed.
	MOVL $1, BX
	SHLL CX, BX
	DECL BX
	KMOVW BX, K1
	SHRL $8, BX
	KMOVW BX, K2
	SHRL $8, BX
	KMOVW BX, K3
	SHRL $8, BX
	KMOVW BX, K4
	VCVTPS2PD (SI), K1, Z4
	VCVTPS2PD 32(SI), K2, Z5
	VCVTPS2PD 64(SI), K3, Z6
	VCVTPS2PD 96(SI), K4, Z7
	VMULPD Z4, Z4, K1, Z4
	VMULPD Z5, Z5, K2, Z5
	VMULPD Z6, Z6, K3, Z6
	VMULPD Z7, Z7, K4, Z7
	VADDPD Z4, Z0, K1, Z0
	VADDPD Z5, Z1, K2, Z1
	VADDPD Z6, Z2, K3, Z2
	VADDPD Z7, Z3, K4, Z3

ssReduce:
	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VADDPD Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VUNPCKHPD X0, X0, X1
	VADDSD X1, X0, X0
	MOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// func sgdAVX512(p, grad *float32, n int, lr, wd float32)
//
// p[i] = p[i] - lr·(g[i] + wd·p[i]), as SGD.Update without momentum.
TEXT ·sgdAVX512(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ n+16(FP), R11
	VBROADCASTSS lr+24(FP), Z30
	VBROADCASTSS wd+28(FP), Z31
	CMPQ R11, $32
	JLT sgdTail

sgdLoop:
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VMULPS Z0, Z31, Z2
	VMULPS Z1, Z31, Z3
	VADDPS (SI), Z2, Z2
	VADDPS 64(SI), Z3, Z3
	VMULPS Z2, Z30, Z2
	VMULPS Z3, Z30, Z3
	VSUBPS Z2, Z0, Z0
	VSUBPS Z3, Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	SUBQ $32, R11
	CMPQ R11, $32
	JGE sgdLoop

sgdTail:
	TESTQ R11, R11
	JLE sgdDone
	MOVQ R11, CX
	CMPQ CX, $16
	JLE sgdMask
	MOVQ $16, CX

sgdMask:
	MOVL $1, BX
	SHLL CX, BX
	DECL BX
	KMOVW BX, K1
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z4
	VMULPS Z0, Z31, Z2
	VADDPS Z4, Z2, Z2
	VMULPS Z2, Z30, Z2
	VSUBPS Z2, Z0, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ CX, R11
	JMP sgdTail

sgdDone:
	VZEROUPPER
	RET

// func sgdMomentumAVX512(p, grad, b *float32, n int, lr, wd, mu, damp float32, first, nesterov bool)
//
// SGD.Update with momentum, element by element:
//
//	d = g + wd·p
//	b = d on the first step, else mu·b + damp·d
//	d = d + mu·b with Nesterov, else b
//	p = p - lr·d
TEXT ·sgdMomentumAVX512(SB), NOSPLIT, $0-50
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), R11
	VBROADCASTSS lr+32(FP), Z28
	VBROADCASTSS wd+36(FP), Z29
	VBROADCASTSS mu+40(FP), Z30
	VBROADCASTSS damp+44(FP), Z31
	MOVBLZX first+48(FP), R9
	MOVBLZX nesterov+49(FP), R10

smLoop:
	TESTQ R11, R11
	JLE smDone
	MOVQ R11, CX
	CMPQ CX, $16
	JLE smMask
	MOVQ $16, CX

smMask:
	MOVL $1, BX
	SHLL CX, BX
	DECL BX
	KMOVW BX, K1
	VMOVUPS.Z (DI), K1, Z0      // p
	VMOVUPS.Z (SI), K1, Z1      // g
	VMULPS Z0, Z29, Z2
	VADDPS Z2, Z1, Z1           // d = g + wd·p
	TESTQ R9, R9
	JNZ smFirst
	VMOVUPS.Z (DX), K1, Z3      // b
	VMULPS Z3, Z30, Z3
	VMULPS Z1, Z31, Z4
	VADDPS Z4, Z3, Z3           // b = mu·b + damp·d
	JMP smStore

smFirst:
	VMOVAPS Z1, Z3              // b = d

smStore:
	VMOVUPS Z3, K1, (DX)
	TESTQ R10, R10
	JZ smPlain
	VMULPS Z3, Z30, Z4
	VADDPS Z4, Z1, Z1           // d = d + mu·b
	JMP smApply

smPlain:
	VMOVAPS Z3, Z1              // d = b

smApply:
	VMULPS Z1, Z28, Z1
	VSUBPS Z1, Z0, Z0           // p = p - lr·d
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ CX, R11
	JMP smLoop

smDone:
	VZEROUPPER
	RET

// func allFiniteAVX512(x *float32, n int) bool
//
// Whether every x[i] is finite: it adds x[i]·0 into four accumulators, which stay
// 0 unless some x[i] is NaN or infinite (then they hold NaN), as allFinite does.
TEXT ·allFiniteAVX512(SB), NOSPLIT, $0-17
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), R11
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z31, Z31, Z31
	CMPQ R11, $64
	JLT afTail

afLoop:
	VFMADD231PS (SI), Z31, Z0
	VFMADD231PS 64(SI), Z31, Z1
	VFMADD231PS 128(SI), Z31, Z2
	VFMADD231PS 192(SI), Z31, Z3
	ADDQ $256, SI
	SUBQ $64, R11
	CMPQ R11, $64
	JGE afLoop

afTail:
	TESTQ R11, R11
	JLE afDone
	MOVQ R11, CX
	CMPQ CX, $16
	JLE afMask
	MOVQ $16, CX

afMask:
	MOVL $1, BX
	SHLL CX, BX
	DECL BX
	KMOVW BX, K1
	VMOVUPS.Z (SI), K1, Z4
	VFMADD231PS Z4, Z31, Z0
	ADDQ $64, SI
	SUBQ CX, R11
	JMP afTail

afDone:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	// Z0 is all zeros unless a lane is NaN: compare it with itself (ordered).
	VCMPPS $0x07, Z0, Z0, K2
	KMOVW K2, AX
	CMPW AX, $0xFFFF
	SETEQ ret+16(FP)
	VZEROUPPER
	RET

// func reluGradAVX512(y, x, dy *float32, n int)
//
// y[i] = dy[i] where x[i] > 0, else +0: ReluGrad32's mask on dy's bits (a NaN x
// gives +0, a NaN dy where x > 0 passes).
TEXT ·reluGradAVX512(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), R11
	VXORPS Z31, Z31, Z31

rgLoop:
	TESTQ R11, R11
	JLE rgDone
	MOVQ R11, CX
	CMPQ CX, $16
	JLE rgMask
	MOVQ $16, CX

rgMask:
	MOVL $1, BX
	SHLL CX, BX
	DECL BX
	KMOVW BX, K1
	VMOVUPS.Z (SI), K1, Z0
	VCMPPS $0x1e, Z31, Z0, K1, K2 // x > 0, ordered, within the live lanes
	VMOVUPS.Z (DX), K2, Z1
	VMOVUPS Z1, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ CX, R11
	JMP rgLoop

rgDone:
	VZEROUPPER
	RET

// func colSums64AVX512(acc *float64, x *float32, rows, cols, ldx int)
//
// acc[c] += x[r·ldx + c] for every row r in order and every column c < cols, in
// float64: 32 columns at a time in four ZMM accumulators (8 float64 lanes each),
// the last block under masks. Each column is summed in row order from acc[c], as
// colSums64Go does, so the two give the same bits.
TEXT ·colSums64AVX512(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ cols+24(FP), R11
	MOVQ ldx+32(FP), R9
	SHLQ $2, R9

csBlock:
	TESTQ R11, R11
	JLE csDone
	// Masks for this block's four quarters: bits 0..min(R11,32)-1 of BX.
	MOVQ R11, CX
	CMPQ CX, $32
	JLE csMask
	MOVQ $32, CX

csMask:
	MOVQ $1, BX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K1
	SHRQ $8, BX
	KMOVW BX, K2
	SHRQ $8, BX
	KMOVW BX, K3
	SHRQ $8, BX
	KMOVW BX, K4
	VMOVUPD.Z (DI), K1, Z0
	VMOVUPD.Z 64(DI), K2, Z1
	VMOVUPD.Z 128(DI), K3, Z2
	VMOVUPD.Z 192(DI), K4, Z3
	MOVQ SI, AX
	MOVQ R8, DX

csRow:
	TESTQ DX, DX
	JLE csStore
	VCVTPS2PD.Z (AX), K1, Z4
	VCVTPS2PD.Z 32(AX), K2, Z5
	VCVTPS2PD.Z 64(AX), K3, Z6
	VCVTPS2PD.Z 96(AX), K4, Z7
	VADDPD Z4, Z0, K1, Z0
	VADDPD Z5, Z1, K2, Z1
	VADDPD Z6, Z2, K3, Z2
	VADDPD Z7, Z3, K4, Z3
	ADDQ R9, AX
	DECQ DX
	JMP csRow

csStore:
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z1, K2, 64(DI)
	VMOVUPD Z2, K3, 128(DI)
	VMOVUPD Z3, K4, 192(DI)
	ADDQ $256, DI
	ADDQ $128, SI
	SUBQ CX, R11
	JMP csBlock

csDone:
	VZEROUPPER
	RET
