//go:build ignore

// act_smooth_gen writes act_smooth_amd64.s, the AVX2 and AVX-512 kernels of the
// smooth activations and their gradients (act_smooth.go), and their Go declarations
// and dispatch in act_smooth_amd64.go. Run it with
//
//	go generate ./rt        (or: cd rt && go run act_smooth_gen.go)
//
// Each kernel computes, lane for lane, exactly the float32 operations of its Go
// function (Gelu32, GeluGrad32, …) in the same order, each rounded (no FMA), so its
// results equal the Go function's bit for bit; act_smooth_vec_test.go checks that on
// dense sweeps of float32 values. A branch of the Go function becomes a blend: both
// sides are computed for all lanes and the condition picks one per lane, except the
// branches that are rare in practice (results in float32's subnormal range, the
// tails of expScaled and expNegSq), which run only when some lane of the vector
// needs them.
//
// Why generated: the functions are long chains of polynomials, exponentials and
// blends, a dozen of them for two instruction sets, with up to 20 values alive at
// once. Here each kernel is written once, as a Go function that reads like its
// scalar model (gelu below next to Gelu32), on virtual registers; the generator
// allocates the vector and mask registers, puts the constants in memory, and prints
// the same program side by side for `lanes` independent vectors, so that an
// out-of-order core always has work while one vector waits on a division or an
// exponential.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"math"
	"os"
	"sort"
	"strings"
)

// The constants of act.go, erf.go and act_smooth.go, as written there (keep in
// step; the bit-for-bit tests fail on any difference).
const (
	log2e      = 1.44269504088896341
	ln2Hi      = 0.693359375
	ln2Lo      = -2.12194440e-4
	expMin     = -87.0
	expMax     = 88.0
	roundMagic = 12582912

	erfQ0 = 1.2837917e-01
	erfQ1 = -3.7612626e-01
	erfQ2 = 1.12835854e-01
	erfQ3 = -2.6853813e-02
	erfQ4 = 5.1883277e-03
	erfQ5 = -8.0101937e-04
	erfQ6 = 7.8538615e-05

	erfcP0 = 5.1079136e-01
	erfcP1 = 6.871607e-01
	erfcP2 = 5.589412e-01
	erfcP3 = 1.4577074e-01
	erfcP4 = -1.7190403e-01
	erfcP5 = -1.0363977e-01
	erfcP6 = 9.517887e-02
	erfcP7 = 5.2116416e-02
	erfcP8 = -5.5582546e-02

	erfNear0Max  = 1
	erfcMin      = 0.5
	expTailScale = 1.6038109e-28
	expTailMin   = -151

	SeluAlpha         = 1.6732632423543772848170429916717
	SeluScale         = 1.0507009873554804934193349852946
	SoftplusThreshold = 20
	seluScale         = float32(SeluScale)
	seluScaleAlpha    = float32(SeluScale * SeluAlpha)
	invSqrt2          = 0.70710678118654752440
	invSqrt2Pi        = 0.39894228040143267794
	geluBeta          = 0.79788456080286535588
	geluKappa         = 0.044715
	geluMax           = 17.3
	siluMax           = 40
	geluTanhMax       = 20
)

// isa is one instruction set's register file and vector width.
type isa struct {
	name  string // in symbol names
	vec   string // register prefix of a vector: "Y" or "Z"
	half  string // of its lower half: "X" or "Y"
	width int    // float32 lanes per vector
	nvec  int    // vector registers
	nmask int    // mask registers the allocator may use (K1…; AVX2 masks are vectors)
	lanes int    // vectors side by side in the main loop
}

var (
	avx2   = &isa{name: "AVX2", vec: "Y", half: "X", width: 8, nvec: 16, lanes: 2}
	avx512 = &isa{name: "AVX512", vec: "Z", half: "Y", width: 16, nvec: 32, nmask: 6, lanes: 2}
)

// vreg is a virtual register: a vector of float32 (or int32, or half as many
// float64) lanes, or a mask. first and last are the positions of its first write
// and its last access in the routine's flattened program; phys is the register it
// was given.
type vreg struct {
	mask        bool
	first, last int
	phys        int
}

// arg is one operand of an instruction: a virtual register (read, written or both;
// half: its lower half, as an X or Y register) or literal text (a constant in
// memory, an immediate, an address).
type arg struct {
	r           *vreg
	half        bool
	read, write bool
	text        string
}

// item is an instruction (op and args, in the Go assembler's order: sources first,
// destination last), or a block: body runs only when some lane of mask is set.
type item struct {
	op   string
	args []arg
	mask *vreg
	body []item
}

// operand is a *vreg or a constant (k32, k64): the instruction builders put
// constants in memory operands where the instruction allows it and load them into
// a register where not.
type operand any

// k32 and k64 are float32 and float64 constants (their bits), or an int32 for k32.
type (
	k32 uint32
	k64 uint64
)

func c(f float32) k32     { return k32(math.Float32bits(f)) }
func c64(f float64) k64   { return k64(math.Float64bits(f)) }
func (k k32) sym() string { return fmt.Sprintf("smooth%08x<>", uint32(k)) }
func (k k64) sym() string { return fmt.Sprintf("smoothd%016x<>", uint64(k)) }

