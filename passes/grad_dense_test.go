package passes_test

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

// A dense layer on the last axis of (N, T, F) and (N, A, B, F): the products of
// stacked rows (and the weight-gradient form that contracts over every leading
// axis, which autodiff makes from them, differentiated in turn) and the bias along
// the last axis, against central differences, with respect to every operand.
func TestDenseOnTheLastAxisGradients(t *testing.T) {
	seq := gradcheck.Operand{Shape: batched(4, 5)}
	grid := gradcheck.Operand{Shape: batched(2, 3, 5)}
	w := gradcheck.Operand{Shape: ir.Shape{6, 5}, Param: true}  // (out, in), as Linear
	wt := gradcheck.Operand{Shape: ir.Shape{5, 6}, Param: true} // (in, out)
	v := gradcheck.Operand{Shape: ir.Shape{5}, Param: true}     // a bias over F
	dy := gradcheck.Operand{Shape: batched(4, 6)}               // dL/dy of a (N, 4, 6) result
	runGradCases(t, []gradCase{
		{"Dense on a sequence: x·Wᵀ", ir.OpMatMul, ir.Attrs{TransB: true}, []gradcheck.Operand{seq, w}},
		{"a sequence times a plain matrix", ir.OpMatMul, ir.Attrs{}, []gradcheck.Operand{seq, wt}},
		{"Dense on a rank-4 input", ir.OpMatMul, ir.Attrs{TransB: true}, []gradcheck.Operand{grid, w}},
		{"an unbatched stack", ir.OpMatMul, ir.Attrs{}, []gradcheck.Operand{{Shape: ir.Shape{2, 3, 5}, Param: true}, wt}},
		{"xᵀ·dy over batch and steps", ir.OpMatMul, ir.Attrs{TransA: true}, []gradcheck.Operand{seq, dy}},
		{"dyᵀ·x over batch and steps", ir.OpMatMul, ir.Attrs{TransA: true}, []gradcheck.Operand{dy, seq}},
		{"bias along the last axis of a sequence", ir.OpBiasAddLast, ir.Attrs{}, []gradcheck.Operand{seq, v}},
		{"bias along the last axis of a rank-4 input", ir.OpBiasAddLast, ir.Attrs{}, []gradcheck.Operand{grid, v}},
		{"bias along the last axis of (N, C)", ir.OpBiasAddLast, ir.Attrs{}, []gradcheck.Operand{{Shape: batched(5)}, v}},
	})
}
