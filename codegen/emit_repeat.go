package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for Repeat (Keras' RepeatVector) and its adjoint, written inline: for
// each outer index (the axes before the new one, batch included), a block of x is
// copied to R consecutive blocks of y, and backward the R blocks of dy are summed
// into one. Blocks are fixed-size arrays, so the copies are array assignments and
// the sum's loop has constant bounds.

func init() {
	register(ir.OpRepeat, emitRepeat)
	register(ir.OpRepeatGrad, emitRepeatGrad)
}

// blockAt is (*[size]float32)(s[at·size:]): block at of s's size-element blocks.
func blockAt(s *jen.Statement, at jen.Code, size int) *jen.Statement {
	return arrayOf(size, jen.Float32(), jen.Add(s).Index(jen.Add(at).Op("*").Lit(size), jen.Empty()))
}

// emitRepeat: y[o, r, :] = x[o, :] for r in [0, R).
func emitRepeat(k *Kernel) error {
	a := k.Node.Attrs
	x, y := k.In(0), k.Out()
	outer, inner, reps := x.Prod(0, a.Axis), x.ConstProd(a.Axis, len(x.Shape)), a.Repeats
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	k.Emit(jen.Comment(fmt.Sprintf("Repeat: each block of %d values copied to %d consecutive blocks (a new axis %d)", inner, reps, a.Axis)))
	k.Emit(loop("o", outer,
		jen.Id("xo").Op(":=").Add(row(xs, jen.Id("o"), inner)),
		jen.Id("yo").Op(":=").Add(span(ys, "o", reps*inner, 0, reps*inner)),
		loop("r", jen.Lit(reps), jen.Op("*").Add(blockAt(jen.Id("yo"), jen.Id("r"), inner)).Op("=").Op("*").Id("xo"))))
	return nil
}

// emitRepeatGrad: dx[o, :] = Σ_r dy[o, r, :], from r = 0 up, as the interpreter sums.
func emitRepeatGrad(k *Kernel) error {
	ax := k.Node.Attrs.Axis
	dy, dx := k.In(0), k.Out()
	outer, reps, inner := axisDims(dy, ax)
	ds := k.Bind("dy", dy)
	xs := k.Bind("dx", dx)
	k.Emit(jen.Comment(fmt.Sprintf("RepeatGrad: the %d blocks of %d values along axis %d summed into one (the adjoint of Repeat)", reps, inner, ax)))
	k.Emit(loop("o", outer,
		jen.Id("dxo").Op(":=").Add(row(xs, jen.Id("o"), inner)),
		jen.Id("dyo").Op(":=").Add(span(ds, "o", reps*inner, 0, reps*inner)),
		jen.Op("*").Id("dxo").Op("=").Op("*").Add(arrayOf(inner, jen.Float32(), jen.Id("dyo"))),
		jen.For(jen.Id("r").Op(":=").Lit(1), jen.Id("r").Op("<").Lit(reps), jen.Id("r").Op("++")).Block(
			jen.Id("dyr").Op(":=").Add(blockAt(jen.Id("dyo"), jen.Id("r"), inner)),
			jen.For(jen.Id("i").Op(":=").Range().Id("dxo")).Block(
				jen.Id("dxo").Index(jen.Id("i")).Op("+=").Id("dyr").Index(jen.Id("i"))))))
	return nil
}