// consts collects the constants every routine uses, for the DATA section.
var (
	consts32 = map[k32]bool{}
	consts64 = map[k64]bool{}
)

// Comparison predicates of VCMPPS (all quiet: a NaN compares false, or true for
// nle, "not less or equal").
const (
	lt  = 0x11
	le  = 0x12
	nle = 0x16
	gt  = 0x1e
)

// builder appends one lane's program to items.
type builder struct {
	isa   *isa
	items *[]item
}

func (b *builder) emit(op string, args ...arg) { *b.items = append(*b.items, item{op: op, args: args}) }

func (b *builder) vec() *vreg  { return &vreg{} }
func (b *builder) mask() *vreg { return &vreg{mask: b.isa.nmask > 0} }

func use(r *vreg) arg     { return arg{r: r, read: true} }
func def(r *vreg) arg     { return arg{r: r, write: true} }
func useDef(r *vreg) arg  { return arg{r: r, read: true, write: true} }
func useHalf(r *vreg) arg { return arg{r: r, read: true, half: true} }
func defHalf(r *vreg) arg { return arg{r: r, write: true, half: true} }
func text(s string) arg   { return arg{text: s} }

// reg returns o in a register, loading a constant.
func (b *builder) reg(o operand) *vreg {
	switch o := o.(type) {
	case *vreg:
		return o
	case k32:
		consts32[o] = true
		r := b.vec()
		if b.isa.nmask > 0 {
			b.emit("VBROADCASTSS", text(o.sym()+"(SB)"), def(r))
		} else {
			b.emit("VMOVUPS", text(o.sym()+"(SB)"), def(r))
		}
		return r
	}
	panic(fmt.Sprintf("operand %v", o))
}

// src returns o as the operand an instruction may read from memory (its first in
// Go's order), and the suffix the instruction then takes: .BCST with AVX-512,
// whose constants are broadcast from 4 or 8 bytes (AVX2 reads all 32).
func (b *builder) src(o operand) (arg, string) {
	switch o := o.(type) {
	case *vreg:
		return use(o), ""
	case k32:
		consts32[o] = true
		return text(o.sym() + "(SB)"), b.bcst()
	case k64:
		consts64[o] = true
		return text(o.sym() + "(SB)"), b.bcst()
	}
	panic(fmt.Sprintf("operand %v", o))
}

func (b *builder) bcst() string {
	if b.isa.nmask > 0 {
		return ".BCST"
	}
	return ""
}

func isConst(o operand) bool { _, r := o.(*vreg); return !r }

// op2 is d = x op y for an instruction "OP y, x, d". A commutative op takes a
// constant x as its memory operand instead (x·y = y·x bit for bit; only which of
// two NaNs comes out could differ, and a constant is not NaN).
func (b *builder) op2(op string, x, y operand, commutative bool) *vreg {
	if commutative && isConst(x) && !isConst(y) {
		x, y = y, x
	}
	a := b.reg(x)
	m, sfx := b.src(y)
	d := b.vec()
	b.emit(op+sfx, m, use(a), def(d))
	return d
}

func (b *builder) add(x, y operand) *vreg { return b.op2("VADDPS", x, y, true) }
func (b *builder) sub(x, y operand) *vreg { return b.op2("VSUBPS", x, y, false) }
func (b *builder) mul(x, y operand) *vreg { return b.op2("VMULPS", x, y, true) }
func (b *builder) div(x, y operand) *vreg { return b.op2("VDIVPS", x, y, false) }

// min is x < y ? x : y and max x > y ? x : y; either is y when one is NaN.
func (b *builder) min(x, y operand) *vreg { return b.op2("VMINPS", x, y, false) }
func (b *builder) max(x, y operand) *vreg { return b.op2("VMAXPS", x, y, false) }

func (b *builder) and(x operand, k k32) *vreg {
	if b.isa.nmask > 0 {
		return b.op2("VPANDD", x, k, true)
	}
	return b.op2("VANDPS", x, k, true)
}

func (b *builder) xor(x operand, k k32) *vreg {
	if b.isa.nmask > 0 {
		return b.op2("VPXORD", x, k, true)
	}
	return b.op2("VXORPS", x, k, true)
}

// neg is -x (the sign bit flipped, as Go's negation does) and abs clears it.
func (b *builder) neg(x operand) *vreg { return b.xor(x, 0x80000000) }
func (b *builder) abs(x operand) *vreg { return b.and(x, 0x7fffffff) }

// cmp is the mask of the lanes where x pred y holds.
func (b *builder) cmp(pred int, x, y operand) *vreg {
	a := b.reg(x)
	m, sfx := b.src(y)
	d := b.mask()
	b.emit("VCMPPS"+sfx, text(fmt.Sprintf("$0x%02x", pred)), m, use(a), def(d))
	return d
}

// both is the mask of the lanes set in m1 and in m2.
func (b *builder) both(m1, m2 *vreg) *vreg {
	d := b.mask()
	if b.isa.nmask > 0 {
		b.emit("KANDW", use(m2), use(m1), def(d))
	} else {
		b.emit("VANDPS", use(m2), use(m1), def(d))
	}
	return d
}

