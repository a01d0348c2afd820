package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for log-softmax over the last axis and its gradient, row by row, in
// float64 within a row as the softmax emitters are.

func init() {
	register(ir.OpLogSoftmax, emitLogSoftmax)
	register(ir.OpLogSoftmaxGrad, emitLogSoftmaxGrad)
}

// emitLogSoftmax emits y = (x - max) - ln Σ exp(x - max) per row: every exponent is
// ≤ 0 and one is 0, so the sum is at least 1 and its log finite.
func emitLogSoftmax(k *Kernel) error {
	x, y := k.In(0), k.Out()
	rows, cols, err := lastAxis(k, x)
	if err != nil {
		return err
	}
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	k.Emit(loop("r", rows,
		jen.Id("xr").Op(":=").Add(row(xs, jen.Id("r"), cols)),
		jen.Id("yr").Op(":=").Add(row(ys, jen.Id("r"), cols)),
		jen.Id("mx").Op(":=").Add(f64(jen.Id("xr").Index(jen.Lit(0)))),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("xr")).Block(jen.Id("mx").Op("=").Max(jen.Id("mx"), f64(jen.Id("v")))),
		jen.Var().Id("sum").Float64(),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("xr")).Block(
			jen.Id("sum").Op("+=").Add(mathFn("Exp", f64(jen.Id("v")).Op("-").Id("mx")))),
		jen.Id("ls").Op(":=").Add(mathFn("Log", jen.Id("sum"))),
		jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("xr")).Block(
			jen.Id("yr").Index(jen.Id("j")).Op("=").Add(f32(jen.Parens(f64(jen.Id("v")).Op("-").Id("mx")).Op("-").Id("ls")))),
	))
	return nil
}

// emitLogSoftmaxGrad emits dx = dy - exp(y)·Σ dy per row.
func emitLogSoftmaxGrad(k *Kernel) error {
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
		jen.Var().Id("sum").Float64(),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("dr")).Block(jen.Id("sum").Op("+=").Add(f64(jen.Id("v")))),
		jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("yr")).Block(
			jen.Id("xr").Index(jen.Id("j")).Op("=").Add(f32(f64(jen.Id("dr").Index(jen.Id("j"))).Op("-").Add(mathFn("Exp", f64(jen.Id("v")))).Op("*").Id("sum")))),
	))
	return nil
}
