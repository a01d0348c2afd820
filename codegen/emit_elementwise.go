package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for element-wise ops: binary arithmetic on equal shapes, ops with a scalar
// constant, unary functions and activations with their gradient-only ops. Each is one
// flat loop over all n·elements values; float32 arithmetic stays in float32, and
// transcendental functions go through math's float64 versions (correctly rounded to
// float32 far below the 1e-4 tolerance the tests hold generated code to), except
// sigmoid and tanh, the activations of recurrent layers, which are rt's float32
// versions (rt/act.go: within 2e-7 of math's, and eight at a time in AVX2 on a
// whole tensor), and the smooth activations (rt/act_smooth.go, below).
//
// The formula of each op's element is written once, in elementwise, and used both by
// the op's own loop and by fused loops that compute a chain of such ops (fuse.go);
// the ops of vectorized and wholeTensor have their own loop in rt instead.

// elemRule is the element formula of an element-wise op: given its operands'
// elements (side-effect-free expressions, evaluated any number of times), either an
// expression for the result or, for ops that branch, a statement assigning it.
type elemRule struct {
	arity  int
	value  func(a ir.Attrs, in []*jen.Statement) *jen.Statement
	assign func(a ir.Attrs, in []*jen.Statement, out *jen.Statement) jen.Code
}

// elementwise holds the rules of the ops whose element i depends on element i of
// each operand alone (all of one shape).
var elementwise = map[string]elemRule{}

func init() {
	value := func(op string, arity int, f func(a ir.Attrs, in []*jen.Statement) *jen.Statement) {
		elementwise[op] = elemRule{arity: arity, value: f}
	}
	assign := func(op string, arity int, f func(a ir.Attrs, in []*jen.Statement, out *jen.Statement) jen.Code) {
		elementwise[op] = elemRule{arity: arity, assign: f}
	}
	binaryOp := func(op string) func(ir.Attrs, []*jen.Statement) *jen.Statement {
		return func(_ ir.Attrs, in []*jen.Statement) *jen.Statement { return jen.Add(in[0]).Op(op).Add(in[1]) }
	}
	unaryFn := func(f func(v *jen.Statement) *jen.Statement) func(ir.Attrs, []*jen.Statement) *jen.Statement {
		return func(_ ir.Attrs, in []*jen.Statement) *jen.Statement { return f(in[0]) }
	}
	value(ir.OpAdd, 2, binaryOp("+"))
	value(ir.OpSub, 2, binaryOp("-"))
	value(ir.OpMul, 2, binaryOp("*"))
	value(ir.OpDiv, 2, binaryOp("/"))
	value(ir.OpScale, 1, func(a ir.Attrs, in []*jen.Statement) *jen.Statement { return jen.Lit(a.Alpha).Op("*").Add(in[0]) })
	value(ir.OpAddScalar, 1, func(a ir.Attrs, in []*jen.Statement) *jen.Statement { return jen.Add(in[0]).Op("+").Lit(a.Alpha) })
	value(ir.OpExp, 1, unaryFn(func(v *jen.Statement) *jen.Statement { return f32(mathFn("Exp", f64(v))) }))
	value(ir.OpLog, 1, unaryFn(func(v *jen.Statement) *jen.Statement { return f32(mathFn("Log", f64(v))) }))
	value(ir.OpSquare, 1, unaryFn(func(v *jen.Statement) *jen.Statement { return jen.Add(v).Op("*").Add(v) }))
	value(ir.OpRsqrt, 1, unaryFn(func(v *jen.Statement) *jen.Statement {
		return f32(jen.Lit(1).Op("/").Add(mathFn("Sqrt", f64(v))))
	}))
	value(ir.OpSigmoid, 1, unaryFn(func(v *jen.Statement) *jen.Statement { return jen.Qual(rtPath, "Sigmoid32").Call(v) }))
	value(ir.OpTanh, 1, unaryFn(func(v *jen.Statement) *jen.Statement { return jen.Qual(rtPath, "Tanh32").Call(v) }))
	value(ir.OpRelu, 1, unaryFn(func(v *jen.Statement) *jen.Statement { return jen.Max(v, jen.Lit(0)) }))
	assign(ir.OpLeakyRelu, 1, func(a ir.Attrs, in []*jen.Statement, y *jen.Statement) jen.Code {
		v := in[0]
		return jen.If(jen.Add(v).Op(">").Lit(0)).Block(jen.Add(y).Op("=").Add(v)).
			Else().Block(jen.Add(y).Op("=").Lit(a.Alpha).Op("*").Add(v))
	})
	value(ir.OpReluMax, 1, func(a ir.Attrs, in []*jen.Statement) *jen.Statement {
		return jen.Min(jen.Max(in[0], jen.Lit(0)), jen.Lit(float32(a.Alpha)))
	})

	value(ir.OpSigmoidGrad, 2, func(_ ir.Attrs, in []*jen.Statement) *jen.Statement {
		y, dy := in[0], in[1]
		return jen.Add(dy).Op("*").Add(y).Op("*").Parens(jen.Lit(1).Op("-").Add(y))
	})
	value(ir.OpTanhGrad, 2, func(_ ir.Attrs, in []*jen.Statement) *jen.Statement {
		y, dy := in[0], in[1]
		return jen.Add(dy).Op("*").Parens(jen.Lit(1).Op("-").Add(y).Op("*").Add(y))
	})
	// Branch-free (rt.ReluGrad32 masks dy's bits): a branch on x > 0 mispredicts
	// half the time after a ReLU, and was the costliest kernel of conv training.
	value(ir.OpReluGrad, 2, func(_ ir.Attrs, in []*jen.Statement) *jen.Statement {
		return jen.Qual(rtPath, "ReluGrad32").Call(in[0], in[1])
	})
	assign(ir.OpLeakyReluGrad, 2, func(a ir.Attrs, in []*jen.Statement, out *jen.Statement) jen.Code {
		x, dy := in[0], in[1]
		return jen.If(jen.Add(x).Op(">").Lit(0)).Block(jen.Add(out).Op("=").Add(dy)).
			Else().Block(jen.Add(out).Op("=").Lit(a.Alpha).Op("*").Add(dy))
	})
	assign(ir.OpReluMaxGrad, 2, func(a ir.Attrs, in []*jen.Statement, out *jen.Statement) jen.Code {
		x, dy := in[0], in[1]
		return jen.If(jen.Add(x).Op(">").Lit(0).Op("&&").Add(x).Op("<").Lit(float32(a.Alpha))).Block(jen.Add(out).Op("=").Add(dy)).
			Else().Block(jen.Add(out).Op("=").Lit(0))
	})

	for op, r := range elementwise {
		register(op, func(k *Kernel) error { return emitElementwise(k, r) })
	}
}

