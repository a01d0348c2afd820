package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Emitters for whole-tensor reductions and their adjoint, and for the source ops
// that generate values (constants and dropout masks).

func init() {
	register(ir.OpReduceSum, func(k *Kernel) error { return reduceAll(k, false) })
	register(ir.OpReduceMean, func(k *Kernel) error { return reduceAll(k, true) })
	register(ir.OpBroadcast, emitBroadcast)
	register(ir.OpFill, emitFill)
	register(ir.OpDropoutMask, emitDropoutMask)
}

// reduceAll emits the scalar sum (or mean) of every element, accumulated in float64.
func reduceAll(k *Kernel, mean bool) error {
	x, y := k.In(0), k.Out()
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	k.Emit(
		jen.Var().Id("s").Float64(),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Add(xs)).Block(jen.Id("s").Op("+=").Add(f64(jen.Id("v")))),
	)
	val := jen.Id("s")
	if mean {
		val = jen.Id("s").Op("/").Add(f64(x.Len()))
	}
	k.Emit(jen.Add(ys).Index(jen.Lit(0)).Op("=").Add(f32(val)))
	return nil
}

// emitBroadcast fills the output with the scalar input (divided by the element count
// with mean): the adjoint of ReduceSum (ReduceMean).
func emitBroadcast(k *Kernel) error {
	x, y := k.In(0), k.Out()
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	val := f64(jen.Add(xs).Index(jen.Lit(0)))
	if k.Node.Attrs.Mean {
		val = val.Op("/").Add(f64(y.Len()))
	}
	k.Emit(jen.Id("v").Op(":=").Add(f32(val)))
	k.Emit(jen.For(jen.Id("i").Op(":=").Range().Add(ys)).Block(jen.Add(ys).Index(jen.Id("i")).Op("=").Id("v")))
	return nil
}

// emitFill writes the constant alpha everywhere.
func emitFill(k *Kernel) error {
	y := k.Out()
	alpha := k.Node.Attrs.Alpha
	if y.Elems() == 1 && !y.Batched() {
		k.Emit(jen.Add(y.Scalar()).Op("=").Lit(alpha))
		return nil
	}
	ys := k.Bind("y", y)
	if alpha == 0 {
		k.Emit(jen.Clear(ys))
		return nil
	}
	k.Emit(jen.For(jen.Id("i").Op(":=").Range().Add(ys)).Block(jen.Add(ys).Index(jen.Id("i")).Op("=").Lit(alpha)))
	return nil
}

// emitDropoutMask draws the inverted-dropout mask from rt's counter-based stream:
// element i survives, scaled by 1/(1-rate), when rt.Keep(seed, step, i) holds,
// exactly the units the interpreter keeps at the same step.
func emitDropoutMask(k *Kernel) error {
	a := k.Node.Attrs
	ys := k.Bind("y", k.Out())
	k.Emit(
		jen.Id("scale").Op(":=").Lit(float32(1/(1-a.Rate))),
		jen.For(jen.Id("i").Op(":=").Range().Add(ys)).Block(
			jen.If(jen.Qual(rtPath, "Keep").Call(jen.Lit(a.Seed), k.Step(), jen.Uint64().Call(jen.Id("i")), jen.Lit(rt.KeepThreshold(a.Rate)))).
				Block(jen.Add(ys).Index(jen.Id("i")).Op("=").Id("scale")).
				Else().Block(jen.Add(ys).Index(jen.Id("i")).Op("=").Lit(0)),
		),
	)
	return nil
}
