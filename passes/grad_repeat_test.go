package passes_test

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

// Repeat's gradient, the sum over the repeated axis, checked by central finite
// differences: Keras' RepeatVector on (N, F), one copy, a new middle and a new last
// axis, and a parameter repeated along a new first axis.
func TestRepeatGradients(t *testing.T) {
	runGradCases(t, []gradCase{
		{"RepeatVector on (N, F)", ir.OpRepeat, ir.Attrs{Axis: 1, Repeats: 4}, []gradcheck.Operand{{Shape: batched(3)}}},
		{"one copy", ir.OpRepeat, ir.Attrs{Axis: 1, Repeats: 1}, []gradcheck.Operand{{Shape: batched(5)}}},
		{"a new middle axis", ir.OpRepeat, ir.Attrs{Axis: 2, Repeats: 3}, []gradcheck.Operand{{Shape: batched(2, 3)}}},
		{"a new last axis", ir.OpRepeat, ir.Attrs{Axis: 3, Repeats: 2}, []gradcheck.Operand{{Shape: batched(2, 3)}}},
		{"a parameter along a new first axis", ir.OpRepeat, ir.Attrs{Axis: 0, Repeats: 3}, []gradcheck.Operand{{Shape: ir.Shape{2, 3}, Param: true}}},
	})
}
