package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for element-wise ops: binary arithmetic on equal shapes, ops with a scalar
// constant, unary functions and activations with their gradient-only ops. Each is one
// flat loop over all n·elements values; float32 arithmetic stays in float32, and
// transcendental functions go through math's float64 versions (correctly rounded to
// float32 far below the 1e-4 tolerance the tests hold generated code to).

func init() {
	binaryOp := func(op string) Emitter {
		return binary(func(a, b *jen.Statement) jen.Code { return jen.Add(a).Op(op).Add(b) })
	}
	register(ir.OpAdd, binaryOp("+"))
	register(ir.OpSub, binaryOp("-"))
	register(ir.OpMul, binaryOp("*"))
	register(ir.OpDiv, binaryOp("/"))
	register(ir.OpScale, func(k *Kernel) error {
		return unary(k, func(v *jen.Statement) jen.Code { return jen.Lit(k.Node.Attrs.Alpha).Op("*").Add(v) })
	})
	register(ir.OpAddScalar, func(k *Kernel) error {
		return unary(k, func(v *jen.Statement) jen.Code { return jen.Add(v).Op("+").Lit(k.Node.Attrs.Alpha) })
	})
	register(ir.OpExp, unaryFn(func(v *jen.Statement) jen.Code { return f32(mathFn("Exp", f64(v))) }))
	register(ir.OpLog, unaryFn(func(v *jen.Statement) jen.Code { return f32(mathFn("Log", f64(v))) }))
	register(ir.OpSquare, unaryFn(func(v *jen.Statement) jen.Code { return jen.Add(v).Op("*").Add(v) }))
	register(ir.OpRsqrt, unaryFn(func(v *jen.Statement) jen.Code {
		return f32(jen.Lit(1).Op("/").Add(mathFn("Sqrt", f64(v))))
	}))
	// 1/(1+e^-x) in float64 cannot overflow into a wrong result: for x < -709 the
	// exponential is +Inf and the quotient the correct 0.
	register(ir.OpSigmoid, unaryFn(func(v *jen.Statement) jen.Code {
		return f32(jen.Lit(1).Op("/").Parens(jen.Lit(1).Op("+").Add(mathFn("Exp", jen.Op("-").Add(f64(v))))))
	}))
	register(ir.OpTanh, unaryFn(func(v *jen.Statement) jen.Code { return f32(mathFn("Tanh", f64(v))) }))
	register(ir.OpRelu, unaryFn(func(v *jen.Statement) jen.Code { return jen.Max(v, jen.Lit(0)) }))
	register(ir.OpLeakyRelu, func(k *Kernel) error {
		return unaryStmt(k, func(v *jen.Statement, y *jen.Statement) jen.Code {
			return jen.If(jen.Add(v).Op(">").Lit(0)).Block(jen.Add(y).Op("=").Add(v)).
				Else().Block(jen.Add(y).Op("=").Lit(k.Node.Attrs.Alpha).Op("*").Add(v))
		})
	})

	register(ir.OpSigmoidGrad, binary(func(y, dy *jen.Statement) jen.Code {
		return jen.Add(dy).Op("*").Add(y).Op("*").Parens(jen.Lit(1).Op("-").Add(y))
	}))
	register(ir.OpTanhGrad, binary(func(y, dy *jen.Statement) jen.Code {
		return jen.Add(dy).Op("*").Parens(jen.Lit(1).Op("-").Add(y).Op("*").Add(y))
	}))
	register(ir.OpReluGrad, func(k *Kernel) error {
		return binaryStmt(k, func(x, dy, out *jen.Statement) jen.Code {
			return jen.If(jen.Add(x).Op(">").Lit(0)).Block(jen.Add(out).Op("=").Add(dy)).
				Else().Block(jen.Add(out).Op("=").Lit(0))
		})
	})
	register(ir.OpLeakyReluGrad, func(k *Kernel) error {
		return binaryStmt(k, func(x, dy, out *jen.Statement) jen.Code {
			return jen.If(jen.Add(x).Op(">").Lit(0)).Block(jen.Add(out).Op("=").Add(dy)).
				Else().Block(jen.Add(out).Op("=").Lit(k.Node.Attrs.Alpha).Op("*").Add(dy))
		})
	})
}

// binary emits y[i] = f(a[i], b[i]).
func binary(f func(a, b *jen.Statement) jen.Code) Emitter {
	return func(k *Kernel) error {
		return binaryStmt(k, func(a, b, y *jen.Statement) jen.Code { return jen.Add(y).Op("=").Add(f(a, b)) })
	}
}

// binaryStmt emits a loop over the elements whose body f assigns y[i] from a[i] and
// b[i]. Reslicing a and y to len(b) lets the compiler drop the bounds checks.
func binaryStmt(k *Kernel, f func(a, b, y *jen.Statement) jen.Code) error {
	a := k.Bind("a", k.In(0))
	b := k.Bind("b", k.In(1))
	y := k.Bind("y", k.Out())
	k.Emit(
		jen.Add(a).Op("=").Add(a).Index(jen.Empty(), jen.Len(b)),
		jen.Add(y).Op("=").Add(y).Index(jen.Empty(), jen.Len(b)),
		jen.For(jen.List(jen.Id("i"), jen.Id("bv")).Op(":=").Range().Add(b)).Block(
			f(jen.Add(a).Index(jen.Id("i")), jen.Id("bv"), jen.Add(y).Index(jen.Id("i"))),
		),
	)
	return nil
}

// unaryFn is the emitter of y[i] = f(x[i]).
func unaryFn(f func(v *jen.Statement) jen.Code) Emitter {
	return func(k *Kernel) error { return unary(k, f) }
}

func unary(k *Kernel, f func(v *jen.Statement) jen.Code) error {
	return unaryStmt(k, func(v, y *jen.Statement) jen.Code { return jen.Add(y).Op("=").Add(f(v)) })
}

// unaryStmt emits a loop over the elements whose body f assigns y[i] from v = x[i].
func unaryStmt(k *Kernel, f func(v, y *jen.Statement) jen.Code) error {
	x := k.Bind("x", k.In(0))
	y := k.Bind("y", k.Out())
	k.Emit(
		jen.Add(y).Op("=").Add(y).Index(jen.Empty(), jen.Len(x)),
		jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Add(x)).Block(
			f(jen.Id("v"), jen.Add(y).Index(jen.Id("i"))),
		),
	)
	return nil
}