// pick is m ? yes : no, lane by lane.
func (b *builder) pick(m *vreg, yes, no operand) *vreg {
	n := b.reg(no)
	y, sfx := b.src(yes)
	d := b.vec()
	if b.isa.nmask > 0 {
		b.emit("VBLENDMPS"+sfx, y, use(n), use(m), def(d))
	} else {
		b.emit("VBLENDVPS", use(m), y, use(n), def(d))
	}
	return d
}

// set writes yes into r where m is set, in place.
func (b *builder) set(r, m *vreg, yes operand) {
	y, sfx := b.src(yes)
	if b.isa.nmask > 0 {
		b.emit("VBLENDMPS"+sfx, y, use(r), use(m), useDef(r))
	} else {
		b.emit("VBLENDVPS", use(m), y, use(r), useDef(r))
	}
}

// when runs body only if some lane of m is set: the lanes that need a rare branch.
// body may only change registers that exist before it (by set).
func (b *builder) when(m *vreg, body func()) {
	outer := b.items
	var inner []item
	b.items = &inner
	body()
	b.items = outer
	*b.items = append(*b.items, item{mask: m, body: inner})
}

// poly is ((k[0]·x + k[1])·x + k[2])·x … + k[n-1], each product rounded before
// its addition, as the Go functions write their polynomials.
func (b *builder) poly(x *vreg, k ...float32) *vreg {
	p := b.add(b.mul(c(k[0]), x), c(k[1]))
	for _, v := range k[2:] {
		p = b.add(b.mul(p, x), c(v))
	}
	return p
}

// exp is Exp32(x) (act.go).
func (b *builder) exp(x operand) *vreg {
	v := b.max(c(expMin), b.min(c(expMax), x)) // a NaN x stays
	fn := b.mul(v, c(log2e))
	if b.isa.nmask > 0 {
		// VRNDSCALEPS rounds to the nearest integer, ties to even, as adding and
		// subtracting 1.5·2^23 does.
		d := b.vec()
		b.emit("VRNDSCALEPS", text("$0"), use(fn), def(d))
		fn = d
	} else {
		fn = b.sub(b.add(fn, c(roundMagic)), c(roundMagic))
	}
	r := b.sub(b.sub(v, b.mul(fn, c(ln2Hi))), b.mul(fn, c(ln2Lo)))
	p := b.poly(r, 1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1)
	p = b.add(b.add(b.mul(b.mul(p, r), r), r), c(1))
	d := b.vec()
	if b.isa.nmask > 0 {
		// VSCALEFPS multiplies by 2^fn, correctly rounded, as the product with 2^fn
		// built from its exponent bits does (2^fn is a normal float32 for every fn
		// Exp32 reaches).
		b.emit("VSCALEFPS", use(fn), use(p), def(d))
		return d
	}
	n := b.vec()
	b.emit("VCVTTPS2DQ", use(fn), def(n))
	b.emit("VPADDD", text(k32(127).sym()+"(SB)"), use(n), useDef(n))
	consts32[127] = true
	b.emit("VPSLLD", text("$23"), use(n), useDef(n))
	b.emit("VMULPS", use(n), use(p), def(d))
	return d
}

// expScaledTail is expScaled(v, k) (act_smooth.go) for the lanes where v < -87:
// k·0 below -151, (k·Exp32(v+64))·e^-64 above.
func (b *builder) expScaledTail(v, k operand) *vreg {
	t := b.mul(b.mul(k, b.exp(b.add(v, c(64)))), c(expTailScale))
	return b.pick(b.cmp(lt, v, c(expTailMin)), b.mul(k, c(0)), t)
}

// expScaled is expScaled(v, k): k·Exp32(v), and the tail where v < -87.
func (b *builder) expScaled(v *vreg, k operand) *vreg {
	r := b.mul(k, b.exp(v))
	tail := b.cmp(lt, v, c(expMin))
	b.when(tail, func() { b.set(r, tail, b.expScaledTail(v, k)) })
	return r
}

// expm1Neg is expm1Neg32(x).
func (b *builder) expm1Neg(x *vreg) *vreg {
	p := b.poly(x, 1.0/40320, 1.0/5040, 1.0/720, 1.0/120, 1.0/24, 1.0/6, 0.5)
	near := b.add(x, b.mul(b.mul(x, x), p))
	far := b.sub(b.exp(x), c(1))
	return b.pick(b.cmp(gt, x, c(-0.35)), near, far)
}

// log1p is log1p32(t).
func (b *builder) log1p(t *vreg) *vreg {
	u := b.add(c(1), t)
	cr := b.div(b.sub(t, b.sub(u, c(1))), u)
	up := b.cmp(gt, u, c(1.41421356))
	m := b.pick(up, b.mul(c(0.5), u), u)
	k := b.pick(up, c(1), c(0))
	f := b.sub(m, c(1))
	s := b.div(f, b.add(c(2), f))
	z := b.mul(s, s)
	r := b.mul(b.poly(z, 2.0/9, 2.0/7, 2.0/5, 2.0/3), z)
	hfsq := b.mul(c(0.5), b.mul(f, f))
	lf := b.sub(f, b.sub(hfsq, b.mul(s, b.add(hfsq, r))))
	return b.add(b.mul(k, c(ln2Hi)), b.add(lf, b.add(b.mul(k, c(ln2Lo)), cr)))
}

