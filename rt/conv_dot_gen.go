//go:build ignore

// conv_dot_gen writes conv_dot_amd64.s, the AVX-512 kernels of the filter gradient
// by dot-product blocks (conv_dot.go), and their Go declarations and dispatch in
// conv_dot_amd64.go. Run it with
//
//	go generate ./rt        (or: cd rt && go run conv_dot_gen.go)
//
// Why generated: a block of r filters × s taps keeps r·s accumulators in registers,
// and each (r, s) is its own straight-line loop body (up to 24 FMAs, their loads,
// and a horizontal sum per accumulator at the end); 39 of them by hand would be
// unreadable and error-prone.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
)

// maxTaps[r] is the most taps a block of r filters takes: r·s accumulators, r
// registers for the filters' dy vectors and one for the tap's x vector must fit the
// 32 ZMM registers, and the s tap pointers the 8 general registers R8–R15.
var maxTaps = [...]int{0, 8, 8, 8, 6, 5, 4}

// Offsets of the fields of rt.dotArgs (conv_dot.go; keep in step).
const (
	argDY, argDYStep, argX, argRows, argVecs, argRowJump = 0, 8, 16, 24, 32, 40
	argGroups, argGroupJump, argDW, argLDW, argOff       = 48, 56, 64, 72, 80
)

var tapRegs = []string{"R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"}

type gen struct{ bytes.Buffer }

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.Buffer, format+"\n", args...) }

func symbol(r, s int) string { return fmt.Sprintf("dotFilterR%dS%d", r, s) }

// kernel prints the routine of a block of r filters × s taps.
//
// Registers: AX holds the arguments; DI walks dy (one 16-lane vector per position
// and filter, the block's r filters side by side, dyStep bytes from one position to
// the next); SI is the byte offset of the current position in x, added to each
// tap's base R8… (x plus the tap's offset); BX, CX and DX count the vectors of a
// row, the rows and the groups. Z0…Z(r-1) hold the filters' dy vectors, Zr the
// tap's x vector (r > 1; with one filter each x vector is used once, as the FMA's
// memory operand), the accumulators follow.
func (g *gen) kernel(r, s int) {
	acc := func(i, t int) int { return r + 1 + i*s + t }
	g.p("")
	g.p("// func %s(a *dotArgs)", symbol(r, s))
	g.p("TEXT ·%s(SB), NOSPLIT, $0-8", symbol(r, s))
	g.p("\tMOVQ a+0(FP), AX")
	g.p("\tMOVQ %d(AX), BX", argX)
	for t := range s {
		g.p("\tMOVQ %d(AX), %s", argOff+8*t, tapRegs[t])
		g.p("\tADDQ BX, %s", tapRegs[t])
	}
	g.p("\tMOVQ %d(AX), DI", argDY)
	g.p("\tXORQ SI, SI")
	for i := range r {
		for t := range s {
			z := acc(i, t)
			g.p("\tVPXORD Z%d, Z%d, Z%d", z, z, z)
		}
	}
	g.p("\tMOVQ %d(AX), DX", argGroups)
	g.p("group:")
	g.p("\tMOVQ %d(AX), CX", argRows)
	g.p("row:")
	g.p("\tMOVQ %d(AX), BX", argVecs)
	g.p("vec:")
	for i := range r {
		g.p("\tVMOVUPS %d(DI), Z%d", 64*i, i)
	}
	for t := range s {
		if r == 1 {
			g.p("\tVFMADD231PS (%s)(SI*1), Z0, Z%d", tapRegs[t], acc(0, t))
			continue
		}
		g.p("\tVMOVUPS (%s)(SI*1), Z%d", tapRegs[t], r)
		for i := range r {
			g.p("\tVFMADD231PS Z%d, Z%d, Z%d", r, i, acc(i, t))
		}
	}
	g.p("\tADDQ $64, SI")
	g.p("\tADDQ %d(AX), DI", argDYStep)
	g.p("\tDECQ BX")
	g.p("\tJNZ vec")
	g.p("\tADDQ %d(AX), SI", argRowJump)
	g.p("\tDECQ CX")
	g.p("\tJNZ row")
	g.p("\tADDQ %d(AX), SI", argGroupJump)
	g.p("\tDECQ DX")
	g.p("\tJNZ group")
	// dw[i][t] += the sum of accumulator (i, t)'s 16 lanes: halves added until one
	// lane is left, the same tree for every accumulator.
	g.p("\tMOVQ %d(AX), DI", argDW)
	g.p("\tMOVQ %d(AX), BX", argLDW)
	for i := range r {
		for t := range s {
			z := acc(i, t)
			g.p("\tVEXTRACTF64X4 $1, Z%d, Y0", z)
			g.p("\tVADDPS Y%d, Y0, Y0", z)
			g.p("\tVEXTRACTF128 $1, Y0, X1")
			g.p("\tVADDPS X1, X0, X0")
			g.p("\tVPERMILPS $0x4e, X0, X1")
			g.p("\tVADDPS X1, X0, X0")
			g.p("\tVPERMILPS $0xb1, X0, X1")
			g.p("\tVADDSS X1, X0, X0")
			g.p("\tVADDSS %d(DI), X0, X0", 4*t)
			g.p("\tVMOVSS X0, %d(DI)", 4*t)
		}
		if i+1 < r {
			g.p("\tADDQ BX, DI")
		}
	}
	g.p("\tVZEROUPPER")
	g.p("\tRET")
}

