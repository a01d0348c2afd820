package ir

import "fmt"

// Repeating a tensor along a new axis (Keras' RepeatVector, PyTorch's
// x.unsqueeze(1).repeat(1, n, 1)) and its gradient-only adjoint, the sum over that
// axis. They are an op pair of their own rather than n Concats of x: one copy loop
// forward and one summing loop backward, whatever n is.
const (
	OpRepeat     = "Repeat"
	OpRepeatGrad = "RepeatGrad"
)

func init() {
	def(&OpDef{Name: OpRepeat, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"axis", "repeats"},
		Doc: "Inserts a new axis of size repeats before axis `axis` of x and copies x to every index along it: y[o, r, i] = x[o, i] for r in [0, repeats), " +
			"o running over x's axes before `axis` and i over the rest. On x (N, F) with axis 1 it is Keras' RepeatVector(repeats), (N, F) → (N, repeats, F), " +
			"and PyTorch's x.unsqueeze(1).repeat(1, repeats, 1) (or .expand). The new axis may not come before the batch; repeats ≥ 1.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, a := in[0], n.Attrs
			lo := 0
			if x.Batched() {
				lo = 1 // the batch stays axis 0
			}
			if a.Axis < lo || a.Axis > x.Rank() {
				return nil, fmt.Errorf("axis %d is not a place for a new axis in %s (%d to %d)", a.Axis, x, lo, x.Rank())
			}
			if a.Repeats < 1 {
				return nil, fmt.Errorf("repeats %d must be at least 1", a.Repeats)
			}
			out := append(x[:a.Axis:a.Axis], a.Repeats)
			return append(out, x[a.Axis:]...), nil
		}})
	def(&OpDef{Name: OpRepeatGrad, Kind: GradOnly, MinInputs: 1, MaxInputs: 1, Attrs: []string{"axis"},
		Doc: "Input dy: dx[o, i] = Σ_r dy[o, r, i] over axis `axis`, which it removes: the adjoint of Repeat. The sum runs r = 0, 1, … in order, from dy[o, 0, i].",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			dy, ax := in[0], n.Attrs.Axis
			if ax < 0 || ax >= dy.Rank() || (dy.Batched() && ax == 0) {
				return nil, fmt.Errorf("axis %d is not a non-batch axis of %s", ax, dy)
			}
			out := append(dy[:ax:ax], dy[ax+1:]...)
			return out, nil
		}})
}
