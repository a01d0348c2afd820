package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for whole-tensor reductions and their adjoint.

func init() {
	gradRule(ir.OpReduceSum, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpBroadcast, ir.Attrs{Shape: b.G.Nodes[n.Inputs[0]].Shape.Clone()}, dy)
		return []int{d}, err
	})
	gradRule(ir.OpReduceMean, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpBroadcast, ir.Attrs{Shape: b.G.Nodes[n.Inputs[0]].Shape.Clone(), Mean: true}, dy)
		return []int{d}, err
	})
	// Broadcast is linear; its adjoint is the matching reduction.
	gradRule(ir.OpBroadcast, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		op := ir.OpReduceSum
		if n.Attrs.Mean {
			op = ir.OpReduceMean
		}
		d, err := b.Op(op, ir.Attrs{}, dy)
		return []int{d}, err
	})
}
