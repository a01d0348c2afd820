package interp

import (
	"math"

	"github.com/dlgen/dlgen/ir"
)

// Kernels for element-wise arithmetic: binary ops on equal shapes, ops with a scalar
// constant, and the unary functions that are not activations (those are in
// activation.go).

func init() {
	register(ir.OpIdentity, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		return in[0].Clone(), nil
	})
	register(ir.OpAdd, binary(func(a, b float64) float64 { return a + b }))
	register(ir.OpSub, binary(func(a, b float64) float64 { return a - b }))
	register(ir.OpMul, binary(func(a, b float64) float64 { return a * b }))
	register(ir.OpDiv, binary(func(a, b float64) float64 { return a / b }))
	register(ir.OpScale, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		alpha := n.Attrs.Alpha
		return mapTensor(in[0], func(x float64) float64 { return alpha * x }), nil
	})
	register(ir.OpAddScalar, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		alpha := n.Attrs.Alpha
		return mapTensor(in[0], func(x float64) float64 { return x + alpha }), nil
	})
	register(ir.OpExp, unary(math.Exp))
	// Log and Rsqrt follow IEEE arithmetic outside their domain (ln 0 = -Inf,
	// ln(-1) = NaN, 1/sqrt(0) = +Inf), as PyTorch does; the op table promises no
	// more, and the graphs dlgen builds feed them positive values (batch-norm
	// variance plus epsilon).
	register(ir.OpLog, unary(math.Log))
	register(ir.OpSquare, unary(func(x float64) float64 { return x * x }))
	register(ir.OpRsqrt, unary(func(x float64) float64 { return 1 / math.Sqrt(x) }))
}

// binary applies f element by element to two tensors of equal shape.
func binary(f func(a, b float64) float64) Kernel {
	return func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := NewTensor(in[0].Shape...)
		for i := range t.Data {
			t.Data[i] = f(in[0].Data[i], in[1].Data[i])
		}
		return t, nil
	}
}

// unary is the kernel that applies f to every element.
func unary(f func(x float64) float64) Kernel {
	return func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		return mapTensor(in[0], f), nil
	}
}

// mapTensor returns a new tensor holding f of every element of x.
func mapTensor(x *Tensor, f func(float64) float64) *Tensor {
	t := NewTensor(x.Shape...)
	for i, v := range x.Data {
		t.Data[i] = f(v)
	}
	return t
}
