package ir_test

import "github.com/dlgen/dlgen/ir"

// preluShapeCases are the shape rows of PReLU and its gradient-only ops.
func preluShapeCases() []shapeCase {
	shape := func(sh ir.Shape) ir.Attrs { return ir.Attrs{Shape: sh} }
	return []shapeCase{
		ok(ir.OpPReLU, "PyTorch's one α on an image", none, s(N, 3, 4, 5), s(N, 3, 4, 5), s(1, 1, 1)),
		ok(ir.OpPReLU, "PyTorch's α per channel on an image", none, s(N, 3, 4, 5), s(N, 3, 4, 5), s(3, 1, 1)),
		ok(ir.OpPReLU, "PyTorch's α per channel on (N, C)", none, s(N, 6), s(N, 6), s(6)),
		ok(ir.OpPReLU, "PyTorch's α per channel of an image, shared over the plane past its last axis", none, s(N, 3, 4, 5), s(N, 3, 4, 5), s(3)),
		ok(ir.OpPReLU, "PyTorch's one α on an image", none, s(N, 3, 4, 5), s(N, 3, 4, 5), s(1)),
		ok(ir.OpPReLU, "Keras' α per element of (N, T, F)", none, s(N, 7, 6), s(N, 7, 6), s(7, 6)),
		ok(ir.OpPReLU, "Keras' α shared over the steps", none, s(N, 7, 6), s(N, 7, 6), s(1, 6)),
		bad(ir.OpPReLU, "α of x's rank", none, "α 1×3×1×1 must have 1 to 3 axes, x's from axis 1 on (each of size 1 or x's), to broadcast over N×3×4×5", s(N, 3, 4, 5), s(1, 3, 1, 1)),
		bad(ir.OpPReLU, "a scalar α", none, "α scalar must have 1 to 3 axes", s(N, 3, 4, 5), s()),
		bad(ir.OpPReLU, "α per channel of another count", none, "α 4×1×1 does not broadcast over N×3×4×5: its dimension 0 is 4, neither 1 nor x's 3", s(N, 3, 4, 5), s(4, 1, 1)),
		bad(ir.OpPReLU, "a batched α", none, "α N×3 must not have the batch dimension", s(N, 3), s(N, 3)),
		bad(ir.OpPReLU, "x without an axis after the batch", none, "x N needs an axis after the batch", s(N), s(1)),
		bad(ir.OpPReLU, "no α", none, "takes 2 inputs, got 1", s(N, 3)),
		ok(ir.OpPReLUGrad, "dx per channel", none, s(N, 3, 4, 5), s(N, 3, 4, 5), s(3, 1, 1), s(N, 3, 4, 5)),
		bad(ir.OpPReLUGrad, "dy of another shape", none, "dy N×3×4×4 must have x's shape N×3×4×5", s(N, 3, 4, 5), s(3, 1, 1), s(N, 3, 4, 4)),
		bad(ir.OpPReLUGrad, "α that does not broadcast", none, "its dimension 1 is 2, neither 1 nor x's 4", s(N, 3, 4, 5), s(3, 2, 1), s(N, 3, 4, 5)),
		ok(ir.OpPReLUAlphaGrad, "dα per channel", shape(s(3, 1, 1)), s(3, 1, 1), s(N, 3, 4, 5), s(N, 3, 4, 5)),
		ok(ir.OpPReLUAlphaGrad, "one dα", shape(s(1)), s(1), s(N, 6), s(N, 6)),
		bad(ir.OpPReLUAlphaGrad, "dy of another shape", shape(s(1)), "dy N×5 must have x's shape N×6", s(N, 6), s(N, 5)),
		bad(ir.OpPReLUAlphaGrad, "a shape that does not broadcast", shape(s(5)), "α 5 does not broadcast over N×6", s(N, 6), s(N, 6)),
	}
}
