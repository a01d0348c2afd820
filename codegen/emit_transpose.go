package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// The emitter for Transpose (Keras' Permute): for each item, y's elements in order,
// each read from x at the offset its index gives through x's strides. Axes that stay
// next to each other in the same order are merged first, so (N, A, B, C) → (N, C,
// A, B) is a transpose of a C×(A·B) matrix per item, and when x's last axis stays
// last each innermost step copies a whole block instead of one value.

func init() {
	register(ir.OpTranspose, emitTranspose)
}

// mergedPerm merges the axes of a permutation that stay adjacent and in order. dims
// are x's sizes, perm the permutation (axis i of y is axis perm[i] of x). It returns
// the sizes of the merged axes of x and the permutation of the merged axes.
func mergedPerm(dims, perm []int) (mdims, mperm []int) {
	// Runs of y's axes that are consecutive axes of x, each a merged axis.
	type run struct{ first, size int } // x's first axis, the run's element count
	var runs []run
	for i := 0; i < len(perm); {
		j, size := i, dims[perm[i]]
		for j+1 < len(perm) && perm[j+1] == perm[j]+1 {
			j++
			size *= dims[perm[j]]
		}
		runs = append(runs, run{perm[i], size})
		i = j + 1
	}
	// Number the runs in x's order.
	order := make([]int, len(runs)) // order[r]: the rank of run r's first axis in x
	for r := range runs {
		for s := range runs {
			if runs[s].first < runs[r].first {
				order[r]++
			}
		}
	}
	mdims = make([]int, len(runs))
	mperm = make([]int, len(runs))
	for r, ru := range runs {
		mdims[order[r]] = ru.size
		mperm[r] = order[r]
	}
	return mdims, mperm
}

// emitTranspose: y = x.permute(perm), item by item when x is batched (the batch
// stays first).
func emitTranspose(k *Kernel) error {
	x, y := k.In(0), k.Out()
	perm := k.Node.Attrs.Perm
	first := 0
	if x.Batched() {
		first = 1
	}
	dims := make([]int, 0, len(perm))
	var p []int
	for a := first; a < len(perm); a++ {
		dims = append(dims, x.Shape[a])
		p = append(p, perm[a]-first)
	}
	mdims, mperm := mergedPerm(dims, p)
	size := x.ConstProd(first, len(x.Shape))
	// xStride[a]: the distance in x between neighbours along merged axis a.
	xStride := make([]int, len(mdims))
	for a, s := len(mdims)-1, 1; a >= 0; a-- {
		xStride[a] = s
		s *= mdims[a]
	}
	ydims := make([]int, len(mperm))
	for i, a := range mperm {
		ydims[i] = mdims[a]
	}
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	k.Emit(jen.Comment(fmt.Sprintf("Transpose by %v: per item, the %v array of x read as its %v permutation %v", perm, mdims, ydims, mperm)))

	// The loops over y's merged axes; a last axis that is x's last too is one block
	// per step of the loop above it.
	last, block := len(mperm)-1, 1
	if last >= 0 && mperm[last] == len(mdims)-1 {
		block = ydims[last]
		last--
	}
	// xPre[i] and yPre[i] name the offsets of the prefix up to axis i: a variable the
	// loop over axis i declares, or the loop variable itself when that is the offset.
	xPre, yPre := make([]*jen.Statement, len(mperm)), make([]*jen.Statement, len(mperm))
	xAt := func(i int) *jen.Statement {
		off := jen.Id(fmt.Sprintf("i%d", i))
		if st := xStride[mperm[i]]; st != 1 {
			off = off.Op("*").Lit(st)
		}
		if i == 0 {
			return off
		}
		return jen.Add(xPre[i-1]).Op("+").Add(off)
	}
	yAt := func(i int) *jen.Statement {
		if i == 0 {
			return jen.Id("i0")
		}
		return jen.Add(yPre[i-1]).Op("*").Lit(ydims[i]).Op("+").Id(fmt.Sprintf("i%d", i))
	}
	var nest func(i int) jen.Code
	nest = func(i int) jen.Code {
		var inner []jen.Code
		switch {
		case i < last:
			xPre[i], yPre[i] = jen.Id(fmt.Sprintf("x%d", i)), jen.Id(fmt.Sprintf("y%d", i))
			if i == 0 {
				yPre[0] = jen.Id("i0")
			} else {
				inner = append(inner, jen.Add(yPre[i]).Op(":=").Add(yAt(i)))
			}
			if i == 0 && xStride[mperm[0]] == 1 {
				xPre[0] = jen.Id("i0")
			} else {
				inner = append(inner, jen.Add(xPre[i]).Op(":=").Add(xAt(i)))
			}
			inner = append(inner, nest(i+1))
		case block == 1: // one value per step
			inner = []jen.Code{jen.Id("yo").Index(yAt(i)).Op("=").Id("xo").Index(xAt(i))}
		default: // one block of x's last axis per step
			yb := yAt(i)
			if i > 0 {
				yb = jen.Parens(yb)
			}
			inner = []jen.Code{jen.Op("*").Add(arrayOf(block, jen.Float32(), jen.Id("yo").Index(yb.Op("*").Lit(block), jen.Empty()))).Op("=").
				Op("*").Add(arrayOf(block, jen.Float32(), jen.Id("xo").Index(xAt(i), jen.Empty())))}
		}
		return loop(fmt.Sprintf("i%d", i), jen.Lit(ydims[i]), inner...)
	}
	perItem := []jen.Code{
		jen.Id("xo").Op(":=").Add(row(xs, jen.Id("o"), size)),
		jen.Id("yo").Op(":=").Add(row(ys, jen.Id("o"), size)),
	}
	if last < 0 { // x and y are the same array: one copy per item
		perItem = append(perItem, jen.Op("*").Id("yo").Op("=").Op("*").Id("xo"))
	} else {
		perItem = append(perItem, nest(0))
	}
	outer := jen.Code(jen.Lit(1))
	if x.Batched() {
		outer = jen.Id("n")
	}
	k.Emit(loop("o", outer, perItem...))
	return nil
}