// erfNear0 and erfcx are erf.go's.
func (b *builder) erfNear0(x *vreg) *vreg {
	s := b.mul(x, x)
	q := b.poly(s, erfQ6, erfQ5, erfQ4, erfQ3, erfQ2, erfQ1, erfQ0)
	return b.add(x, b.mul(x, q))
}

func (b *builder) erfcx(a *vreg) *vreg {
	t := b.div(c(1), b.add(c(1), b.mul(c(0.5), a)))
	u := b.sub(t, c(0.5))
	p := b.poly(u, erfcP8, erfcP7, erfcP6, erfcP5, erfcP4, erfcP3, erfcP2, erfcP1, erfcP0)
	return b.mul(t, p)
}

// expNegSq is expNegSq(v, k, cc) (erf.go).
func (b *builder) expNegSq(v *vreg, k float32, cc *vreg) *vreg {
	hi := b.and(v, 0xfffff000)
	h := b.mul(b.mul(hi, hi), c(k))
	d := b.mul(b.mul(b.sub(hi, v), b.add(hi, v)), c(k))
	cc = b.mul(cc, b.exp(d))
	r := b.mul(cc, b.exp(b.neg(h)))
	far := b.cmp(nle, h, c(-expMin)) // not h ≤ 87, NaN included
	b.when(far, func() {
		t := b.mul(b.mul(cc, b.exp(b.sub(c(64), h))), c(expTailScale))
		t = b.pick(b.cmp(le, h, c(-expTailMin)), t, b.mul(cc, c(0)))
		b.set(r, far, t)
	})
	return r
}

// geluTanhArg is geluTanhArg(x) (act_smooth.go): s and ds, computed in float64 on
// each half of the lanes.
func (b *builder) geluTanhArg(x *vreg) (s, ds *vreg) {
	var sh, dh [2]*vreg
	for half := range 2 {
		v := b.vec()
		if half == 0 {
			b.emit("VCVTPS2PD", useHalf(x), def(v))
		} else {
			t := b.vec()
			if b.isa.nmask > 0 {
				b.emit("VEXTRACTF64X4", text("$1"), use(x), defHalf(t))
			} else {
				b.emit("VEXTRACTF128", text("$1"), use(x), defHalf(t))
			}
			b.emit("VCVTPS2PD", useHalf(t), def(v))
		}
		t := b.op2("VMULPD", c64(geluKappa), b.op2("VMULPD", v, v, true), true)
		t = b.op2("VADDPD", c64(1), t, true)
		s64 := b.op2("VMULPD", b.op2("VMULPD", c64(2*geluBeta), v, true), t, true)
		sh[half] = b.narrow(s64)
		back := b.vec()
		b.emit("VCVTPS2PD", useHalf(sh[half]), def(back))
		dh[half] = b.narrow(b.op2("VSUBPD", s64, back, false))
	}
	return b.join(sh), b.join(dh)
}

// narrow rounds float64 lanes to float32, in the lower half of a register.
func (b *builder) narrow(d *vreg) *vreg {
	r := b.vec()
	if b.isa.nmask > 0 {
		b.emit("VCVTPD2PS", use(d), defHalf(r))
	} else {
		b.emit("VCVTPD2PSY", use(d), defHalf(r))
	}
	return r
}

// join puts two halves side by side.
func (b *builder) join(h [2]*vreg) *vreg {
	r := b.vec()
	if b.isa.nmask > 0 {
		b.emit("VINSERTF64X4", text("$1"), useHalf(h[1]), use(h[0]), def(r))
	} else {
		b.emit("VINSERTF128", text("$1"), useHalf(h[1]), use(h[0]), def(r))
	}
	return r
}

// The kernels: each is its Go function, read from the top; where the Go function
// returns early, the kernel computes what follows for all lanes and then picks the
// early result where its condition holds (later picks win, so they come in the
// reverse order of the Go function's cases).

func elu(b *builder, x, _, alpha *vreg) *vreg {
	r := b.mul(alpha, b.expm1Neg(x))
	return b.pick(b.cmp(gt, x, c(0)), x, r)
}

func eluGrad(b *builder, x, dy, alpha *vreg) *vreg {
	r := b.mul(dy, b.expScaled(x, alpha))
	return b.pick(b.cmp(gt, x, c(0)), dy, r)
}

func selu(b *builder, x, _, _ *vreg) *vreg {
	r := b.mul(c(seluScaleAlpha), b.expm1Neg(x))
	return b.pick(b.cmp(gt, x, c(0)), b.mul(c(seluScale), x), r)
}

func seluGrad(b *builder, x, dy, _ *vreg) *vreg {
	r := b.mul(dy, b.expScaled(x, c(seluScaleAlpha)))
	return b.pick(b.cmp(gt, x, c(0)), b.mul(dy, c(seluScale)), r)
}

