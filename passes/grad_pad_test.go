package passes_test

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

// Pad2D is linear, so central differences give its adjoint up to rounding: zero
// padding, cropping, both on one axis, a crop down to one row, and the padding of a
// crop that leaves fewer rows than it adds.
func TestPad2DGradients(t *testing.T) {
	for _, tc := range []struct {
		name string
		hw   []int
		pads []int
	}{
		{"zero padding of every side by its own amount", []int{3, 5}, []int{1, 2, 3, 0}},
		{"cropping", []int{6, 5}, []int{-1, -2, -2, 0}},
		{"a crop and a pad on each axis", []int{4, 5}, []int{2, -1, -3, 1}},
		{"a crop to one row and column", []int{3, 4}, []int{-1, -3, -1, 0}},
		{"no pads", []int{2, 3}, []int{0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireConvGradsOK(t, ir.OpPad2D, ir.Attrs{Pads: tc.pads}, []gradcheck.Operand{{Shape: ir.Shape{ir.Batch, 2, tc.hw[0], tc.hw[1]}}}, 1)
		})
	}
}
