package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for per-channel ops. ChannelSum and ChannelBroadcast are each
// other's adjoints (and ChannelMean that of ChannelBroadcast with mean), which is all
// the batch-norm backward pass needs once autodiff composes them.

func init() {
	// y = x + b[c]: dx = dy, db = Σ over all but the channel axis of dy.
	gradRule(ir.OpBiasAdd, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		out := []int{dy, -1}
		if need[1] {
			out[1] = s.op(ir.OpChannelSum, ir.Attrs{}, dy)
		}
		return out, s.err
	})
	// y = x·s[c]: dx = dy·s[c], ds = Σ over all but the channel axis of dy·x.
	gradRule(ir.OpChannelMul, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		out := []int{-1, -1}
		if need[0] {
			out[0] = s.op(ir.OpChannelMul, ir.Attrs{}, dy, n.Inputs[1])
		}
		if need[1] {
			out[1] = s.op(ir.OpChannelSum, ir.Attrs{}, s.op(ir.OpMul, ir.Attrs{}, dy, n.Inputs[0]))
		}
		return out, s.err
	})
	gradRule(ir.OpChannelSum, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpChannelBroadcast, ir.Attrs{Shape: b.G.Nodes[n.Inputs[0]].Shape.Clone()}, dy)
		return []int{d}, err
	})
	gradRule(ir.OpChannelMean, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpChannelBroadcast, ir.Attrs{Shape: b.G.Nodes[n.Inputs[0]].Shape.Clone(), Mean: true}, dy)
		return []int{d}, err
	})
	gradRule(ir.OpChannelBroadcast, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		op := ir.OpChannelSum
		if n.Attrs.Mean {
			op = ir.OpChannelMean
		}
		d, err := b.Op(op, ir.Attrs{}, dy)
		return []int{d}, err
	})
	// A state update is a side effect, not part of the function being differentiated:
	// no gradient flows through it to the state, the statistic or x.
	gradRule(ir.OpRunningUpdate, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		return []int{-1, -1, -1}, nil
	})
}