func softplus(b *builder, x, _, _ *vreg) *vreg {
	pos := b.cmp(gt, x, c(0))
	l := b.log1p(b.exp(b.pick(pos, b.neg(x), x)))
	r := b.pick(pos, b.add(x, l), l)
	tail := b.cmp(lt, x, c(expMin))
	b.when(tail, func() { b.set(r, tail, b.expScaledTail(x, c(1))) })
	return b.pick(b.cmp(gt, x, c(SoftplusThreshold)), x, r)
}

func softplusGrad(b *builder, x, dy, _ *vreg) *vreg {
	r := b.mul(dy, b.div(c(1), b.add(c(1), b.exp(b.neg(x)))))
	tail := b.cmp(lt, x, c(expMin))
	b.when(tail, func() { b.set(r, tail, b.mul(dy, b.expScaledTail(x, c(1)))) })
	return b.pick(b.cmp(gt, x, c(SoftplusThreshold)), dy, r)
}

// gelu and geluGrad take |x| by clearing the sign bit where Gelu32 negates a
// negative x: they differ at -0 only (+0 here, -0 there), and at 0 both take the
// branch near 0, which does not read |x|.
func gelu(b *builder, x, _, _ *vreg) *vreg {
	a := b.abs(x)
	cc := b.mul(b.mul(c(0.5), x), b.erfcx(b.mul(a, c(invSqrt2))))
	e := b.expNegSq(x, 0.5, cc)
	r := b.pick(b.cmp(lt, x, c(0)), e, b.sub(x, e))
	big := b.pick(b.cmp(gt, x, c(0)), x, b.mul(x, c(0)))
	r = b.pick(b.cmp(gt, a, c(geluMax)), big, r)
	h := b.mul(c(0.5), x)
	near := b.add(h, b.mul(h, b.erfNear0(b.mul(x, c(invSqrt2)))))
	return b.pick(b.geluNear0(x), near, r)
}

// geluNear0 is the condition of Gelu32's and GeluGrad32's first case.
func (b *builder) geluNear0(x *vreg) *vreg {
	return b.both(b.cmp(gt, x, c(-erfcMin/invSqrt2)), b.cmp(lt, x, c(erfNear0Max/invSqrt2)))
}

func geluGrad(b *builder, x, dy, _ *vreg) *vreg {
	a := b.abs(x)
	half := b.mul(c(0.5), b.erfcx(b.mul(a, c(invSqrt2))))
	xk := b.mul(x, c(invSqrt2Pi))
	neg := b.cmp(lt, x, c(0))
	e := b.expNegSq(x, 0.5, b.pick(neg, b.add(half, xk), b.sub(xk, half)))
	d := b.pick(neg, e, b.add(c(1), e))
	phi := b.mul(b.exp(b.mul(c(-0.5), b.mul(x, x))), c(invSqrt2Pi))
	near := b.add(b.add(c(0.5), b.mul(c(0.5), b.erfNear0(b.mul(x, c(invSqrt2))))), b.mul(x, phi))
	r := b.mul(dy, b.pick(b.geluNear0(x), near, d))
	big := b.pick(b.cmp(gt, x, c(0)), dy, b.mul(dy, c(0)))
	return b.pick(b.cmp(gt, a, c(geluMax)), big, r)
}

func geluTanh(b *builder, x, _, _ *vreg) *vreg {
	s, ds := b.geluTanhArg(x)
	e := b.mul(b.exp(b.neg(s)), b.sub(c(1), ds))
	r := b.div(x, b.add(c(1), e))
	tail := b.cmp(lt, s, c(expMin))
	b.when(tail, func() { b.set(r, tail, b.expScaledTail(s, b.mul(x, b.add(c(1), ds)))) })
	r = b.pick(b.cmp(lt, x, c(-geluTanhMax)), b.mul(x, c(0)), r)
	return b.pick(b.cmp(gt, x, c(geluTanhMax)), x, r)
}

func geluTanhGrad(b *builder, x, dy, _ *vreg) *vreg {
	s, ds := b.geluTanhArg(x)
	w := b.mul(b.mul(c(2*geluBeta), x), b.add(c(1), b.mul(c(3*geluKappa), b.mul(x, x))))
	e := b.mul(b.exp(b.neg(s)), b.sub(c(1), ds))
	sig := b.div(c(1), b.add(c(1), e))
	r := b.mul(dy, b.mul(sig, b.add(c(1), b.mul(w, b.mul(e, sig)))))
	tail := b.cmp(lt, s, c(expMin))
	b.when(tail, func() {
		k := b.mul(b.add(c(1), w), b.add(c(1), ds))
		b.set(r, tail, b.mul(dy, b.expScaledTail(s, k)))
	})
	r = b.pick(b.cmp(lt, x, c(-geluTanhMax)), b.mul(dy, c(0)), r)
	return b.pick(b.cmp(gt, x, c(geluTanhMax)), dy, r)
}

func silu(b *builder, x, _, _ *vreg) *vreg {
	r := b.div(x, b.add(c(1), b.exp(b.neg(x))))
	tail := b.cmp(lt, x, c(expMin))
	b.when(tail, func() { b.set(r, tail, b.expScaledTail(x, x)) })
	return r
}

