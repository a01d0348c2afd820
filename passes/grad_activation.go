package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for activations. Each emits the op's gradient-only kernel, reading
// whichever of x or y gives the cheapest formula: sigmoid, tanh and softmax
// differentiate in terms of their own output y (the node itself), the ReLUs in terms
// of the sign of x.

func init() {
	for op, grad := range map[string]string{
		ir.OpSigmoid: ir.OpSigmoidGrad, // dx = dy·y·(1-y)
		ir.OpTanh:    ir.OpTanhGrad,    // dx = dy·(1-y²)
		ir.OpSoftmax: ir.OpSoftmaxGrad, // dx = y·(dy - Σ dy·y)
	} {
		gradRule(op, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
			d, err := b.Op(grad, ir.Attrs{}, n.ID, dy)
			return []int{d}, err
		})
	}
	gradRule(ir.OpRelu, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpReluGrad, ir.Attrs{}, n.Inputs[0], dy)
		return []int{d}, err
	})
	gradRule(ir.OpLeakyRelu, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpLeakyReluGrad, ir.Attrs{Alpha: n.Attrs.Alpha}, n.Inputs[0], dy)
		return []int{d}, err
	})
}
