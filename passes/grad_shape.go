package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for ops that only move elements: the gradient moves them back.

func init() {
	gradRule(ir.OpReshape, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		// Reshape's shape attribute excludes the batch dimension, which it keeps.
		d, err := b.Op(ir.OpReshape, ir.Attrs{Shape: b.G.Nodes[n.Inputs[0]].Shape.Inner().Clone()}, dy)
		return []int{d}, err
	})
	// Each input receives the slice of dy that it filled.
	gradRule(ir.OpConcat, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		ax := n.Attrs.Axis
		out := make([]int, len(n.Inputs))
		start := 0
		for i, in := range n.Inputs {
			size := b.G.Nodes[in].Shape[ax]
			out[i] = -1
			if need[i] {
				out[i] = s.op(ir.OpSlice, ir.Attrs{Axis: ax, Start: start, End: start + size}, dy)
			}
			start += size
		}
		return out, s.err
	})
	gradRule(ir.OpSlice, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpSliceGrad, ir.Attrs{Shape: b.G.Nodes[n.Inputs[0]].Shape.Clone(), Axis: n.Attrs.Axis, Start: n.Attrs.Start}, dy)
		return []int{d}, err
	})
}
