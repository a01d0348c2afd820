package passes_test

import (
	"math"
	"testing"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

// Transpose's gradient, the inverse transpose of dy, checked by central finite
// differences on permutations that are not their own inverse, and on a parameter.
func TestTransposeGradients(t *testing.T) {
	runGradCases(t, []gradCase{
		{"Permute(2, 1) of (N, T, F)", ir.OpTranspose, ir.Attrs{Perm: []int{0, 2, 1}}, []gradcheck.Operand{{Shape: batched(3, 4)}}},
		{"NHWC to NCHW", ir.OpTranspose, ir.Attrs{Perm: []int{0, 3, 1, 2}}, []gradcheck.Operand{{Shape: batched(2, 3, 4)}}},
		{"three axes rotated", ir.OpTranspose, ir.Attrs{Perm: []int{0, 2, 3, 1}}, []gradcheck.Operand{{Shape: batched(2, 3, 4)}}},
		{"a parameter's matrix", ir.OpTranspose, ir.Attrs{Perm: []int{1, 0}}, []gradcheck.Operand{{Shape: ir.Shape{2, 3}, Param: true}}},
	})
}

// ReluMax's gradient (through ReluMaxGrad, which reads the output) with inputs
// below 0, between 0 and the cap, and above it, every one 0.1 away from both kinks.
func TestReluMaxGradients(t *testing.T) {
	s := batched(2, 3)
	v := uniformValues(elems(s), -2, 3, 11)
	for i := range v {
		if math.Abs(v[i]) < 0.1 {
			v[i] += 0.2
		}
		if math.Abs(v[i]-1.5) < 0.1 {
			v[i] += 0.25
		}
	}
	runGradCases(t, []gradCase{
		{"relu capped at 1.5 on both sides of both kinks", ir.OpReluMax, ir.Attrs{Alpha: 1.5}, []gradcheck.Operand{{Shape: s, Values: v}}},
	})
}
