//go:build ignore

// lstm_gen writes lstm_avx512_amd64.s, the AVX-512 kernels of rt.LSTMCell. Run it
// with
//
//	go generate ./rt        (or: cd rt && go run lstm_gen.go)
//
// Why generated: the cell is a long dependency chain per vector of cells (an
// exponential, a division, then another for tanh c, about 190 cycles), and an
// out-of-order core only overlaps the few vectors whose instructions fit in its
// scheduler. Written one vector after the other, the AVX2 kernel ran at that chain's
// latency. Here every instruction is printed once for each of `lanes` independent
// vectors of 16 cells, side by side, so the scheduler always holds ready work; doing
// that by hand would be unreadable.
//
// The kernels compute exactly lstmCellGo's float32 operations (act.go's Exp32,
// Sigmoid32 and Tanh32 with no FMA), so every bit equals the Go code's. Two AVX-512
// instructions replace sequences of the AVX2 version without changing a bit:
// VRNDSCALEPS rounds to the nearest integer, ties to even, as adding and subtracting
// 1.5·2^23 does; VSCALEFPS multiplies by 2^n, correctly rounded, as the product with
// 2^n built from its exponent bits does (2^n is normal for every n Exp32 reaches).
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"
)

// lanes is the number of 16-cell vectors computed side by side: each takes 8 ZMM
// registers (v0-v7, Z(8·lane+v)), the constants in registers take Z24-Z29.
const lanes = 2

// instr is one instruction: shared ones (pointer loads) are printed once, the others
// once per lane with {v0}…{v9}, {k} (the lane's mask register) and {d} (the lane's
// byte offset) filled in.
type instr struct {
	shared bool
	text   string
}

type prog []instr

func (p *prog) lane(format string, args ...any) {
	*p = append(*p, instr{text: fmt.Sprintf(format, args...)})
}
func (p *prog) once(format string, args ...any) {
	*p = append(*p, instr{shared: true, text: fmt.Sprintf(format, args...)})
}

// Constants in registers (the most used), and in memory as broadcast operands.
const (
	cMax   = "Z24" // 88
	cMin   = "Z25" // -87
	cLog2e = "Z26"
	cOne   = "Z27"
	cSign  = "Z28"
	cAbs   = "Z29"
	cLn2Hi = "lstmLn2Hi<>(SB)"
	cLn2Lo = "lstmLn2Lo<>(SB)"
	cTwo   = "lstmTwo<>(SB)"
	cSmall = "lstmSmall<>(SB)" // 0.625
)

// exp sets v0 = Exp32(v0), using v1-v4.
func (p *prog) exp() {
	p.lane("VMINPS {v0}, %s, {v0}", cMax) // a NaN stays (the second source in Intel's order)
	p.lane("VMAXPS {v0}, %s, {v0}", cMin)
	p.lane("VMULPS %s, {v0}, {v1}", cLog2e)
	p.lane("VRNDSCALEPS $0, {v1}, {v1}") // fn
	p.lane("VMULPS.BCST %s, {v1}, {v2}", cLn2Hi)
	p.lane("VSUBPS {v2}, {v0}, {v0}")
	p.lane("VMULPS.BCST %s, {v1}, {v2}", cLn2Lo)
	p.lane("VSUBPS {v2}, {v0}, {v0}") // r
	p.lane("VMULPS.BCST lstmE0<>(SB), {v0}, {v2}")
	p.lane("VADDPS.BCST lstmE1<>(SB), {v2}, {v2}")
	for _, c := range []string{"E2", "E3", "E4", "E5"} {
		p.lane("VMULPS {v0}, {v2}, {v2}")
		p.lane("VADDPS.BCST lstm%s<>(SB), {v2}, {v2}", c)
	}
	p.lane("VMULPS {v0}, {v2}, {v2}")
	p.lane("VMULPS {v0}, {v2}, {v2}")
	p.lane("VADDPS {v0}, {v2}, {v2}")
	p.lane("VADDPS %s, {v2}, {v2}", cOne)
	p.lane("VSCALEFPS {v1}, {v2}, {v0}")
}

// sigmoid sets v0 = Sigmoid32(v0), using v1-v4.
func (p *prog) sigmoid() {
	p.lane("VPXORD %s, {v0}, {v0}", cSign)
	p.exp()
	p.lane("VADDPS %s, {v0}, {v0}", cOne)
	p.lane("VDIVPS {v0}, %s, {v0}", cOne)
}

