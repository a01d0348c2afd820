package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for activations. Each emits the op's gradient-only kernel, reading
// whichever of x or y gives the cheapest formula: sigmoid, tanh and softmax
// differentiate in terms of their own output y (the node itself), and so do ReLU and
// leaky ReLU with a slope α ≥ 0, whose output is positive exactly where x is: the
// backward pass then needs only the activation, not the pre-activation too, which
// lets a convolution's bias and ReLU fuse with it in training (codegen/fuse_conv.go)
// and stores one tensor per layer instead of two. A negative slope makes negative x
// give positive outputs, so that leaky ReLU reads x.

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
	// dx = dy - exp(y)·Σ dy, from the output as PyTorch's log_softmax backward.
	gradRule(ir.OpLogSoftmax, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpLogSoftmaxGrad, ir.Attrs{}, n.ID, dy)
		return []int{d}, err
	})
	gradRule(ir.OpRelu, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpReluGrad, ir.Attrs{}, n.ID, dy)
		return []int{d}, err
	})
	// The output is inside (0, alpha) exactly where the input is.
	gradRule(ir.OpReluMax, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpReluMaxGrad, ir.Attrs{Alpha: n.Attrs.Alpha}, n.ID, dy)
		return []int{d}, err
	})
	gradRule(ir.OpLeakyRelu, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		sign := n.ID
		if n.Attrs.Alpha < 0 {
			sign = n.Inputs[0]
		}
		d, err := b.Op(ir.OpLeakyReluGrad, ir.Attrs{Alpha: n.Attrs.Alpha}, sign, dy)
		return []int{d}, err
	})
}

// The smooth activations (ELU, SELU, softplus, GELU, SiLU) differentiate in terms of
// their input x, as PyTorch's backward functions do: their output does not give the
// derivative as cheaply or as accurately (ELU's from y + alpha cancels for very
// negative x; GELU's and SiLU's are not functions of y alone). Their gradient ops
// carry the forward op's attributes (ELU's alpha, GELU's sub).
func init() {
	for op, grad := range map[string]string{
		ir.OpElu:      ir.OpEluGrad,
		ir.OpSelu:     ir.OpSeluGrad,
		ir.OpSoftplus: ir.OpSoftplusGrad,
		ir.OpGelu:     ir.OpGeluGrad,
		ir.OpSilu:     ir.OpSiluGrad,
	} {
		gradRule(op, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
			d, err := b.Op(grad, ir.Attrs{Alpha: n.Attrs.Alpha, Sub: n.Attrs.Sub}, n.Inputs[0], dy)
			return []int{d}, err
		})
	}
}
