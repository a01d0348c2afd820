package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for ops that move values without changing them.

func init() {
	// Reshape and Identity are views (passes.ViewInput): their value is their input's
	// storage, so they emit nothing.
	view := func(k *Kernel) error { return nil }
	register(ir.OpReshape, view)
	register(ir.OpIdentity, view)
	register(ir.OpConcat, emitConcat)
	register(ir.OpSlice, emitSlice)
	register(ir.OpSliceGrad, emitSliceGrad)
}

// axisDims splits v at axis into outer (product of the axes before it, batch
// included), the axis size and inner (product of the axes after it).
func axisDims(v Value, axis int) (outer *jen.Statement, size, inner int) {
	return v.Prod(0, axis), v.Shape[axis], v.ConstProd(axis+1, len(v.Shape))
}

// span is s[lo : lo+size] with lo = o·stride + start.
func span(s jen.Code, o string, stride, start, size int) *jen.Statement {
	lo := jen.Id(o).Op("*").Lit(stride)
	if start != 0 {
		lo = lo.Op("+").Lit(start)
	}
	return jen.Add(s).Index(lo, jen.Add(lo.Clone()).Op("+").Lit(size))
}

// emitConcat copies, for each outer index, one block of every input in turn.
func emitConcat(k *Kernel) error {
	ax := k.Node.Attrs.Axis
	y := k.Out()
	outer, size, inner := axisDims(y, ax)
	ys := k.Bind("y", y)
	var body []jen.Code
	at := 0
	for i := range k.Node.Inputs {
		x := k.In(i)
		block := x.Shape[ax] * inner
		xs := k.Bind("x"+itoa(i), x)
		body = append(body, jen.Copy(span(ys, "o", size*inner, at, block), span(xs, "o", block, 0, block)))
		at += block
	}
	k.Emit(loop("o", outer, body...))
	return nil
}

// emitSlice copies x[..., start:end, ...] along the axis.
func emitSlice(k *Kernel) error {
	a := k.Node.Attrs
	x, y := k.In(0), k.Out()
	outer, size, inner := axisDims(x, a.Axis)
	block := (a.End - a.Start) * inner
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	k.Emit(loop("o", outer, jen.Copy(span(ys, "o", block, 0, block), span(xs, "o", size*inner, a.Start*inner, block))))
	return nil
}

// emitSliceGrad writes dy into zeros at [start, start+len) along the axis.
func emitSliceGrad(k *Kernel) error {
	a := k.Node.Attrs
	dy, y := k.In(0), k.Out()
	outer, size, inner := axisDims(y, a.Axis)
	block := dy.Shape[a.Axis] * inner
	ds := k.Bind("dy", dy)
	ys := k.Bind("y", y)
	k.Emit(jen.Clear(ys), loop("o", outer, jen.Copy(span(ys, "o", size*inner, a.Start*inner, block), span(ds, "o", block, 0, block))))
	return nil
}
