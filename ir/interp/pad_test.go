package interp_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

// Pad2D on small planes worked out by hand: each case documents one convention (the
// order of the pads, negative pads as crops, both at once). PyTorch agreement on
// more shapes is in the ops goldens (TestOpsMatchPyTorch, F.pad).
func TestPad2DOnHandComputedCases(t *testing.T) {
	pads := func(top, left, bottom, right int) ir.Attrs { return ir.Attrs{Pads: []int{top, left, bottom, right}} }
	x23 := convIn([]int{1, 1, 2, 3}, 1, 2, 3, 4, 5, 6)
	for _, tc := range []struct {
		name  string
		attrs ir.Attrs
		x     convArg
		shape []int
		want  []float64
	}{
		{"pads are top, left, bottom, right", pads(1, 2, 0, 1), x23, []int{1, 1, 3, 6}, []float64{
			0, 0, 0, 0, 0, 0,
			0, 0, 1, 2, 3, 0,
			0, 0, 4, 5, 6, 0}},
		{"negative pads crop", pads(0, -1, -1, -1), x23, []int{1, 1, 1, 1}, []float64{2}},
		{"a crop on one side and a pad on the other", pads(-1, 1, 1, -2), x23, []int{1, 1, 2, 2}, []float64{
			0, 4,
			0, 0}},
		{"no pads copy", pads(0, 0, 0, 0), x23, []int{1, 1, 2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"each plane of each item is padded alike", pads(0, 1, 0, 0), convIn([]int{2, 2, 1, 1}, 1, 2, 3, 4), []int{2, 2, 1, 2},
			[]float64{0, 1, 0, 2, 0, 3, 0, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := runConvOp(t, ir.OpPad2D, tc.attrs, tc.x)
			require.Equal(t, tc.shape, y.Shape)
			require.Equal(t, tc.want, y.Data)
		})
	}
}
