package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for matrix products and per-channel ops (axis 1 is the channel axis:
// (N, C) after a dense layer, (N, C, H, W) after a convolution), and for the bias
// of a dense layer on the last axis of (N, T, F) and its gradient.

func init() {
	register(ir.OpMatMul, emitMatMul)
	register(ir.OpBiasAdd, channelVec("+"))
	register(ir.OpBiasAddLast, vectorOp("+", lastAxisOf))
	register(ir.OpChannelMul, channelVec("*"))
	register(ir.OpChannelSum, func(k *Kernel) error { return vectorReduce(k, 1, false) })
	register(ir.OpChannelMean, func(k *Kernel) error { return vectorReduce(k, 1, true) })
	register(ir.OpBiasAddLastGrad, func(k *Kernel) error { return vectorReduce(k, lastAxisOf(k.In(0)), false) })
	register(ir.OpChannelBroadcast, emitChannelBroadcast)
	register(ir.OpRunningUpdate, emitRunningUpdate)
}

// emitMatMul calls rt.GemmP on the model's pool (threads.go): C = op(A)·op(B) with row-major operands whose row
// strides are their stored column counts. A batch dimension can be the rows of A
// (forward), or the contracted dimension (a weight gradient Xᵀ·dY), never a column.
// An operand of rank ≥ 3 (a dense layer on the last axis of (N, T, F)) is, stored
// row-major, the matrix of its leading axes flattened into rows: (N, T, F) is an
// n·T×F matrix, so its product is one GEMM with m = n·T (or k = n·T for the weight
// gradient), reading the operands where they are.
func emitMatMul(k *Kernel) error { return emitGemm(k, 0) }

// matrixRows is an expression for the rows of v as a matrix, the product of all its
// axes but the last (the batch written n); matrixCols is the last axis, the row
// stride.
func matrixRows(v Value) *jen.Statement { return v.Prod(0, len(v.Shape)-1) }
func matrixCols(v Value) int            { return v.Shape[len(v.Shape)-1] }

// emitGemm is emitMatMul with C = op(A)·op(B) + beta·C: beta 1 adds the product to
// what the result's storage holds (a sum computed in place, loops.go).
func emitGemm(k *Kernel, beta int) error {
	a, b, c := k.In(0), k.In(1), k.Out()
	ta, tb := k.Node.Attrs.TransA, k.Node.Attrs.TransB
	rows, inner := matrixRows(a), jen.Lit(matrixCols(a))
	if ta {
		rows, inner = inner, rows
	}
	cols := jen.Lit(matrixCols(b))
	if tb {
		cols = matrixRows(b)
	}
	lda, ldb, ldc := jen.Lit(matrixCols(a)), jen.Lit(matrixCols(b)), jen.Lit(matrixCols(c))
	if pw := k.prog.packedB(k.Node); pw != nil {
		// A weight packed once by deriveParams (derived.go).
		k.Emit(jen.Qual(rtPath, "GemmPackedP").Call(k.prog.pool(),
			jen.Lit(ta), rows, jen.Lit(1), a.Slice(), lda,
			jen.Op("&").Id("m").Dot(pw.field), jen.Lit(beta), c.Slice(), ldc))
		return nil
	}
	if tp := k.prog.trainPackFor(k.Node); tp != nil {
		// A weight TrainStep packed once for all its products by it (trainpack.go).
		k.Emit(jen.Qual(rtPath, "GemmPackedP").Call(k.prog.pool(),
			jen.Lit(ta), rows, jen.Lit(1), a.Slice(), lda,
			jen.Op("&").Id("m").Dot(tp.field), jen.Lit(beta), c.Slice(), ldc))
		return nil
	}
	k.Emit(jen.Qual(rtPath, "GemmP").Call(k.prog.pool(),
		jen.Lit(ta), jen.Lit(tb), rows, cols, inner, jen.Lit(1),
		a.Slice(), lda, b.Slice(), ldb,
		jen.Lit(beta), c.Slice(), ldc,
	))
	return nil
}

// lastAxisOf is the axis of BiasAddLast's vector: the last one of v.
func lastAxisOf(v Value) int { return len(v.Shape) - 1 }

// vecDims splits a value around axis: outer = the product of the axes before it
// (the batch written n), the axis' size and inner = the product of those after it.
func vecDims(v Value, axis int) (outer *jen.Statement, ch, inner int) {
	return v.Prod(0, axis), v.Shape[axis], v.ConstProd(axis+1, len(v.Shape))
}

// channelDims splits a value (d0, C, d2, ...) into outer = d0, C and inner = d2·…
func channelDims(v Value) (outer *jen.Statement, ch, inner int) { return vecDims(v, 1) }

// perChannel is an expression for the number of elements of each channel of v,
// batch included.
func perChannel(v Value) *jen.Statement {
	inner := v.ConstProd(2, len(v.Shape))
	if v.Batched() {
		return scaled(true, inner)
	}
	return jen.Lit(v.Shape[0] * inner)
}

// channelVec emits y[o,c,i] = x[o,c,i] op v[c] along axis 1.
func channelVec(op string) Emitter { return vectorOp(op, func(Value) int { return 1 }) }

// vectorOp emits y[o,c,i] = x[o,c,i] op v[c] with c the axis axisOf(x): 1 for the
// per-channel ops, the last for BiasAddLast, where inner is 1 and o runs over the
// n·T rows of (N, T, F).
func vectorOp(op string, axisOf func(Value) int) Emitter {
	return func(k *Kernel) error {
		x, v, y := k.In(0), k.In(1), k.Out()
		outer, ch, inner := vecDims(x, axisOf(x))
		xs := k.Bind("x", x)
		ys := k.Bind("y", y)
		vs := k.BindArray("v", v)
		block := ch * inner
		var body jen.Code
		if inner == 1 {
			body = loop("c", jen.Lit(ch),
				jen.Id("yr").Index(jen.Id("c")).Op("=").Id("xr").Index(jen.Id("c")).Op(op).Add(vs).Index(jen.Id("c")))
		} else {
			body = loop("c", jen.Lit(ch),
				jen.Id("vc").Op(":=").Add(vs).Index(jen.Id("c")),
				jen.Id("xc").Op(":=").Add(row(jen.Id("xr"), jen.Id("c"), inner)),
				jen.Id("yc").Op(":=").Add(row(jen.Id("yr"), jen.Id("c"), inner)),
				jen.For(jen.List(jen.Id("i"), jen.Id("xv")).Op(":=").Range().Id("xc")).Block(
					jen.Id("yc").Index(jen.Id("i")).Op("=").Id("xv").Op(op).Id("vc"),
				))
		}
		k.Emit(loop("o", outer,
			jen.Id("xr").Op(":=").Add(row(xs, jen.Id("o"), block)),
			jen.Id("yr").Op(":=").Add(row(ys, jen.Id("o"), block)),
			body,
		))
		return nil
	}
}

// vectorReduce emits s[c] = Σ (or mean) of x over every axis but axis (1 for the
// channel reductions, the last for BiasAddLastGrad), accumulated in float64 so that
// a batch-norm statistic over N·H·W values keeps float32 precision.
func vectorReduce(k *Kernel, axis int, mean bool) error {
	x, s := k.In(0), k.Out()
	outer, ch, inner := vecDims(x, axis)
	block := ch * inner
	xs := k.Bind("x", x)
	ss := k.BindArray("s", s)
	acc := jen.Id("acc")
	k.Emit(jen.Id("acc").Op(":=").Add(k.Scratch64(ch)), jen.Clear(jen.Add(acc).Index(jen.Op(":"))))
	if inner == 1 {
		// Rows of channels: rt.ColSums64 adds them up a vector of channels at a
		// time, each channel in row order.
		k.Emit(jen.Qual(rtPath, "ColSums64").Call(jen.Add(acc).Index(jen.Op(":")), xs, outer, jen.Lit(ch), jen.Lit(ch)))
	} else {
		// Each channel's row summed by rt.Sum64 (four interleaved partial sums),
		// then added into the channel's total item by item.
		body := loop("c", jen.Lit(ch),
			jen.Add(acc).Index(jen.Id("c")).Op("+=").Qual(rtPath, "Sum64").Call(row(jen.Id("xr"), jen.Id("c"), inner).Index(jen.Op(":"))))
		k.Emit(loop("o", outer, jen.Id("xr").Op(":=").Add(row(xs, jen.Id("o"), block)), body))
	}
	val := jen.Add(acc).Index(jen.Id("c"))
	if mean {
		k.Emit(jen.Id("count").Op(":=").Add(f64(perChannel(x))))
		val = jen.Add(val).Op("/").Id("count")
	}
	k.Emit(loop("c", jen.Lit(ch), jen.Add(ss).Index(jen.Id("c")).Op("=").Add(f32(val))))
	return nil
}

// emitChannelBroadcast emits y[o,c,i] = v[c] (or v[c]/m with mean, m the elements
// per channel): the adjoint of ChannelSum (ChannelMean).
func emitChannelBroadcast(k *Kernel) error {
	v, y := k.In(0), k.Out()
	outer, ch, inner := channelDims(y)
	vs := k.BindArray("v", v)
	ys := k.Bind("y", y)
	val := jen.Add(vs).Index(jen.Id("c"))
	if k.Node.Attrs.Mean {
		k.Emit(jen.Id("scale").Op(":=").Add(f32(jen.Lit(1).Op("/").Add(f64(perChannel(y))))))
		val = jen.Add(val).Op("*").Id("scale")
	}
	block := ch * inner
	var body jen.Code
	if inner == 1 {
		body = loop("c", jen.Lit(ch), jen.Id("yr").Index(jen.Id("c")).Op("=").Add(val))
	} else {
		body = loop("c", jen.Lit(ch),
			jen.Id("vc").Op(":=").Add(val),
			jen.Id("yc").Op(":=").Add(row(jen.Id("yr"), jen.Id("c"), inner)),
			jen.For(jen.Id("i").Op(":=").Range().Id("yc")).Block(jen.Id("yc").Index(jen.Id("i")).Op("=").Id("vc")))
	}
	k.Emit(loop("o", outer, jen.Id("yr").Op(":=").Add(row(ys, jen.Id("o"), block)), body))
	return nil
}

// emitRunningUpdate updates the state parameter in place, PyTorch's exponential
// moving average: state = (1-momentum)·state + momentum·stat·m/(m-1) (Bessel's
// correction, when unbiased, m the values per channel of x). Its result is a view of
// the state (passes.ViewInput), so there is nothing else to write.
func emitRunningUpdate(k *Kernel) error {
	state, stat, x := k.In(0), k.In(1), k.In(2)
	ch := state.Elems()
	a := k.Node.Attrs
	ss := k.BindArray("state", state)
	st := k.BindArray("stat", stat)
	corr := jen.Lit(1.0)
	if a.Unbiased {
		// The method checked on entry that m > 1.
		k.Emit(jen.Id("m1").Op(":=").Add(f64(perChannel(x))))
		corr = jen.Id("m1").Op("/").Parens(jen.Id("m1").Op("-").Lit(1))
	}
	k.Emit(jen.Id("corr").Op(":=").Add(corr))
	k.Emit(loop("c", jen.Lit(ch),
		jen.Add(ss).Index(jen.Id("c")).Op("=").Add(f32(
			jen.Lit(1-a.Momentum).Op("*").Add(f64(jen.Add(ss).Index(jen.Id("c")))).Op("+").
				Lit(a.Momentum).Op("*").Add(f64(jen.Add(st).Index(jen.Id("c")))).Op("*").Id("corr")))))
	return nil
}
