package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for the losses. The gradient with respect to the prediction is one
// LossGrad node, whose kernel knows each loss's derivative (and its 'mean' divisor).
// The regression losses depend on p - t only, so their target gradient is the
// negated prediction gradient. Cross-entropy targets are labels or probabilities
// that nothing upstream learns, and their gradient is not supported; nor is that of
// OneHot, whose input is int class labels (autodiff never asks for it, since no
// weight reaches an int input).

func init() {
	for _, op := range []string{ir.OpMSELoss, ir.OpMAELoss, ir.OpHuberLoss} {
		gradRule(op, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
			s := &seq{b: b}
			dp := s.op(ir.OpLossGrad, lossGradAttrs(n), n.Inputs[0], n.Inputs[1], dy)
			out := []int{dp, -1}
			if need[1] {
				out[1] = s.op(ir.OpScale, ir.Attrs{Alpha: -1}, dp)
			}
			return out, s.err
		})
	}
	for _, op := range []string{ir.OpBCELoss, ir.OpBCEWithLogitsLoss, ir.OpSoftmaxCELoss, ir.OpSparseSoftmaxCELoss, ir.OpCategoricalCELoss, ir.OpNLLLoss} {
		gradRule(op, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
			if need[1] {
				return nil, &ir.Error{Layer: n.Layer, Op: n.Op, Msg: "gradient with respect to the target of a cross-entropy loss is not supported"}
			}
			d, err := b.Op(ir.OpLossGrad, lossGradAttrs(n), n.Inputs[0], n.Inputs[1], dy)
			return []int{d, -1}, err
		})
	}
	gradRule(ir.OpOneHot, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		if need[0] {
			return nil, &ir.Error{Layer: n.Layer, Op: n.Op, Msg: "class labels have no gradient"}
		}
		return []int{-1}, nil
	})
}

func lossGradAttrs(n *ir.Node) ir.Attrs {
	// Alpha is Huber's delta, Extra a sparse loss's ignore index.
	return ir.Attrs{Sub: n.Op, Alpha: n.Attrs.Alpha, Extra: append([]int(nil), n.Attrs.Extra...)}
}