func siluGrad(b *builder, x, dy, _ *vreg) *vreg {
	e := b.exp(b.neg(x))
	sig := b.div(c(1), b.add(c(1), e))
	r := b.mul(dy, b.mul(sig, b.add(c(1), b.mul(x, b.mul(e, sig)))))
	tail := b.cmp(lt, x, c(expMin))
	b.when(tail, func() { b.set(r, tail, b.mul(dy, b.expScaledTail(x, b.add(c(1), x)))) })
	return b.pick(b.cmp(gt, x, c(siluMax)), dy, r)
}

// kernel is one function of act_smooth.go.
type kernel struct {
	name  string // of the Go function, without 32
	grad  bool   // reads dy
	alpha bool   // takes alpha
	body  func(b *builder, x, dy, alpha *vreg) *vreg
}

var kernels = []kernel{
	{name: "Elu", alpha: true, body: elu},
	{name: "EluGrad", grad: true, alpha: true, body: eluGrad},
	{name: "Selu", body: selu},
	{name: "SeluGrad", grad: true, body: seluGrad},
	{name: "Softplus", body: softplus},
	{name: "SoftplusGrad", grad: true, body: softplusGrad},
	{name: "Gelu", body: gelu},
	{name: "GeluGrad", grad: true, body: geluGrad},
	{name: "GeluTanh", body: geluTanh},
	{name: "GeluTanhGrad", grad: true, body: geluTanhGrad},
	{name: "Silu", body: silu},
	{name: "SiluGrad", grad: true, body: siluGrad},
}

func lower(s string) string { return strings.ToLower(s[:1]) + s[1:] }

func (k kernel) symbol(is *isa) string { return lower(k.name) + is.name }

// goArgs is the kernel's Go parameter list and frame size.
func (k kernel) goArgs() (string, int) {
	params, size := "y, x *float32, n int", 24
	if k.grad {
		params, size = "y, x, dy *float32, n int", 32
	}
	if k.alpha {
		params += ", alpha float32"
		size += 4
	}
	return params, size
}

// routine assembles one kernel for one instruction set.
type routine struct {
	b      bytes.Buffer
	label  string
	blocks int
}

func (r *routine) p(format string, args ...any) { fmt.Fprintf(&r.b, format+"\n", args...) }

// program builds the loop body for n vectors side by side, loading x (and dy) at
// byte offsets 0, W, 2W… from SI (DX), storing at DI; with masked set, the one
// vector is loaded and stored under K7 (AVX-512's last, partial vector). alpha,
// if not nil, is the register holding alpha, alive throughout.
func program(is *isa, k kernel, n int, masked bool, alpha *vreg) []item {
	progs := make([][]item, n)
	for l := range n {
		b := &builder{isa: is, items: &progs[l]}
		off := fmt.Sprint(l * is.width * 4)
		load := func(base string) *vreg {
			v := b.vec()
			if masked {
				b.emit("VMOVUPS.Z", text("("+base+")"), text("K7"), def(v))
			} else {
				b.emit("VMOVUPS", text(off+"("+base+")"), def(v))
			}
			return v
		}
		x := load("SI")
		var dy *vreg
		if k.grad {
			dy = load("DX")
		}
		y := k.body(b, x, dy, alpha)
		if masked {
			b.emit("VMOVUPS", use(y), text("K7"), text("(DI)"))
		} else {
			b.emit("VMOVUPS", use(y), text(off+"(DI)"))
		}
	}
	return zip(progs)
}

// zip interleaves the lanes' programs instruction by instruction; their blocks
// (rarely run) follow one another.
func zip(progs [][]item) []item {
	var out []item
	for i := range progs[0] {
		for _, p := range progs {
			out = append(out, p[i])
		}
	}
	return out
}

