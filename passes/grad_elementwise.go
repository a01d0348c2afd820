package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for element-wise arithmetic. Each is the textbook derivative written
// in primitive ops, so the backward graph is optimized and fused like the forward one.

func init() {
	gradRule(ir.OpIdentity, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		return []int{dy}, nil
	})
	gradRule(ir.OpAdd, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		return []int{dy, dy}, nil
	})
	gradRule(ir.OpSub, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		out := []int{dy, -1}
		if need[1] {
			out[1] = s.op(ir.OpScale, ir.Attrs{Alpha: -1}, dy)
		}
		return out, s.err
	})
	gradRule(ir.OpMul, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		out := []int{-1, -1}
		if need[0] {
			out[0] = s.op(ir.OpMul, ir.Attrs{}, dy, n.Inputs[1])
		}
		if need[1] {
			out[1] = s.op(ir.OpMul, ir.Attrs{}, dy, n.Inputs[0])
		}
		return out, s.err
	})
	// y = a/b: da = dy/b, db = -dy·a/b² = -(dy·y)/b, reusing y rather than squaring b.
	gradRule(ir.OpDiv, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		out := []int{-1, -1}
		if need[0] {
			out[0] = s.op(ir.OpDiv, ir.Attrs{}, dy, n.Inputs[1])
		}
		if need[1] {
			dyY := s.op(ir.OpMul, ir.Attrs{}, dy, n.ID)
			q := s.op(ir.OpDiv, ir.Attrs{}, dyY, n.Inputs[1])
			out[1] = s.op(ir.OpScale, ir.Attrs{Alpha: -1}, q)
		}
		return out, s.err
	})
	gradRule(ir.OpScale, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpScale, ir.Attrs{Alpha: n.Attrs.Alpha}, dy)
		return []int{d}, err
	})
	gradRule(ir.OpAddScalar, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		return []int{dy}, nil
	})
	// y = exp(x): dx = dy·y.
	gradRule(ir.OpExp, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpMul, ir.Attrs{}, dy, n.ID)
		return []int{d}, err
	})
	// y = ln x: dx = dy/x.
	gradRule(ir.OpLog, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpDiv, ir.Attrs{}, dy, n.Inputs[0])
		return []int{d}, err
	})
	// y = x²: dx = 2·dy·x.
	gradRule(ir.OpSquare, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		d := s.op(ir.OpScale, ir.Attrs{Alpha: 2}, s.op(ir.OpMul, ir.Attrs{}, dy, n.Inputs[0]))
		return []int{d}, s.err
	})
	// y = x^(-1/2): dx = -½·dy·x^(-3/2) = -½·dy·y³, which needs no division.
	gradRule(ir.OpRsqrt, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		y3 := s.op(ir.OpMul, ir.Attrs{}, s.op(ir.OpSquare, ir.Attrs{}, n.ID), n.ID)
		d := s.op(ir.OpScale, ir.Attrs{Alpha: -0.5}, s.op(ir.OpMul, ir.Attrs{}, dy, y3))
		return []int{d}, s.err
	})
}

// seq appends gradient nodes one after another and keeps the first error, as
// Lowerer.Do does, so that a rule reads as its formula. After an error it appends
// nothing and returns -1.
type seq struct {
	b   *GradBuilder
	err error
}

func (s *seq) op(op string, attrs ir.Attrs, inputs ...int) int {
	if s.err != nil {
		return -1
	}
	id, err := s.b.Op(op, attrs, inputs...)
	if err != nil {
		s.err = err
		return -1
	}
	return id
}
