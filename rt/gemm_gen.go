//go:build ignore

// gemm_gen writes the amd64 GEMM micro-kernels: gemm_avx512_amd64.s,
// gemm_avx2_amd64.s and their Go declarations in gemm_asm_amd64.go. Run it with
//
//	go generate ./rt        (or: cd rt && go run gemm_gen.go)
//
// Each kernel is specialised to a number of rows (1..mr) and of vectors per row
// (a full nr-wide panel, or a half one for narrow last panels), so the generator
// prints one straight-line routine per combination instead of the assembly carrying
// loops over rows. The generated files are committed; CI can check they are fresh by
// re-running this program and diffing.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"
)

// isa describes one instruction set's register file and tile shape.
type isa struct {
	name   string // used in symbol and file names
	reg    string // "Z" or "Y"
	lanes  int    // float32 lanes per vector
	nregs  int    // vector registers
	mr     int    // rows of the full tile
	vecs   int    // vectors per row of the full tile (nr = vecs·lanes)
	unroll int    // k steps per loop iteration
	// embedded folds each broadcast of A into the FMAs as an EVEX {1to16} memory
	// operand instead of broadcasting into a register first (AVX-512 only). On
	// Zen 4 both forms run at the FMA peak; the register form is the default as it
	// issues half the loads.
	embedded bool
	// gemvRows is the most rows of A the multi-panel kernels (gemv) take: each
	// row needs gemvPanels·vecs accumulators.
	gemvRows int
}

var isas = []isa{
	// AVX-512: 14×32. 28 accumulators, 2 B vectors and 2 broadcast registers use all
	// 32 ZMM registers. Each k step issues 28 independent FMAs against 14
	// broadcasts and 2 loads of B: far more accumulators than FMA latency ×
	// throughput (4 × 2) needs, and few loads per FMA. It runs at 99% of the FMA
	// peak on Zen 4 (which splits a 512-bit FMA in two 256-bit halves); on cores
	// with two 512-bit FMA pipes it does twice the work of the AVX2 kernel.
	// (6×64 and 8×48 tiles measured the same on Zen 4; 14×32 wastes fewer FMAs on
	// the narrow n of small layers.)
	{name: "avx512", reg: "Z", lanes: 16, nregs: 32, mr: 14, vecs: 2, unroll: 4, gemvRows: 3},
	// AVX2+FMA: 6×16. 12 accumulators, 2 B vectors and 2 broadcast registers use all
	// 16 YMM registers.
	{name: "avx2", reg: "Y", lanes: 8, nregs: 16, mr: 6, vecs: 2, unroll: 4, gemvRows: 1},
}

// Argument frame of every kernel:
//
//	func k(k int, a *float32, lda int, b *float32, bs int, c *float32, ldc int, alpha, beta float32, nr int)
const (
	argK, argA, argLDA, argB, argBS, argC, argLDC, argAlpha, argBeta, argNR = 0, 8, 16, 24, 32, 40, 48, 56, 60, 64
	argSize                                                                 = 72
)

const kernelParams = "k int, a *float32, lda int, b *float32, bs int, c *float32, ldc int, alpha, beta float32, nr int"

// scatterParams is the frame of the scatter kernels: kernelParams with C's row
// offset table in ldc's place.
const scatterParams = "k int, a *float32, lda int, b *float32, bs int, c *float32, coff *int32, alpha, beta float32, nr int"

// indirectParams is the frame of the indirect kernels: kernelParams with the
// offset table in bs's place.
const indirectParams = "k int, a *float32, lda int, b *float32, off *int32, c *float32, ldc int, alpha, beta float32, nr int"

type gen struct {
	isa
	bytes.Buffer
	// cInd makes the kernel being printed store row i of C at c + coff[i] (the
	// int32 table passed in ldc's place) instead of c + i·ldc.
	cInd bool
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.Buffer, format+"\n", args...) }

func (g *gen) vr(i int) string { return fmt.Sprintf("%s%d", g.reg, i) }

