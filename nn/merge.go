package nn

import (
	"github.com/dlgen/dlgen/ir"
)

// Add is the element-wise sum of two tensors of the same shape (a residual
// connection). There is no broadcasting.
func Add(name string, a, b *T) *T { return binary(name, "Add", ir.OpAdd, a, b) }

// Sub is the element-wise difference a - b of two tensors of the same shape.
func Sub(name string, a, b *T) *T { return binary(name, "Sub", ir.OpSub, a, b) }

// Mul is the element-wise product of two tensors of the same shape (a gate).
func Mul(name string, a, b *T) *T { return binary(name, "Mul", ir.OpMul, a, b) }

func binary(name, kind, op string, a, b *T) *T {
	m := modelOf(a, b)
	l := m.begin(name, kind, nil, 0, a, b)
	if l == nil {
		return m.failed()
	}
	return l.result(l.op(op, "", ir.Attrs{}, l.x(0), l.x(1)))
}

// Concat joins tensors (at least one) along axis, counted with the batch as axis 0 (so the
// channels of NCHW images are axis 1, features of (N, F) are axis 1); a negative
// axis counts from the end, -1 being the last. Every other dimension must match.
func Concat(name string, axis int, xs ...*T) *T {
	m := modelOf(xs...)
	l := m.begin(name, "Concat", nil, 0, xs...)
	if l == nil {
		return m.failed()
	}
	rank := l.shapes()[0].Rank()
	if axis < 0 {
		axis += rank
	}
	if axis < 1 || axis >= rank {
		return l.fail("axis %d is not a non-batch axis of a rank-%d tensor", axis, rank)
	}
	ids := make([]int, len(xs))
	for i := range xs {
		ids[i] = l.x(i)
	}
	return l.result(l.op(ir.OpConcat, "", ir.Attrs{Axis: axis}, ids...))
}

// modelOf returns the model of the first non-nil tensor, to which an error about
// the others is reported (nil if there is none).
func modelOf(ts ...*T) *Model {
	for _, t := range ts {
		if t != nil && t.m != nil {
			return t.m
		}
	}
	return nil
}
