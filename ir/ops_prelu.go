package ir

import "fmt"

// The parametric ReLU (PyTorch's nn.PReLU, Keras' PReLU) and its gradient-only ops.
// α is a learned tensor broadcast over x without its first (batch) axis: its axes
// are x's from axis 1 on, each of size 1 (shared along that axis) or x's, and x's
// axes past α's last are shared. PyTorch's one α is (1), its num_parameters = C is
// (C) (axis 1) whatever x's rank; Keras' α is x's shape after the batch with its
// shared_axes set to 1. It is an op
// of its own rather than Relu(x) - α·Relu(-x) in existing ops: no element-wise op
// broadcasts, and the gradient of α is one reduction over the batch and the shared
// axes.
const (
	OpPReLU          = "PReLU"
	OpPReLUGrad      = "PReLUGrad"
	OpPReLUAlphaGrad = "PReLUAlphaGrad"
)

// checkPReLUAlpha checks that α broadcasts over x without its first axis: α's axes
// are x's from axis 1 on, each of size 1 or x's, and x's axes past α's last are
// shared.
func checkPReLUAlpha(x, alpha Shape) error {
	if x.Rank() < 2 {
		return fmt.Errorf("x %s needs an axis after the batch", x)
	}
	if alpha.Batched() {
		return fmt.Errorf("α %s must not have the batch dimension", alpha)
	}
	if alpha.Rank() < 1 || alpha.Rank() > x.Rank()-1 {
		return fmt.Errorf("α %s must have 1 to %d axes, x's from axis 1 on (each of size 1 or x's), to broadcast over %s", alpha, x.Rank()-1, x)
	}
	for i, d := range alpha {
		if d != 1 && d != x[i+1] {
			return fmt.Errorf("α %s does not broadcast over %s: its dimension %d is %d, neither 1 nor x's %d", alpha, x, i, d, x[i+1])
		}
	}
	return nil
}

func init() {
	def(&OpDef{Name: OpPReLU, Kind: Primitive, MinInputs: 2, MaxInputs: 2,
		Doc: "Inputs (x, α): the parametric ReLU, y = x where x > 0, else α·x (PyTorch's nn.PReLU, Keras' PReLU), " +
			"α broadcast over x's first (batch) axis, over its own axes of size 1 and over x's axes past its last: α's axes are x's from axis 1 on, each of size 1 or x's. " +
			"PyTorch's num_parameters = 1 is α (1), num_parameters = C one α per channel, α (C) (axis 1, on (N, C) as on (N, C, H, W)); " +
			"Keras' α is x's shape after the batch with the shared axes of size 1.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if err := checkPReLUAlpha(in[0], in[1]); err != nil {
				return nil, err
			}
			return in[0].Clone(), nil
		}})
	def(&OpDef{Name: OpPReLUGrad, Kind: GradOnly, MinInputs: 3, MaxInputs: 3,
		Doc: "Inputs (x, α, dy): PReLU's input gradient, dx = dy where x > 0, else α·dy (at x = 0 too, as PyTorch's), α broadcast as in PReLU.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if err := checkPReLUAlpha(in[0], in[1]); err != nil {
				return nil, err
			}
			if !in[2].Equal(in[0]) {
				return nil, fmt.Errorf("dy %s must have x's shape %s", in[2], in[0])
			}
			return in[0].Clone(), nil
		}})
	def(&OpDef{Name: OpPReLUAlphaGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Attrs: []string{"shape"},
		Doc: "Inputs (x, dy): PReLU's α gradient, of α's shape `shape`: dα = Σ dy·x over the elements where x ≤ 0 that use each α " +
			"(the batch and α's axes of size 1), in the elements' order.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if err := checkPReLUAlpha(in[0], n.Attrs.Shape); err != nil {
				return nil, err
			}
			if !in[1].Equal(in[0]) {
				return nil, fmt.Errorf("dy %s must have x's shape %s", in[1], in[0])
			}
			return n.Attrs.Shape.Clone(), nil
		}})
}