// acc is the accumulator for row i, vector w of a tile that is vecs wide.
func (g *gen) acc(i, w, vecs int) string { return g.vr(i*vecs + w) }

// bReg is the register holding vector w of the current B row.
func (g *gen) bReg(w int) string { return g.vr(g.nregs - 2 - g.vecs + w) }

// bcast is one of the two registers A elements are broadcast into, used in turn
// so that a broadcast can issue while the previous row's FMAs still read the other.
func (g *gen) bcast(i int) string { return g.vr(g.nregs - 2 + i%2) }

func symbol(is isa, transA bool, rows, vecs int) string {
	t := "n"
	if transA {
		t = "t"
	}
	return fmt.Sprintf("sgemm_%s_%s%dx%d", is.name, t, rows, vecs*is.lanes)
}

// scatterSymbol names the kernel of a rows × (vecs·lanes) tile with C's rows at
// offsets.
func scatterSymbol(is isa, rows, vecs int) string {
	return fmt.Sprintf("sgemm_%s_c%dx%d", is.name, rows, vecs*is.lanes)
}

// indirectSymbol names the kernel of a rows × (vecs·lanes) tile with indirect B.
func indirectSymbol(is isa, rows, vecs int) string {
	return fmt.Sprintf("sgemm_%s_i%dx%d", is.name, rows, vecs*is.lanes)
}

// kernel prints the routine for a rows × (vecs·lanes) tile.
//
// A is read in place, never packed: element (i, p) of op(A) is at a + i·lda + p when
// transA is false (rows of A run along k), and at a + p·lda + i when it is true
// (a k step is a run of rows consecutive floats; a packed sliver is this layout with
// lda = rows). B is a panel whose row p starts at b + p·bs.
//
// Registers: CX counts k; BX walks B, R12/R13/DX hold 1, 3 and 4 B rows in bytes.
// For transA, AX walks the k steps of A with R9/R10/R11 = 1, 3, 4 steps in bytes.
// Otherwise AX (rows 0–6) and R8 (rows 7–13) walk along k, and a row's offset from
// its base is one of 0, lda, 2lda, 3lda, 4lda, 5lda, 6lda: R9 = lda, R10 = 3lda,
// R11 = 5lda give all of them as index·scale.
//
// With indirect (A is then transposed, as for transA), row p of B is not at
// b + p·bs but at b + off[p], off being the int32 table passed in bs's place: the
// rows of a convolution's column matrix read straight from the padded image
// (indirect convolution; Dukhan, "The Indirect Convolution Algorithm", 2019), so
// the matrix is never built. R12 walks the table and R13/DX take each offset.
func (g *gen) kernel(transA bool, rows, vecs int) { g.kernelB(transA, false, rows, vecs) }