// allocate gives every virtual register of prog a physical one: a register is
// taken at its first write and free after its last access. fixed are taken
// throughout. Values first written inside a block must die inside it.
func allocate(is *isa, prog []item, fixed []*vreg) error {
	pos := 0
	seen := map[*vreg]bool{}
	var all []*vreg
	touch := func(r *vreg, write bool) {
		if !seen[r] {
			if !write {
				panic("a register is read before it is written")
			}
			seen[r] = true
			r.first = pos
			all = append(all, r)
		}
		r.last = pos
	}
	type span struct{ from, to, end int } // all[from:to] are first written in a block ending at end
	var blocks []span
	var walk func(items []item)
	walk = func(items []item) {
		for _, it := range items {
			if it.body != nil {
				touch(it.mask, false)
				pos++
				from := len(all)
				walk(it.body)
				blocks = append(blocks, span{from, len(all), pos})
				pos++
				continue
			}
			for _, a := range it.args {
				if a.r != nil {
					touch(a.r, a.write && !a.read)
				}
			}
			pos++
		}
	}
	for _, r := range fixed {
		seen[r] = true
	}
	walk(prog)
	for _, b := range blocks {
		for _, r := range all[b.from:b.to] {
			if r.last >= b.end {
				return fmt.Errorf("a register first written in a block is read after it")
			}
		}
	}
	// Scan the positions in order.
	starts, ends := map[int][]*vreg{}, map[int][]*vreg{}
	for _, r := range all {
		starts[r.first] = append(starts[r.first], r)
		ends[r.last] = append(ends[r.last], r)
	}
	freeVec, freeMask := map[int]bool{}, map[int]bool{}
	for i := range is.nvec {
		freeVec[i] = true
	}
	for i := 1; i <= is.nmask; i++ {
		freeMask[i] = true
	}
	for _, r := range fixed {
		delete(freeVec, r.phys)
	}
	take := func(free map[int]bool) (int, bool) {
		best := -1
		for i := range free {
			if best < 0 || i < best {
				best = i
			}
		}
		if best < 0 {
			return 0, false
		}
		delete(free, best)
		return best, true
	}
	for p := 0; p < pos; p++ {
		// Registers last read here are free for this position's results: every
		// instruction reads its sources before it writes.
		for _, r := range ends[p] {
			if r.first < p {
				if r.mask {
					freeMask[r.phys] = true
				} else {
					freeVec[r.phys] = true
				}
			}
		}
		for _, r := range starts[p] {
			free := freeVec
			if r.mask {
				free = freeMask
			}
			ph, ok := take(free)
			if !ok {
				return fmt.Errorf("out of registers at position %d", p)
			}
			r.phys = ph
		}
		for _, r := range starts[p] {
			if r.last == p { // written, never read
				if r.mask {
					freeMask[r.phys] = true
				} else {
					freeVec[r.phys] = true
				}
			}
		}
	}
	return nil
}

func (r *routine) regName(is *isa, a arg) string {
	switch {
	case a.r == nil:
		return a.text
	case a.r.mask:
		return fmt.Sprintf("K%d", a.r.phys)
	case a.half:
		return fmt.Sprintf("%s%d", is.half, a.r.phys)
	}
	return fmt.Sprintf("%s%d", is.vec, a.r.phys)
}

// print writes prog, with its blocks behind a test of their masks.
func (r *routine) print(is *isa, prog []item) {
	for _, it := range prog {
		if it.body != nil {
			r.blocks++
			label := fmt.Sprintf("%sskip%d", r.label, r.blocks)
			m := r.regName(is, use(it.mask))
			if is.nmask > 0 {
				r.p("\tKORTESTW %s, %s", m, m)
			} else {
				r.p("\tVTESTPS %s, %s", m, m)
			}
			r.p("\tJZ %s", label)
			r.print(is, it.body)
			r.p("%s:", label)
			continue
		}
		var ops []string
		for _, a := range it.args {
			ops = append(ops, r.regName(is, a))
		}
		r.p("\t%s %s", it.op, strings.Join(ops, ", "))
	}
}

// emit writes the routine of kernel k for instruction set is: groups of `lanes`
// vectors, then one vector at a time; AVX2 stops at the last whole vector (n is a
// multiple of 8), AVX-512 does the last part of one under a mask.
func (r *routine) emit(is *isa, k kernel) {
	sym := k.symbol(is)
	r.label = sym
	params, size := k.goArgs()
	r.p("")
	r.p("// func %s(%s)", sym, params)
	r.p("TEXT ·%s(SB), NOSPLIT, $0-%d", sym, size)
	r.p("\tMOVQ y+0(FP), DI")
	r.p("\tMOVQ x+8(FP), SI")
	nArg := "n+16(FP)"
	if k.grad {
		r.p("\tMOVQ dy+16(FP), DX")
		nArg = "n+24(FP)"
	}
	r.p("\tMOVQ %s, R11", nArg)
	var fixed []*vreg
	var alpha *vreg
	if k.alpha {
		alpha = &vreg{phys: is.nvec - 1}
		fixed = append(fixed, alpha)
		r.p("\tVBROADCASTSS alpha+%d(FP), %s%d", size-4, is.vec, alpha.phys)
	}
	// As many vectors side by side as the registers hold, up to the isa's lanes.
	lanes := is.lanes
	var group []item
	for ; lanes > 1; lanes-- {
		group = program(is, k, lanes, false, alpha)
		if allocate(is, group, fixed) == nil {
			break
		}
	}
	step := is.width * lanes
	if lanes > 1 {
		r.p("%sgroup:", sym)
		r.p("\tCMPQ R11, $%d", step)
		r.p("\tJLT %sone", sym)
		r.print(is, group)
		for _, reg := range r.pointers(k) {
			r.p("\tADDQ $%d, %s", 4*step, reg)
		}
		r.p("\tSUBQ $%d, R11", step)
		r.p("\tJMP %sgroup", sym)
	}
	r.p("%sone:", sym)
	masked := is.nmask > 0
	one := program(is, k, 1, masked, alpha)
	if err := allocate(is, one, fixed); err != nil {
		log.Fatalf("%s, one vector: %v", sym, err)
	}
	if masked {
		// K7 = the lanes of the next min(R11, 16) values.
		r.p("\tTESTQ R11, R11")
		r.p("\tJLE %sdone", sym)
		r.p("\tMOVQ R11, CX")
		r.p("\tCMPQ CX, $%d", is.width)
		r.p("\tJLE %smask", sym)
		r.p("\tMOVQ $%d, CX", is.width)
		r.p("%smask:", sym)
		r.p("\tMOVL $1, BX")
		r.p("\tSHLL CX, BX")
		r.p("\tDECL BX")
		r.p("\tKMOVW BX, K7")
	} else {
		r.p("\tCMPQ R11, $%d", is.width)
		r.p("\tJLT %sdone", sym)
	}
	r.print(is, one)
	for _, reg := range r.pointers(k) {
		r.p("\tADDQ $%d, %s", 4*is.width, reg)
	}
	r.p("\tSUBQ $%d, R11", is.width)
	r.p("\tJMP %sone", sym)
	r.p("%sdone:", sym)
	r.p("\tVZEROUPPER")
	r.p("\tRET")
}

