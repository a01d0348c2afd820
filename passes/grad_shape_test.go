package passes_test

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

func TestShapeGradients(t *testing.T) {
	runGradCases(t, []gradCase{
		{"reshape", ir.OpReshape, ir.Attrs{Shape: ir.Shape{3, 2}}, []gradcheck.Operand{{Shape: batched(2, 3)}}},
		{"flatten", ir.OpReshape, ir.Attrs{Shape: ir.Shape{12}}, []gradcheck.Operand{{Shape: batched(2, 2, 3)}}},
		{"reshape of a parameter", ir.OpReshape, ir.Attrs{Shape: ir.Shape{6}}, []gradcheck.Operand{{Shape: ir.Shape{2, 3}, Param: true}}},
		{"concat of three along axis 1", ir.OpConcat, ir.Attrs{Axis: 1}, []gradcheck.Operand{
			{Shape: batched(2, 3)}, {Shape: batched(1, 3)}, {Shape: batched(3, 3)}}},
		{"concat along axis 2", ir.OpConcat, ir.Attrs{Axis: 2}, []gradcheck.Operand{
			{Shape: batched(2, 3)}, {Shape: batched(2, 1)}}},
		{"concat of parameters along axis 0", ir.OpConcat, ir.Attrs{Axis: 0}, []gradcheck.Operand{
			{Shape: ir.Shape{2, 3}, Param: true}, {Shape: ir.Shape{1, 3}, Param: true}}},
		{"slice along axis 1", ir.OpSlice, ir.Attrs{Axis: 1, Start: 1, End: 3}, []gradcheck.Operand{{Shape: batched(4, 3)}}},
		{"slice along the last axis", ir.OpSlice, ir.Attrs{Axis: 2, Start: 0, End: 2}, []gradcheck.Operand{{Shape: batched(4, 3)}}},
	})
}
