package passes

import "github.com/dlgen/dlgen/ir"

// PReLU's gradient: dx = dy where x > 0, else α·dy (PReLUGrad), and dα = Σ dy·x over
// the elements with x ≤ 0 that use each α, summed over the batch and α's shared axes
// (PReLUAlphaGrad), each only when needed.
func init() {
	gradRule(ir.OpPReLU, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		x, alpha := n.Inputs[0], n.Inputs[1]
		out := []int{-1, -1}
		if need[0] {
			out[0] = s.op(ir.OpPReLUGrad, ir.Attrs{}, x, alpha, dy)
		}
		if need[1] {
			out[1] = s.op(ir.OpPReLUAlphaGrad, ir.Attrs{Shape: b.G.Nodes[alpha].Shape.Clone()}, x, dy)
		}
		return out, s.err
	})
}