// transpose prints dotTranspose16: a 16×16 transpose per chunk of 16 positions,
// in the four rounds of unpacks and 128-bit lane shuffles of the usual AVX-512
// register transpose.
//
// Registers: AX holds the arguments, DI the output vector pointer, SI the chunk's
// first row, R8 the current row, R9 the row stride, R10 the items, CX the
// positions left, DX the output stride; K1 masks the chunk's positions.
func (g *gen) transpose() {
	g.p("")
	g.p("// func dotTranspose16(a *transArgs)")
	g.p("TEXT ·dotTranspose16(SB), NOSPLIT, $0-8")
	g.p("\tMOVQ a+0(FP), AX")
	g.p("\tMOVQ 0(AX), DI")  // dst
	g.p("\tMOVQ 8(AX), DX")  // dst stride (bytes)
	g.p("\tMOVQ 16(AX), SI") // src
	g.p("\tMOVQ 24(AX), R9") // src stride (bytes)
	g.p("\tMOVQ 32(AX), R10")
	g.p("\tMOVQ 40(AX), CX")
	g.p("chunk:")
	// K1 = the first min(16, CX) lanes.
	g.p("\tMOVQ $0xffff, R11")
	g.p("\tCMPQ CX, $16")
	g.p("\tJAE full")
	g.p("\tMOVQ $1, R11")
	g.p("\tSHLQ CX, R11")
	g.p("\tDECQ R11")
	g.p("full:")
	g.p("\tKMOVW R11, K1")
	g.p("\tMOVQ SI, R8")
	for b := range 16 {
		if b > 0 {
			g.p("\tCMPQ R10, $%d", b)
			g.p("\tJLE zero%d", b)
			g.p("\tADDQ R9, R8")
		}
		g.p("\tVMOVUPS.Z (R8), K1, Z%d", b)
	}
	g.p("\tJMP loaded")
	for b := 1; b < 16; b++ {
		g.p("zero%d:", b)
		g.p("\tVPXORD Z%d, Z%d, Z%d", b, b, b)
	}
	g.p("loaded:")
	// Round 1: t[2m], t[2m+1] = the 32-bit interleave of rows 2m and 2m+1, per
	// 128-bit lane L: (r0[4L], r1[4L], r0[4L+1], r1[4L+1]) and the upper half.
	for m := range 8 {
		g.p("\tVUNPCKLPS Z%d, Z%d, Z%d", 2*m+1, 2*m, 16+2*m)
		g.p("\tVUNPCKHPS Z%d, Z%d, Z%d", 2*m+1, 2*m, 16+2*m+1)
	}
	// Round 2: u[4q+m] lane L = rows 4q…4q+3 of position 4L+m.
	for q := range 4 {
		t := 16 + 4*q
		g.p("\tVUNPCKLPD Z%d, Z%d, Z%d", t+2, t, 4*q)
		g.p("\tVUNPCKHPD Z%d, Z%d, Z%d", t+2, t, 4*q+1)
		g.p("\tVUNPCKLPD Z%d, Z%d, Z%d", t+3, t+1, 4*q+2)
		g.p("\tVUNPCKHPD Z%d, Z%d, Z%d", t+3, t+1, 4*q+3)
	}
	// Round 3: for each m, v = lanes 0,1 of u[m] and u[4+m] (0x44) and lanes 2,3
	// (0xee); w the same of u[8+m] and u[12+m].
	for m := range 4 {
		g.p("\tVSHUFF32X4 $0x44, Z%d, Z%d, Z%d", 4+m, m, 16+4*m)
		g.p("\tVSHUFF32X4 $0xee, Z%d, Z%d, Z%d", 4+m, m, 16+4*m+1)
		g.p("\tVSHUFF32X4 $0x44, Z%d, Z%d, Z%d", 12+m, 8+m, 16+4*m+2)
		g.p("\tVSHUFF32X4 $0xee, Z%d, Z%d, Z%d", 12+m, 8+m, 16+4*m+3)
	}
	// Round 4: position 4L+m is lanes (L%2, L%2+2) of v and w (a for L < 2, b
	// after): 0x88 picks lanes 0 and 2, 0xdd lanes 1 and 3.
	for m := range 4 {
		va, vb, wa, wb := 16+4*m, 16+4*m+1, 16+4*m+2, 16+4*m+3
		g.p("\tVSHUFF32X4 $0x88, Z%d, Z%d, Z%d", wa, va, m)
		g.p("\tVSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", wa, va, 4+m)
		g.p("\tVSHUFF32X4 $0x88, Z%d, Z%d, Z%d", wb, vb, 8+m)
		g.p("\tVSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", wb, vb, 12+m)
	}
	// Store the chunk's positions: 16, or the CX left.
	for j := range 16 {
		if j > 0 {
			g.p("\tCMPQ CX, $%d", j)
			g.p("\tJLE done")
		}
		g.p("\tVMOVUPS Z%d, (DI)", j)
		g.p("\tADDQ DX, DI")
	}
	g.p("\tADDQ $64, SI")
	g.p("\tSUBQ $16, CX")
	g.p("\tJA chunk")
	g.p("done:")
	g.p("\tVZEROUPPER")
	g.p("\tRET")
}