func (g *gen) kernelB(transA, indirect bool, rows, vecs int) {
	vb := g.lanes * 4 // bytes per vector
	sym := symbol(g.isa, transA, rows, vecs)
	params := kernelParams
	switch {
	case indirect:
		sym, params = indirectSymbol(g.isa, rows, vecs), indirectParams
	case g.cInd:
		sym, params = scatterSymbol(g.isa, rows, vecs), scatterParams
	}
	g.p("")
	g.p("// func %s(%s)", sym, params)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-%d", sym, argSize)
	g.p("\tMOVQ k+%d(FP), CX", argK)
	g.p("\tMOVQ a+%d(FP), AX", argA)
	g.p("\tMOVQ lda+%d(FP), R9", argLDA)
	g.p("\tSHLQ $2, R9")
	g.p("\tLEAQ (R9)(R9*2), R10")
	if transA {
		g.p("\tLEAQ (R9)(R9*1), R11")
		g.p("\tADDQ R11, R11")
	} else {
		g.p("\tLEAQ (R9)(R9*4), R11")
		if rows > 7 {
			g.p("\tLEAQ (R11)(R9*2), R8")
			g.p("\tADDQ AX, R8")
		}
	}
	g.p("\tMOVQ b+%d(FP), BX", argB)
	if indirect {
		g.p("\tMOVQ off+%d(FP), R12", argBS)
	} else {
		g.p("\tMOVQ bs+%d(FP), R12", argBS)
		g.p("\tSHLQ $2, R12")
		g.p("\tLEAQ (R12)(R12*2), R13")
		g.p("\tLEAQ (R12)(R12*1), DX")
		g.p("\tADDQ DX, DX")
	}
	g.p("\t// Touch the rows of C now so they are in cache by the epilogue.")
	g.p("\tMOVQ c+%d(FP), DI", argC)
	if g.cInd {
		// SI walks nothing: it holds the row offset table for the epilogue.
		g.p("\tMOVQ coff+%d(FP), SI", argLDC)
		for i := 0; i < rows; i++ {
			g.p("\tMOVLQSX %d(SI), R8", 4*i)
			g.p("\tPREFETCHT0 (DI)(R8*4)")
			if vecs*vb > 64 {
				g.p("\tPREFETCHT0 %d(DI)(R8*4)", vecs*vb-4)
			}
		}
	}
	if !g.cInd {
		g.p("\tMOVQ ldc+%d(FP), SI", argLDC)
		g.p("\tSHLQ $2, SI")
	}
	for i := 0; i < rows && !g.cInd; i++ {
		g.p("\tPREFETCHT0 (DI)")
		if vecs*vb > 64 {
			g.p("\tPREFETCHT0 %d(DI)", vecs*vb-4)
		}
		if i < rows-1 {
			g.p("\tADDQ SI, DI")
		}
	}
	g.p("\t// Clear the accumulators.")
	for i := 0; i < rows; i++ {
		for w := 0; w < vecs; w++ {
			r := g.acc(i, w, vecs)
			if g.reg == "Z" {
				g.p("\tVPXORD %s, %s, %s", r, r, r)
			} else {
				g.p("\tVXORPS %s, %s, %s", r, r, r)
			}
		}
	}
	g.p("\tCMPQ CX, $%d", g.unroll)
	g.p("\tJLT tail")
	g.p("")
	g.p("\t// Main loop: %d k steps, each an outer product of a column of A (%d", g.unroll, rows)
	g.p("\t// broadcasts) with a row of B (%d vectors) into the accumulators.", vecs)
	g.p("loop:")
	steps := []string{"", "(R9*1)", "(R9*2)", "(R10*1)"}
	bRow := []string{"(BX)", "(BX)(R12*1)", "(BX)(R12*2)", "(BX)(R13*1)"}
	rowIdx := []string{"", "(R9*1)", "(R9*2)", "(R10*1)", "(R9*4)", "(R11*1)", "(R10*2)"}
	offReg := []string{"R13", "DX"}
	for u := 0; u < g.unroll; u++ {
		if indirect {
			g.p("\tMOVLQSX %d(R12), %s", 4*u, offReg[u%2])
		}
		g.step(rows, vecs, func(i int) string {
			if transA {
				return fmt.Sprintf("%d(AX)%s", i*4, steps[u])
			}
			base := "(AX)"
			if i >= 7 {
				base = "(R8)"
			}
			return fmt.Sprintf("%d%s%s", u*4, base, rowIdx[i%7])
		}, func(w int) string {
			if indirect {
				return fmt.Sprintf("%d(BX)(%s*4)", w*vb, offReg[u%2])
			}
			return fmt.Sprintf("%d%s", w*vb, bRow[u])
		})
	}
	if transA {
		g.p("\tADDQ R11, AX")
	} else {
		g.p("\tADDQ $%d, AX", g.unroll*4)
		if rows > 7 {
			g.p("\tADDQ $%d, R8", g.unroll*4)
		}
	}
	if indirect {
		g.p("\tADDQ $%d, R12", 4*g.unroll)
	} else {
		g.p("\tADDQ DX, BX")
	}
	g.p("\tSUBQ $%d, CX", g.unroll)
	g.p("\tCMPQ CX, $%d", g.unroll)
	g.p("\tJGE loop")
	g.p("")
	g.p("\t// The remaining k mod %d steps, one at a time.", g.unroll)
	g.p("tail:")
	g.p("\tTESTQ CX, CX")
	g.p("\tJEQ epilogue")
	g.p("tailloop:")
	if indirect {
		g.p("\tMOVLQSX (R12), R13")
	}
	g.step(rows, vecs, func(i int) string {
		if transA {
			return fmt.Sprintf("%d(AX)", i*4)
		}
		base := "(AX)"
		if i >= 7 {
			base = "(R8)"
		}
		return base + rowIdx[i%7]
	}, func(w int) string {
		if indirect {
			return fmt.Sprintf("%d(BX)(R13*4)", w*vb)
		}
		return fmt.Sprintf("%d(BX)", w*vb)
	})
	if transA {
		g.p("\tADDQ R9, AX")
	} else {
		g.p("\tADDQ $4, AX")
		if rows > 7 {
			g.p("\tADDQ $4, R8")
		}
	}
	if indirect {
		g.p("\tADDQ $4, R12")
	} else {
		g.p("\tADDQ R12, BX")
	}
	g.p("\tDECQ CX")
	g.p("\tJNE tailloop")
	g.p("")
	g.epilogue(rows, vecs)
}

