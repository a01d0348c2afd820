package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for the autoencoder regularizers. Each emits the op's
// gradient-only kernel: the penalties reduce over the batch, so their gradients need
// the batch statistic (ρ̂, Σ_n (h(1-h))²) that only a dedicated kernel computes in
// one pass.

func init() {
	// d|x|/dx = sign(x), taken as 0 at 0 (PyTorch's choice).
	gradRule(ir.OpAbs, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpAbsGrad, ir.Attrs{}, n.Inputs[0], dy)
		return []int{d}, err
	})
	gradRule(ir.OpKLSparsity, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpKLSparsityGrad, ir.Attrs{Alpha: n.Attrs.Alpha}, n.Inputs[0], dy)
		return []int{d}, err
	})
	// The penalty reads h and w directly; autodiff adds the path from w through h
	// (the encoder) itself, so the total weight gradient is both terms.
	gradRule(ir.OpContractivePenalty, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		out := []int{-1, -1}
		if need[0] {
			out[0] = s.op(ir.OpContractivePenaltyGradH, ir.Attrs{}, n.Inputs[0], n.Inputs[1], dy)
		}
		if need[1] {
			out[1] = s.op(ir.OpContractivePenaltyGradW, ir.Attrs{}, n.Inputs[0], n.Inputs[1], dy)
		}
		return out, s.err
	})
}
