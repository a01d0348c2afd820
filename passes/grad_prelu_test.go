package passes_test

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

// PReLU's gradients for x and α, checked by central finite differences with every x
// 0.05 away from the kink: one shared α on (N, F) and on an image, one α per channel
// of an image (the sum over the batch and the plane), Keras' α per element and α
// shared over the steps of (N, T, F), and negative and above-one slopes.
func TestPReLUGradients(t *testing.T) {
	x := func(sh ir.Shape, seed uint64) gradcheck.Operand {
		return gradcheck.Operand{Shape: sh, Values: awayFrom(elems(sh), 0, 0.05, seed)}
	}
	alpha := func(sh ir.Shape, lo, hi float64) gradcheck.Operand {
		return gradcheck.Operand{Shape: sh, Param: true, Lo: lo, Hi: hi}
	}
	runGradCases(t, []gradCase{
		{"one α on (N, F)", ir.OpPReLU, ir.Attrs{}, []gradcheck.Operand{x(batched(5), 1), alpha(ir.Shape{1}, 0, 0.5)}},
		{"one α on an image", ir.OpPReLU, ir.Attrs{}, []gradcheck.Operand{x(batched(2, 3, 3), 2), alpha(ir.Shape{1, 1, 1}, 0, 0.5)}},
		{"α per channel of an image", ir.OpPReLU, ir.Attrs{}, []gradcheck.Operand{x(batched(3, 2, 4), 3), alpha(ir.Shape{3, 1, 1}, 0, 0.5)}},
		{"α per element of (N, T, F)", ir.OpPReLU, ir.Attrs{}, []gradcheck.Operand{x(batched(3, 4), 4), alpha(ir.Shape{3, 4}, -1, 2)}},
		{"α shared over the steps of (N, T, F)", ir.OpPReLU, ir.Attrs{}, []gradcheck.Operand{x(batched(3, 4), 5), alpha(ir.Shape{1, 4}, -1, 2)}},
		{"α shared over the features, per step", ir.OpPReLU, ir.Attrs{}, []gradcheck.Operand{x(batched(3, 4), 6), alpha(ir.Shape{3, 1}, -1, 2)}},
	})
}