// step prints one k step: load the B row, then per row of A broadcast and FMA.
func (g *gen) step(rows, vecs int, aAddr func(i int) string, bAddr func(w int) string) {
	for w := 0; w < vecs; w++ {
		g.p("\tVMOVUPS %s, %s", bAddr(w), g.bReg(w))
	}
	for i := 0; i < rows; i++ {
		if g.embedded {
			for w := 0; w < vecs; w++ {
				g.p("\tVFMADD231PS.BCST %s, %s, %s", aAddr(i), g.bReg(w), g.acc(i, w, vecs))
			}
			continue
		}
		t := g.bcast(i)
		g.p("\tVBROADCASTSS %s, %s", aAddr(i), t)
		for w := 0; w < vecs; w++ {
			g.p("\tVFMADD231PS %s, %s, %s", t, g.bReg(w), g.acc(i, w, vecs))
		}
	}
}

// epilogue stores C = alpha·acc + beta·C row by row, DI walking the rows of C.
// Four paths: a full-width or partial (masked) tile, each with beta == 0 (C is not
// read, so NaN garbage there cannot leak in) or not. The arithmetic is identical in
// the full and masked paths, so edge elements round exactly like interior ones.
func (g *gen) epilogue(rows, vecs int) {
	vb := g.lanes * 4
	alpha, beta, tmp := g.vr(g.nregs-4), g.vr(g.nregs-3), g.vr(g.nregs-2)
	g.p("epilogue:")
	g.p("\tMOVQ c+%d(FP), DI", argC)
	g.p("\tVBROADCASTSS alpha+%d(FP), %s", argAlpha, alpha)
	g.p("\tVBROADCASTSS beta+%d(FP), %s", argBeta, beta)
	g.p("\tMOVL beta+%d(FP), DX", argBeta)
	g.p("\tANDL $0x7fffffff, DX // beta == ±0")
	g.p("\tMOVQ nr+%d(FP), CX", argNR)
	g.p("\tCMPQ CX, $%d", vecs*g.lanes)
	g.p("\tJNE partial")
	g.p("\tTESTL DX, DX")
	g.p("\tJEQ fullbeta0")
	g.p("")
	g.p("\t// Full tile, C = alpha·acc + beta·C.")
	for i := 0; i < rows; i++ {
		base := g.rowBase(i)
		for w := 0; w < vecs; w++ {
			g.p("\tVMULPS %d%s, %s, %s", w*vb, base, beta, tmp)
			g.p("\tVFMADD231PS %s, %s, %s", alpha, g.acc(i, w, vecs), tmp)
			g.p("\tVMOVUPS %s, %d%s", tmp, w*vb, base)
		}
		g.nextRow(i, rows)
	}
	g.ret()
	g.p("")
	g.p("\t// Full tile, C = alpha·acc.")
	g.p("fullbeta0:")
	for i := 0; i < rows; i++ {
		base := g.rowBase(i)
		for w := 0; w < vecs; w++ {
			a := g.acc(i, w, vecs)
			g.p("\tVMULPS %s, %s, %s", alpha, a, a)
			g.p("\tVMOVUPS %s, %d%s", a, w*vb, base)
		}
		g.nextRow(i, rows)
	}
	g.ret()
	g.p("")
	g.p("\t// Partial tile: only the first nr (CX) columns exist.")
	g.p("partial:")
	if g.reg == "Z" {
		g.p("\t// Opmask K%d..K%d select the live lanes of each vector: bits 0..nr-1 of R8.", 1, vecs)
		g.p("\tMOVQ $1, R8")
		g.p("\tSHLQ CX, R8")
		g.p("\tDECQ R8")
		for w := 0; w < vecs; w++ {
			g.p("\tKMOVW R8, K%d", w+1)
			if w < vecs-1 {
				g.p("\tSHRQ $16, R8")
			}
		}
		g.p("\tTESTL DX, DX")
		g.p("\tJEQ partbeta0")
		for i := 0; i < rows; i++ {
			base := g.rowBase(i)
			for w := 0; w < vecs; w++ {
				g.p("\tVMOVUPS.Z %d%s, K%d, %s", w*vb, base, w+1, tmp)
				g.p("\tVMULPS %s, %s, %s", beta, tmp, tmp)
				g.p("\tVFMADD231PS %s, %s, %s", alpha, g.acc(i, w, vecs), tmp)
				g.p("\tVMOVUPS %s, K%d, %d%s", tmp, w+1, w*vb, base)
			}
			g.nextRow(i, rows)
		}
		g.ret()
		g.p("partbeta0:")
		for i := 0; i < rows; i++ {
			base := g.rowBase(i)
			for w := 0; w < vecs; w++ {
				a := g.acc(i, w, vecs)
				g.p("\tVMULPS %s, %s, %s", alpha, a, a)
				g.p("\tVMOVUPS %s, K%d, %d%s", a, w+1, w*vb, base)
			}
			g.nextRow(i, rows)
		}
		g.ret()
		return
	}
	// AVX2 has no opmasks: VMASKMOVPS takes a vector whose lanes' sign bits select.
	// Vector w's mask is loaded from avx2Mask (8 ones, then 8 zeros) at offset
	// 8 − clamp(nr − 8w, 0, 8), which yields exactly that many leading ones; R8+w
	// holds its address. There are no spare registers to keep the masks in, so the
	// mask is reloaded (from L1) per store.
	mask := g.vr(g.nregs - 1)
	for w := 0; w < vecs; w++ {
		g.p("\tMOVQ CX, R10")
		if w > 0 {
			g.p("\tSUBQ $%d, R10", w*g.lanes)
		}
		g.p("\tXORQ R9, R9")
		g.p("\tCMPQ R10, R9")
		g.p("\tCMOVQLT R9, R10")
		g.p("\tMOVQ $%d, R9", g.lanes)
		g.p("\tCMPQ R10, R9")
		g.p("\tCMOVQGT R9, R10")
		g.p("\tLEAQ ·avx2Mask+32(SB), R%d", 8+w*4)
		g.p("\tSHLQ $2, R10")
		g.p("\tSUBQ R10, R%d", 8+w*4)
	}
	g.p("\tTESTL DX, DX")
	g.p("\tJEQ partbeta0")
	for i := 0; i < rows; i++ {
		for w := 0; w < vecs; w++ {
			g.p("\tVMOVUPS (R%d), %s", 8+w*4, mask)
			g.p("\tVMASKMOVPS %d(DI), %s, %s", w*vb, mask, tmp)
			g.p("\tVMULPS %s, %s, %s", beta, tmp, tmp)
			g.p("\tVFMADD231PS %s, %s, %s", alpha, g.acc(i, w, vecs), tmp)
			g.p("\tVMASKMOVPS %s, %s, %d(DI)", tmp, mask, w*vb)
		}
		g.nextRow(i, rows)
	}
	g.ret()
	g.p("partbeta0:")
	for i := 0; i < rows; i++ {
		for w := 0; w < vecs; w++ {
			a := g.acc(i, w, vecs)
			g.p("\tVMOVUPS (R%d), %s", 8+w*4, mask)
			g.p("\tVMULPS %s, %s, %s", alpha, a, a)
			g.p("\tVMASKMOVPS %s, %s, %d(DI)", a, mask, w*vb)
		}
		g.nextRow(i, rows)
	}
	g.ret()
}

