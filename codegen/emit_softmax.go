package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for softmax over the last axis and its gradient, row by row.

func init() {
	register(ir.OpSoftmax, emitSoftmax)
	register(ir.OpSoftmaxGrad, emitSoftmaxGrad)
}

// lastAxis returns the number of rows (an expression) and the row length of a
// value whose last axis holds distributions.
func lastAxis(k *Kernel, v Value) (*jen.Statement, int, error) {
	if len(v.Shape) == 0 || (len(v.Shape) == 1 && v.Batched()) {
		return nil, 0, k.Errorf("%s has no class axis after the batch", v.Shape)
	}
	return v.Prod(0, len(v.Shape)-1), v.Shape[len(v.Shape)-1], nil
}

// softmaxRow emits the statements that write softmax(zr) into yr (both *[cols]float32):
// exp(z - max)/Σ exp(z - max), the maximum subtracted so no exponent is positive.
func softmaxRow(zr, yr *jen.Statement) []jen.Code {
	return []jen.Code{
		jen.Id("mx").Op(":=").Add(zr).Index(jen.Lit(0)),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Add(zr)).Block(jen.Id("mx").Op("=").Max(jen.Id("mx"), jen.Id("v"))),
		jen.Var().Id("sum").Float64(),
		jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Add(zr)).Block(
			jen.Id("e").Op(":=").Add(mathFn("Exp", f64(jen.Id("v")).Op("-").Add(f64(jen.Id("mx"))))),
			jen.Add(yr).Index(jen.Id("j")).Op("=").Add(f32(jen.Id("e"))),
			jen.Id("sum").Op("+=").Id("e"),
		),
		jen.Id("inv").Op(":=").Lit(1).Op("/").Id("sum"),
		jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Add(yr)).Block(
			jen.Add(yr).Index(jen.Id("j")).Op("=").Add(f32(f64(jen.Id("v")).Op("*").Id("inv")))),
	}
}

func emitSoftmax(k *Kernel) error {
	x, y := k.In(0), k.Out()
	rows, cols, err := lastAxis(k, x)
	if err != nil {
		return err
	}
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	body := []jen.Code{
		jen.Id("xr").Op(":=").Add(row(xs, jen.Id("r"), cols)),
		jen.Id("yr").Op(":=").Add(row(ys, jen.Id("r"), cols)),
	}
	body = append(body, softmaxRow(jen.Id("xr"), jen.Id("yr"))...)
	k.Emit(loop("r", rows, body...))
	return nil
}

// emitSoftmaxGrad emits dx = y·(dy - Σ dy·y) per row.
func emitSoftmaxGrad(k *Kernel) error {
	y, dy, dx := k.In(0), k.In(1), k.Out()
	rows, cols, err := lastAxis(k, y)
	if err != nil {
		return err
	}
	ys := k.Bind("y", y)
	ds := k.Bind("dy", dy)
	xs := k.Bind("dx", dx)
	k.Emit(loop("r", rows,
		jen.Id("yr").Op(":=").Add(row(ys, jen.Id("r"), cols)),
		jen.Id("dr").Op(":=").Add(row(ds, jen.Id("r"), cols)),
		jen.Id("xr").Op(":=").Add(row(xs, jen.Id("r"), cols)),
		jen.Var().Id("dot").Float64(),
		jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("yr")).Block(
			jen.Id("dot").Op("+=").Add(f64(jen.Id("v"))).Op("*").Add(f64(jen.Id("dr").Index(jen.Id("j"))))),
		jen.Id("d").Op(":=").Add(f32(jen.Id("dot"))),
		jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("yr")).Block(
			jen.Id("xr").Index(jen.Id("j")).Op("=").Id("v").Op("*").Parens(jen.Id("dr").Index(jen.Id("j")).Op("-").Id("d"))),
	))
	return nil
}