// tanh sets v0 = Tanh32(v3), using v1-v5 and the lane's mask register.
func (p *prog) tanh() {
	// Near 0: x + x·z·q(z), z = x².
	p.lane("VMULPS {v3}, {v3}, {v1}")
	p.lane("VMULPS.BCST lstmT0<>(SB), {v1}, {v2}")
	p.lane("VADDPS.BCST lstmT1<>(SB), {v2}, {v2}")
	for _, c := range []string{"T2", "T3", "T4"} {
		p.lane("VMULPS {v1}, {v2}, {v2}")
		p.lane("VADDPS.BCST lstm%s<>(SB), {v2}, {v2}", c)
	}
	p.lane("VMULPS {v1}, {v3}, {v4}")
	p.lane("VMULPS {v2}, {v4}, {v4}")
	p.lane("VADDPS {v4}, {v3}, {v4}")
	// Elsewhere: ±(1 - 2/(e^2|x| + 1)).
	p.lane("VPANDD %s, {v3}, {v5}", cSign)
	p.lane("VPANDD %s, {v3}, {v0}", cAbs)
	p.lane("VCMPPS.BCST $1, %s, {v0}, {k}", cSmall) // |x| < 0.625
	p.lane("VADDPS {v0}, {v0}, {v0}")
	p.exp()
	p.lane("VADDPS %s, {v0}, {v0}", cOne)
	p.lane("VBROADCASTSS %s, {v1}", cTwo)
	p.lane("VDIVPS {v0}, {v1}, {v0}")
	p.lane("VSUBPS {v0}, %s, {v0}", cOne)
	p.lane("VPXORD {v5}, {v0}, {v0}")
	p.lane("VMOVAPS {v4}, {k}, {v0}")
}

// Offsets of lstmCellRow's fields (lstm_amd64.go).
const (
	offZ   = 0  // + 8·gate
	offB   = 32 // + 8·gate
	offCP  = 64
	offC   = 72
	offH   = 80
	offOut = 88 // + 8·(i, f, g, o, tanh c)
)

// cell is the program of one vector of cells; gates are numbered i 0, f 1, g 2, o 3.
func cell(bias, train bool) prog {
	var p prog
	// load sets reg to gate q's pre-activation plus its bias.
	load := func(q int, reg string) {
		p.once("MOVQ %d(R8), SI", offZ+8*q)
		p.lane("VMOVUPS {d}(SI)(CX*1), %s", reg)
		if bias {
			p.once("MOVQ %d(R8), BX", offB+8*q)
			p.lane("VADDPS {d}(BX)(CX*1), %s, %s", reg, reg)
		}
	}
	// store writes reg to the optional output q when training.
	store := func(q int, reg string) {
		if train {
			p.once("MOVQ %d(R8), SI", offOut+8*q)
			p.lane("VMOVUPS %s, {d}(SI)(CX*1)", reg)
		}
	}
	load(2, "{v3}")
	p.tanh()
	p.lane("VMOVAPS {v0}, {v6}") // g
	store(2, "{v0}")
	load(0, "{v0}")
	p.sigmoid()
	store(0, "{v0}")
	p.lane("VMULPS {v6}, {v0}, {v6}") // i·g
	load(1, "{v0}")
	p.sigmoid()
	store(1, "{v0}")
	p.once("MOVQ %d(R8), SI", offCP)
	p.lane("VMULPS {d}(SI)(CX*1), {v0}, {v7}") // f·cPrev
	p.lane("VADDPS {v6}, {v7}, {v7}")          // c
	p.once("MOVQ %d(R8), SI", offC)
	p.lane("VMOVUPS {v7}, {d}(SI)(CX*1)")
	p.lane("VMOVAPS {v7}, {v3}")
	p.tanh()
	store(4, "{v0}")
	p.lane("VMOVAPS {v0}, {v6}") // tanh c
	load(3, "{v0}")
	p.sigmoid()
	store(3, "{v0}")
	p.lane("VMULPS {v6}, {v0}, {v0}") // h
	p.once("MOVQ %d(R8), SI", offH)
	p.lane("VMOVUPS {v0}, {d}(SI)(CX*1)")
	return p
}