// rowBase returns the address of row i of C in the epilogue: DI, which nextRow
// moves along, or with cInd, R9 = c + coff[i] computed here.
func (g *gen) rowBase(i int) string {
	if !g.cInd {
		return "(DI)"
	}
	g.p("\tMOVLQSX %d(SI), R9", 4*i)
	g.p("\tLEAQ (DI)(R9*4), R9")
	return "(R9)"
}

func (g *gen) nextRow(i, rows int) {
	if i < rows-1 && !g.cInd {
		g.p("\tADDQ SI, DI")
	}
}

func (g *gen) ret() {
	g.p("\tVZEROUPPER")
	g.p("\tRET")
}

// gemvPanels is how many packed B panels a gemv kernel computes at once.
const gemvPanels = 4

// Argument frame of the gemv kernels:
//
//	func k(k int, a *float32, sa, ra int, b *float32, ps int, c *float32, ldc int, alpha, beta float32)
const (
	gvK, gvA, gvSA, gvRA, gvB, gvPS, gvC, gvLDC, gvAlpha, gvBeta = 0, 8, 16, 24, 32, 40, 48, 56, 64, 68
	gvSize                                                       = 72
)

const gemvParams = "k int, a *float32, sa, ra int, b *float32, ps int, c *float32, ldc int, alpha, beta float32"

