package ir_test

import "github.com/dlgen/dlgen/ir"

// repeatShapeCases are the shape rows of Repeat (RepeatVector) and its adjoint.
func repeatShapeCases() []shapeCase {
	rep := func(axis, n int) ir.Attrs { return ir.Attrs{Axis: axis, Repeats: n} }
	return []shapeCase{
		ok(ir.OpRepeat, "Keras' RepeatVector on (N, F)", rep(1, 28), s(N, 28, 64), s(N, 64)),
		ok(ir.OpRepeat, "one copy", rep(1, 1), s(N, 1, 5), s(N, 5)),
		ok(ir.OpRepeat, "a new last axis", rep(3, 4), s(N, 2, 3, 4), s(N, 2, 3)),
		ok(ir.OpRepeat, "a new middle axis", rep(2, 3), s(N, 2, 3, 5), s(N, 2, 5)),
		ok(ir.OpRepeat, "an unbatched vector along a new first axis", rep(0, 3), s(3, 4), s(4)),
		bad(ir.OpRepeat, "zero repeats", rep(1, 0), "repeats 0 must be at least 1", s(N, 4)),
		bad(ir.OpRepeat, "negative repeats", rep(1, -2), "repeats -2 must be at least 1", s(N, 4)),
		bad(ir.OpRepeat, "a new axis before the batch", rep(0, 2), "axis 0 is not a place for a new axis in N×4 (1 to 2)", s(N, 4)),
		bad(ir.OpRepeat, "an axis past the end", rep(3, 2), "axis 3 is not a place for a new axis in N×4 (1 to 2)", s(N, 4)),
		bad(ir.OpRepeat, "two inputs", rep(1, 2), "takes 1 inputs, got 2", s(N, 4), s(N, 4)),
		ok(ir.OpRepeatGrad, "the steps of (N, T, F)", ir.Attrs{Axis: 1}, s(N, 64), s(N, 28, 64)),
		ok(ir.OpRepeatGrad, "the last axis", ir.Attrs{Axis: 3}, s(N, 2, 3), s(N, 2, 3, 4)),
		ok(ir.OpRepeatGrad, "an unbatched first axis", ir.Attrs{}, s(4), s(3, 4)),
		bad(ir.OpRepeatGrad, "the batch axis", ir.Attrs{}, "axis 0 is not a non-batch axis of N×3×4", s(N, 3, 4)),
		bad(ir.OpRepeatGrad, "an axis past the end", ir.Attrs{Axis: 3}, "axis 3 is not a non-batch axis of N×3×4", s(N, 3, 4)),
	}
}