// print writes p for n lanes side by side.
func (p prog) print(b *bytes.Buffer, n int) {
	for _, in := range p {
		if in.shared {
			fmt.Fprintf(b, "\t%s\n", in.text)
			continue
		}
		for l := range n {
			r := []string{"{d}", fmt.Sprint(64 * l), "{k}", fmt.Sprintf("K%d", l+1)}
			for v := 7; v >= 0; v-- {
				r = append(r, fmt.Sprintf("{v%d}", v), fmt.Sprintf("Z%d", 8*l+v))
			}
			fmt.Fprintf(b, "\t%s\n", strings.NewReplacer(r...).Replace(in.text))
		}
	}
}

var constants = []struct {
	name string
	bits uint32
	note string
}{
	{"Max", 0x42b00000, "88"}, {"Min", 0xc2ae0000, "-87"}, {"Log2e", 0x3fb8aa3b, ""},
	{"Ln2Hi", 0x3f318000, ""}, {"Ln2Lo", 0xb95e8083, ""}, {"One", 0x3f800000, ""}, {"Two", 0x40000000, ""},
	{"Sign", 0x80000000, ""}, {"Abs", 0x7fffffff, ""}, {"Small", 0x3f200000, "0.625"},
	{"E0", 0x39506967, ""}, {"E1", 0x3ab743ce, ""}, {"E2", 0x3c088908, ""}, {"E3", 0x3d2aa9c1, ""},
	{"E4", 0x3e2aaaaa, ""}, {"E5", 0x3f000000, ""},
	{"T0", 0xbbbaf0ea, ""}, {"T1", 0x3ca9134e, ""}, {"T2", 0xbd5c1e2d, ""}, {"T3", 0x3e088393, ""}, {"T4", 0xbeaaaa99, ""},
}

func main() {
	var b bytes.Buffer
	b.WriteString("// Code generated by lstm_gen.go. DO NOT EDIT.\n\n#include \"textflag.h\"\n\n")
	b.WriteString("// The constants of act.go's Exp32 and Tanh32 (act_amd64.s has the same).\n")
	for _, c := range constants {
		note := ""
		if c.note != "" {
			note = " // " + c.note
		}
		fmt.Fprintf(&b, "DATA lstm%s<>+0(SB)/4, $0x%08x%s\nGLOBL lstm%s<>(SB), RODATA|NOPTR, $4\n", c.name, c.bits, note, c.name)
	}
	for _, train := range []bool{false, true} {
		for _, bias := range []bool{false, true} {
			name := "lstmCellAVX512"
			if bias {
				name += "Bias"
			}
			if train {
				name += "Train"
			} else {
				name += "Infer"
			}
			fmt.Fprintf(&b, "\n// func %s(row *lstmCellRow, cols int)\n", name)
			fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-16\n", name)
			b.WriteString("\tMOVQ row+0(FP), R8\n\tMOVQ cols+8(FP), DX\n\tSHLQ $2, DX\n\tXORQ CX, CX\n")
			for i, c := range []string{"Max", "Min", "Log2e", "One", "Sign", "Abs"} {
				fmt.Fprintf(&b, "\tVBROADCASTSS lstm%s<>(SB), Z%d\n", c, 24+i)
			}
			p := cell(bias, train)
			// Whole groups of `lanes` vectors, then one vector at a time.
			fmt.Fprintf(&b, "\tMOVQ DX, AX\n\tANDQ $-%d, AX\n\tJZ %sone\n", 64*lanes, name)
			fmt.Fprintf(&b, "%sgroup:\n", name)
			p.print(&b, lanes)
			fmt.Fprintf(&b, "\tADDQ $%d, CX\n\tCMPQ CX, AX\n\tJLT %sgroup\n", 64*lanes, name)
			fmt.Fprintf(&b, "%sone:\n\tCMPQ CX, DX\n\tJGE %sdone\n", name, name)
			p.print(&b, 1)
			fmt.Fprintf(&b, "\tADDQ $64, CX\n\tJMP %sone\n", name)
			fmt.Fprintf(&b, "%sdone:\n\tVZEROUPPER\n\tRET\n", name)
		}
	}
	if err := os.WriteFile("lstm_avx512_amd64.s", b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