func gemvSymbol(is isa, rows int) string { return fmt.Sprintf("sgemv_%s_r%d", is.name, rows) }

// gemv prints the routine for rows (1..gemvRows) of A against gemvPanels full packed
// B panels at once, for the few-row products the register tile does badly: with one
// row, a tile has only vecs accumulators, each k step's FMAs depend on the previous
// step's, and the kernel waits on FMA latency (4 cycles) instead of issuing two per
// cycle. Four panels give 4·vecs independent chains per row. Every element is still
// one FMA chain over k in order from a cleared register, and the epilogue is the
// tile's, so the results are those of the tile kernels bit for bit.
//
// Element (i, p) of op(A) is at a + i·ra + p·sa (in floats). Panel q's row p is at
// b + q·ps + p·nr: panels are k×nr and ps floats apart, as PackedB stores them.
//
// Registers: CX counts k, AX walks A along k (R9 = sa, R10 = ra in bytes), BX walks
// the rows of panel 0 (R12 = ps, R13 = 3ps in bytes), B is read by the FMAs' memory
// operands (each element is used rows times, so loading it into a register first
// would save nothing at one row).
func (g *gen) gemv(rows int) {
	vb := g.lanes * 4
	nr := g.vecs * g.lanes
	sym := gemvSymbol(g.isa, rows)
	acc := func(i, q, w int) string { return g.vr((i*gemvPanels+q)*g.vecs + w) }
	panel := []string{"(BX)", "(BX)(R12*1)", "(BX)(R12*2)", "(BX)(R13*1)"}
	g.p("")
	g.p("// func %s(%s)", sym, gemvParams)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-%d", sym, gvSize)
	g.p("\tMOVQ k+%d(FP), CX", gvK)
	g.p("\tMOVQ a+%d(FP), AX", gvA)
	g.p("\tMOVQ sa+%d(FP), R9", gvSA)
	g.p("\tSHLQ $2, R9")
	g.p("\tMOVQ ra+%d(FP), R10", gvRA)
	g.p("\tSHLQ $2, R10")
	g.p("\tMOVQ b+%d(FP), BX", gvB)
	g.p("\tMOVQ ps+%d(FP), R12", gvPS)
	g.p("\tSHLQ $2, R12")
	g.p("\tLEAQ (R12)(R12*2), R13")
	for i := 0; i < rows; i++ {
		for q := 0; q < gemvPanels; q++ {
			for w := 0; w < g.vecs; w++ {
				r := acc(i, q, w)
				if g.reg == "Z" {
					g.p("\tVPXORD %s, %s, %s", r, r, r)
				} else {
					g.p("\tVXORPS %s, %s, %s", r, r, r)
				}
			}
		}
	}
	g.p("\tTESTQ CX, CX")
	g.p("\tJEQ gvepilogue")
	g.p("gvloop:")
	rowAddr := []string{"(AX)", "(AX)(R10*1)", "(AX)(R10*2)"}
	for i := 0; i < rows; i++ {
		t := g.bcast(i)
		g.p("\tVBROADCASTSS %s, %s", rowAddr[i], t)
		for q := 0; q < gemvPanels; q++ {
			for w := 0; w < g.vecs; w++ {
				g.p("\tVFMADD231PS %d%s, %s, %s", w*vb, panel[q], t, acc(i, q, w))
			}
		}
	}
	g.p("\tADDQ R9, AX")
	g.p("\tADDQ $%d, BX", nr*4)
	g.p("\tDECQ CX")
	g.p("\tJNE gvloop")
	g.p("")
	alpha, beta, tmp := g.vr(g.nregs-4), g.vr(g.nregs-3), g.vr(g.nregs-2)
	g.p("gvepilogue:")
	g.p("\tMOVQ c+%d(FP), DI", gvC)
	g.p("\tMOVQ ldc+%d(FP), SI", gvLDC)
	g.p("\tSHLQ $2, SI")
	g.p("\tVBROADCASTSS alpha+%d(FP), %s", gvAlpha, alpha)
	g.p("\tVBROADCASTSS beta+%d(FP), %s", gvBeta, beta)
	g.p("\tMOVL beta+%d(FP), DX", gvBeta)
	g.p("\tANDL $0x7fffffff, DX // beta == ±0")
	g.p("\tTESTL DX, DX")
	g.p("\tJEQ gvbeta0")
	g.p("\t// C = alpha·acc + beta·C, as the tile epilogue computes it.")
	for i := 0; i < rows; i++ {
		for q := 0; q < gemvPanels; q++ {
			for w := 0; w < g.vecs; w++ {
				off := (q*g.vecs + w) * vb
				g.p("\tVMULPS %d(DI), %s, %s", off, beta, tmp)
				g.p("\tVFMADD231PS %s, %s, %s", alpha, acc(i, q, w), tmp)
				g.p("\tVMOVUPS %s, %d(DI)", tmp, off)
			}
		}
		g.nextRow(i, rows)
	}
	g.ret()
	g.p("gvbeta0:")
	for i := 0; i < rows; i++ {
		for q := 0; q < gemvPanels; q++ {
			for w := 0; w < g.vecs; w++ {
				a := acc(i, q, w)
				g.p("\tVMULPS %s, %s, %s", alpha, a, a)
				g.p("\tVMOVUPS %s, %d(DI)", a, (q*g.vecs+w)*vb)
			}
		}
		g.nextRow(i, rows)
	}
	g.ret()
}