// vectorized names the rt functions that compute an element-wise op on a whole
// tensor, with the bits of its element formula.
var vectorized = map[string]string{ir.OpSigmoid: "Sigmoid", ir.OpTanh: "Tanh"}

// wholeTensor holds the element-wise ops that rt also computes on whole tensors,
// eight or sixteen values at a time, with the bits of their element formula, and
// which may still join fused loops (element by element; unless ownLoop keeps them
// out), unlike vectorized's: the kernel of one such op alone calls
// rt.F(y, operands..., attributes...), with F and the attributes given by the op's
// attributes.
var wholeTensor = map[string]func(a ir.Attrs) (fn string, attrs []jen.Code){
	ir.OpReluGrad: func(ir.Attrs) (string, []jen.Code) { return "ReluGrad", nil },
}

// ownLoop holds the ops of wholeTensor that stay out of fused loops (fusable): the
// smooth activations and their gradients, whose scalar functions cost 7 to 25 ns a
// value against about 1 ns in rt's vector kernels. ReluGrad, one compare and select,
// still joins them.
var ownLoop = map[string]bool{}

// emitElementwise is the loop of one element-wise node.
func emitElementwise(k *Kernel, r elemRule) error {
	if fn, ok := vectorized[k.Node.Op]; ok {
		x := k.Bind("x", k.In(0))
		y := k.Bind("y", k.Out())
		k.Emit(jen.Qual(rtPath, fn).Call(y, x))
		return nil
	}
	if whole, ok := wholeTensor[k.Node.Op]; ok {
		fn, attrs := whole(k.Node.Attrs)
		var in []jen.Code
		if r.arity == 1 {
			in = []jen.Code{k.Bind("x", k.In(0))}
		} else {
			in = []jen.Code{k.Bind("a", k.In(0)), k.Bind("b", k.In(1))}
		}
		args := append([]jen.Code{k.Bind("y", k.Out())}, in...)
		k.Emit(jen.Qual(rtPath, fn).Call(append(args, attrs...)...))
		return nil
	}
	a := k.Node.Attrs
	set := func(in []*jen.Statement, y *jen.Statement) jen.Code {
		if r.value != nil {
			return jen.Add(y).Op("=").Add(r.value(a, in))
		}
		return r.assign(a, in, y)
	}
	if r.arity == 1 {
		return unaryStmt(k, func(v, y *jen.Statement) jen.Code { return set([]*jen.Statement{v}, y) })
	}
	return binaryStmt(k, func(x, v, y *jen.Statement) jen.Code { return set([]*jen.Statement{x, v}, y) })
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

// The smooth activations and their gradient ops: calls of rt's float32 versions
// (rt/act_smooth.go, each within a few 1e-7 of the float64 function) in fused
// loops, where they join what surrounds them (a layer's BiasAdd in inference); a
// kernel of one of them alone calls its whole-tensor version (rt/act_smooth_vec.go:
// the same bits, 16 or 8 at a time with AVX-512 or AVX2).
func init() {
	call := func(fn string, args ...jen.Code) *jen.Statement { return jen.Qual(rtPath, fn).Call(args...) }
	gelu := func(a ir.Attrs, exact, tanh string) string {
		if a.Sub == ir.GeluTanh {
			return tanh
		}
		return exact
	}
	for op, r := range map[string]elemRule{
		ir.OpElu: {arity: 1, value: func(a ir.Attrs, in []*jen.Statement) *jen.Statement {
			return call("Elu32", in[0], jen.Lit(a.Alpha))
		}},
		ir.OpEluGrad: {arity: 2, value: func(a ir.Attrs, in []*jen.Statement) *jen.Statement {
			return call("EluGrad32", in[0], in[1], jen.Lit(a.Alpha))
		}},
		ir.OpSelu:         {arity: 1, value: func(_ ir.Attrs, in []*jen.Statement) *jen.Statement { return call("Selu32", in[0]) }},
		ir.OpSeluGrad:     {arity: 2, value: func(_ ir.Attrs, in []*jen.Statement) *jen.Statement { return call("SeluGrad32", in[0], in[1]) }},
		ir.OpSoftplus:     {arity: 1, value: func(_ ir.Attrs, in []*jen.Statement) *jen.Statement { return call("Softplus32", in[0]) }},
		ir.OpSoftplusGrad: {arity: 2, value: func(_ ir.Attrs, in []*jen.Statement) *jen.Statement { return call("SoftplusGrad32", in[0], in[1]) }},
		ir.OpGelu: {arity: 1, value: func(a ir.Attrs, in []*jen.Statement) *jen.Statement {
			return call(gelu(a, "Gelu32", "GeluTanh32"), in[0])
		}},
		ir.OpGeluGrad: {arity: 2, value: func(a ir.Attrs, in []*jen.Statement) *jen.Statement {
			return call(gelu(a, "GeluGrad32", "GeluTanhGrad32"), in[0], in[1])
		}},
		ir.OpSilu:     {arity: 1, value: func(_ ir.Attrs, in []*jen.Statement) *jen.Statement { return call("Silu32", in[0]) }},
		ir.OpSiluGrad: {arity: 2, value: func(_ ir.Attrs, in []*jen.Statement) *jen.Statement { return call("SiluGrad32", in[0], in[1]) }},
	} {
		elementwise[op] = r
		register(op, func(k *Kernel) error { return emitElementwise(k, r) })
	}
	alpha := func(a ir.Attrs) []jen.Code { return []jen.Code{jen.Lit(a.Alpha)} }
	for op, whole := range map[string]func(a ir.Attrs) (string, []jen.Code){
		ir.OpElu:          func(a ir.Attrs) (string, []jen.Code) { return "Elu", alpha(a) },
		ir.OpEluGrad:      func(a ir.Attrs) (string, []jen.Code) { return "EluGrad", alpha(a) },
		ir.OpSelu:         func(ir.Attrs) (string, []jen.Code) { return "Selu", nil },
		ir.OpSeluGrad:     func(ir.Attrs) (string, []jen.Code) { return "SeluGrad", nil },
		ir.OpSoftplus:     func(ir.Attrs) (string, []jen.Code) { return "Softplus", nil },
		ir.OpSoftplusGrad: func(ir.Attrs) (string, []jen.Code) { return "SoftplusGrad", nil },
		ir.OpGelu:         func(a ir.Attrs) (string, []jen.Code) { return gelu(a, "Gelu", "GeluTanh"), nil },
		ir.OpGeluGrad:     func(a ir.Attrs) (string, []jen.Code) { return gelu(a, "GeluGrad", "GeluTanhGrad"), nil },
		ir.OpSilu:         func(ir.Attrs) (string, []jen.Code) { return "Silu", nil },
		ir.OpSiluGrad:     func(ir.Attrs) (string, []jen.Code) { return "SiluGrad", nil },
	} {
		wholeTensor[op] = whole
		ownLoop[op] = true
	}
}
