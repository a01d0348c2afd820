package ir_test

import "github.com/dlgen/dlgen/ir"

// maskShapeCases are the shape rows of the recurrent ops' step mask
// (extra[RNNMasked]: a last input of (N, T, H)).
func maskShapeCases() []shapeCase {
	x, h, m := s(N, 5, 3), s(N, 4), s(N, 5, 4)
	masked := ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{0, 0, 0, 0, 1}}
	zero := ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{1, 1, 0, 0, 1, 1}}
	return []shapeCase{
		ok(ir.OpLSTM, "the last state with a mask", masked, s(N, 4), x, s(16, 3), s(16, 4), h, h, m),
		ok(ir.OpLSTM, "every state with a mask and biases", ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{1, 0, 0, 0, 1}}, s(N, 5, 4), x, s(16, 3), s(16, 4), h, h, s(16), s(16), m),
		ok(ir.OpGRU, "reversed sequences zeroed at masked steps", zero, s(N, 5, 4), x, s(12, 3), s(12, 4), h, m),
		ok(ir.OpSimpleRNN, "a mask", ir.Attrs{Act: "tanh", Extra: []int{0, 0, 0, 0, 1}}, s(N, 4), x, s(4, 3), s(4, 4), h, m),
		bad(ir.OpLSTM, "a mask of one value per step", masked, "the mask must be (N, 5, 4), a value per step and unit, not N×5×1", x, s(16, 3), s(16, 4), h, h, s(N, 5, 1)),
		bad(ir.OpLSTM, "the mask switch without the mask", masked, "takes (x, w_ih, w_hh, h0, c0) and optionally (b_ih, b_hh) and the mask: 6 or 8 inputs, not 5", x, s(16, 3), s(16, 4), h, h),
		bad(ir.OpGRU, "zeroed outputs without a mask", ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{1, 0, 0, 0, 0, 1}}, "extra[RNNZeroMasked] needs extra[RNNMasked]", x, s(12, 3), s(12, 4), h),
	}
}