func (r *routine) pointers(k kernel) []string {
	if k.grad {
		return []string{"SI", "DX", "DI"}
	}
	return []string{"SI", "DI"}
}

func main() {
	var code bytes.Buffer
	for _, is := range []*isa{avx2, avx512} {
		for _, k := range kernels {
			var r routine
			r.emit(is, k)
			code.Write(r.b.Bytes())
		}
	}

	var s bytes.Buffer
	s.WriteString("// Code generated by act_smooth_gen.go. DO NOT EDIT.\n\n#include \"textflag.h\"\n\n")
	s.WriteString("// The constants, each repeated to 32 bytes (AVX2 reads a whole vector; AVX-512\n// broadcasts the first 4 or 8 bytes).\n")
	var ks []k32
	for k := range consts32 {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	for _, k := range ks {
		for i := 0; i < 32; i += 4 {
			fmt.Fprintf(&s, "DATA %s+%d(SB)/4, $0x%08x\n", k.sym(), i, uint32(k))
		}
		note := fmt.Sprint(math.Float32frombits(uint32(k)))
		if k == 127 {
			note = "int32 127"
		}
		fmt.Fprintf(&s, "GLOBL %s(SB), RODATA|NOPTR, $32 // %s\n", k.sym(), note)
	}
	var ks64 []k64
	for k := range consts64 {
		ks64 = append(ks64, k)
	}
	sort.Slice(ks64, func(i, j int) bool { return ks64[i] < ks64[j] })
	for _, k := range ks64 {
		for i := 0; i < 32; i += 8 {
			fmt.Fprintf(&s, "DATA %s+%d(SB)/8, $0x%016x\n", k.sym(), i, uint64(k))
		}
		fmt.Fprintf(&s, "GLOBL %s(SB), RODATA|NOPTR, $32 // %v\n", k.sym(), math.Float64frombits(uint64(k)))
	}
	s.Write(code.Bytes())
	if err := os.WriteFile("act_smooth_amd64.s", s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}

	var g bytes.Buffer
	g.WriteString("// Code generated by act_smooth_gen.go. DO NOT EDIT.\n\npackage rt\n\n//go:generate go run act_smooth_gen.go\n\n")
	g.WriteString("// The kernels of act_smooth_amd64.s: y[i] = F(x[i]) (or F(x[i], dy[i])) for i < n,\n")
	g.WriteString("// the bits of the Go function F32. The AVX2 ones take a multiple of 8 values; the\n// AVX-512 ones any n ≥ 1.\n")
	for _, k := range kernels {
		for _, is := range []*isa{avx2, avx512} {
			params, _ := k.goArgs()
			fmt.Fprintf(&g, "\n//go:noescape\nfunc %s(%s)\n", k.symbol(is), params)
		}
	}
	for _, k := range kernels {
		vec := lower(k.name) + "Vec"
		params, args := "y, x []float32", "&y[0], &x[0], n"
		n := "len(x)"
		if k.grad {
			params, args, n = "y, x, dy []float32", "&y[0], &x[0], &dy[0], n", "len(dy)"
		}
		if k.alpha {
			params += ", alpha float32"
			args += ", alpha"
		}
		call := "x[i]"
		if k.grad {
			call += ", dy[i]"
		}
		if k.alpha {
			call += ", alpha"
		}
		fmt.Fprintf(&g, "\n// %s sets y[i] = %s32(%s) for the first values: all of them with\n", vec, k.name, call)
		fmt.Fprintf(&g, "// AVX-512, a multiple of 8 with AVX2, none without; it returns how many.\n")
		fmt.Fprintf(&g, "func %s(%s) int {\n\tn := %s\n\tswitch {\n\tcase n == 0:\n", vec, params, n)
		fmt.Fprintf(&g, "\tcase cpu.avx512:\n\t\t%s(%s)\n\t\treturn n\n", k.symbol(avx512), args)
		fmt.Fprintf(&g, "\tcase cpu.avx2FMA && n >= 8:\n\t\tn &^= 7\n\t\t%s(%s)\n\t\treturn n\n\t}\n\treturn 0\n}\n", k.symbol(avx2), args)
	}
	src, err := format.Source(g.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("act_smooth_amd64.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
}