// family prints a kernel for every tile height and both panel widths with emit,
// declares them with params, and writes the table <isa><name>[h][rows] of them,
// documented as computing a rows-high tile <what>.
func (g *gen) family(decl *strings.Builder, name, what, params string, symbol func(isa, int, int) string, emit func(rows, vecs int)) {
	var byHalf []string
	for _, vecs := range []int{g.vecs, g.vecs / 2} {
		row := []string{"nil"}
		for rows := 1; rows <= g.mr; rows++ {
			emit(rows, vecs)
			sym := symbol(g.isa, rows, vecs)
			fmt.Fprintf(decl, "\n//go:noescape\nfunc %s(%s)\n", sym, params)
			row = append(row, sym)
		}
		byHalf = append(byHalf, "{"+strings.Join(row, ", ")+"}")
	}
	fmt.Fprintf(decl, "\n// %s%s[h][rows] computes a rows-high tile %s, of a full (h = 0) or half-width (h = 1) panel.\n", g.name, name, what)
	fmt.Fprintf(decl, "var %s%s = [2][%d]func(%s){\n%s,\n}\n", g.name, name, g.mr+1, params, strings.Join(byHalf, ",\n"))
}

func main() {
	log.SetFlags(0)
	var decl strings.Builder
	decl.WriteString("// Code generated by gemm_gen.go. DO NOT EDIT.\n\npackage rt\n")
	for _, is := range isas {
		g := &gen{isa: is}
		g.p("// Code generated by gemm_gen.go. DO NOT EDIT.")
		g.p("")
		g.p("#include \"textflag.h\"")
		if is.reg == "Y" {
			g.p("")
			g.p("// avx2Mask: 8 lanes with the sign bit set, then 8 clear (see the partial-tile epilogue).")
			for i := 0; i < 16; i++ {
				v := "0xffffffff"
				if i >= 8 {
					v = "0x00000000"
				}
				g.p("DATA ·avx2Mask+%d(SB)/4, $%s", i*4, v)
			}
			g.p("GLOBL ·avx2Mask(SB), RODATA|NOPTR, $64")
		}
		var byTrans []string
		for _, transA := range []bool{false, true} {
			var byHalf []string
			for _, vecs := range []int{is.vecs, is.vecs / 2} {
				row := []string{"nil"}
				for rows := 1; rows <= is.mr; rows++ {
					g.kernel(transA, rows, vecs)
					sym := symbol(is, transA, rows, vecs)
					fmt.Fprintf(&decl, "\n//go:noescape\nfunc %s(%s)\n", sym, kernelParams)
					row = append(row, sym)
				}
				byHalf = append(byHalf, "{"+strings.Join(row, ", ")+"}")
			}
			byTrans = append(byTrans, "{\n"+strings.Join(byHalf, ",\n")+",\n}")
		}
		if is.reg == "Z" {
			g.family(&decl, "Indirect", "with A transposed and B's row p\n// at b + off[p] (in floats)", indirectParams, indirectSymbol,
				func(rows, vecs int) { g.kernelB(true, true, rows, vecs) })
			g.cInd = true
			g.family(&decl, "Scatter", "with A transposed and C's row i\n// at c + coff[i] (in floats)", scatterParams, scatterSymbol,
				func(rows, vecs int) { g.kernelB(true, false, rows, vecs) })
			g.cInd = false
		}
		gv := []string{"nil"}
		for rows := 1; rows <= is.gemvRows; rows++ {
			g.gemv(rows)
			sym := gemvSymbol(is, rows)
			fmt.Fprintf(&decl, "\n//go:noescape\nfunc %s(%s)\n", sym, gemvParams)
			gv = append(gv, sym)
		}
		fmt.Fprintf(&decl, "\n// %sGemv[rows] computes rows of A against %d packed B panels (gemv in gemm_gen.go).\n", is.name, gemvPanels)
		fmt.Fprintf(&decl, "var %sGemv = [%d]func(%s){%s}\n", is.name, is.gemvRows+1, gemvParams, strings.Join(gv, ", "))
		fmt.Fprintf(&decl, "\n// %sKernels[t][h][rows] computes a rows-high tile with A as stored (t = 0) or\n// transposed (t = 1), of a full (h = 0) or half-width (h = 1) B panel.\n", is.name)
		fmt.Fprintf(&decl, "var %sKernels = [2][2][%d]func(%s){\n%s,\n}\n",
			is.name, is.mr+1, kernelParams, strings.Join(byTrans, ",\n"))
		if err := os.WriteFile("gemm_"+is.name+"_amd64.s", g.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	src, err := format.Source([]byte(decl.String()))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("gemm_asm_amd64.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
}
