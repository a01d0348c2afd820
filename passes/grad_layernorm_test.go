package passes_test

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

// LayerNorm's gradients (dx through the row's mean and variance, dγ and dβ) checked
// by central finite differences: the last axis of (N, F) and of (N, T, F), the last
// three axes of an image (PyTorch's normalized_shape (C, H, W)), without the affine
// parameters, with γ alone, with a large eps (where the variance term's share
// changes), a row of one element (x̂ = 0: dx = 0) and an unbatched input normalised
// over its whole shape.
func TestLayerNormGradients(t *testing.T) {
	ln := func(axis int, eps float64) ir.Attrs { return ir.Attrs{Axis: axis, Eps: eps} }
	param := func(dims ...int) gradcheck.Operand {
		return gradcheck.Operand{Shape: ir.Shape(dims), Param: true, Lo: 0.5, Hi: 1.5}
	}
	runGradCases(t, []gradCase{
		{"the features of (N, F)", ir.OpLayerNorm, ln(1, 1e-5), []gradcheck.Operand{{Shape: batched(5)}, param(5), param(5)}},
		{"the features of (N, T, F)", ir.OpLayerNorm, ln(2, 1e-5), []gradcheck.Operand{{Shape: batched(3, 4)}, param(4), param(4)}},
		{"(C, H, W) of an image", ir.OpLayerNorm, ln(1, 1e-5), []gradcheck.Operand{{Shape: batched(2, 3, 2)}, param(2, 3, 2), param(2, 3, 2)}},
		{"(H, W) of an image", ir.OpLayerNorm, ln(2, 1e-5), []gradcheck.Operand{{Shape: batched(2, 3, 2)}, param(3, 2), param(3, 2)}},
		{"no affine parameters", ir.OpLayerNorm, ln(2, 1e-5), []gradcheck.Operand{{Shape: batched(3, 4)}}},
		{"γ alone", ir.OpLayerNorm, ln(1, 1e-5), []gradcheck.Operand{{Shape: batched(6)}, param(6)}},
		{"Keras' eps, large next to the variance", ir.OpLayerNorm, ln(1, 0.5), []gradcheck.Operand{{Shape: batched(4), Lo: -0.5, Hi: 0.5}, param(4), param(4)}},
		{"a row of one element", ir.OpLayerNorm, ln(2, 1e-3), []gradcheck.Operand{{Shape: batched(3, 1)}, param(1), param(1)}},
		{"an unbatched input over its whole shape", ir.OpLayerNorm, ln(0, 1e-5), []gradcheck.Operand{{Shape: ir.Shape{2, 3}, Param: true}, param(2, 3), param(2, 3)}},
	})
}