func main() {
	var s gen
	s.p("// Code generated by conv_dot_gen.go. DO NOT EDIT.")
	s.p("")
	s.p("#include \"textflag.h\"")
	s.transpose()
	for r := 1; r < len(maxTaps); r++ {
		for t := 1; t <= maxTaps[r]; t++ {
			s.kernel(r, t)
		}
	}
	if err := os.WriteFile("conv_dot_amd64.s", s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}

	var d gen
	d.p("// Code generated by conv_dot_gen.go. DO NOT EDIT.")
	d.p("")
	d.p("package rt")
	d.p("")
	d.p("//go:generate go run conv_dot_gen.go")
	d.p("")
	d.p("// haveDot reports whether this CPU runs the kernels below.")
	d.p("func haveDot() bool { return cpu.avx512 }")
	d.p("")
	d.p("// dotTranspose16 is the AVX-512 transpose of conv_dot.go's layouts (see transArgs).")
	d.p("//")
	d.p("//go:noescape")
	d.p("func dotTranspose16(a *transArgs)")
	for r := 1; r < len(maxTaps); r++ {
		for t := 1; t <= maxTaps[r]; t++ {
			d.p("")
			d.p("//go:noescape")
			d.p("func %s(a *dotArgs)", symbol(r, t))
		}
	}
	d.p("")
	d.p("// dotMaxTaps[r] is the most taps a kernel for a block of r filters takes.")
	d.p("var dotMaxTaps = [...]int{%d, %d, %d, %d, %d, %d, %d}", maxTaps[0], maxTaps[1], maxTaps[2], maxTaps[3], maxTaps[4], maxTaps[5], maxTaps[6])
	d.p("")
	d.p("// dotKernel runs the kernel of a block of r filters × s taps. It is chosen by")
	d.p("// number, not held in a func value: a call through one would make a escape.")
	d.p("func dotKernel(r, s int, a *dotArgs) {")
	d.p("\tswitch r*16 + s {")
	for r := 1; r < len(maxTaps); r++ {
		for t := 1; t <= maxTaps[r]; t++ {
			d.p("\tcase %d:", r*16+t)
			d.p("\t\t%s(a)", symbol(r, t))
		}
	}
	d.p("\tdefault:")
	d.p("\t\tpanic(\"rt: no dot-product kernel for this block\")")
	d.p("\t}")
	d.p("}")
	src, err := format.Source(d.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("conv_dot_amd64.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
}
