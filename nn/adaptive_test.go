package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// Sizes that divide the input make one pool whose window is its stride; others pool
// each axis's windows and concatenate them.
func TestAdaptivePoolingIsOnePoolWhenTheSizesDivide(t *testing.T) {
	m := nn.New("m")
	y := m.Input("x", 3, 14, 12).AdaptiveAvgPool2D("p", 7, 4)
	m.Output("y", y)
	g := build(t, m)
	p := node(t, g, "p")
	assert.Equal(t, ir.OpAvgPool2D, p.Op)
	assert.Equal(t, ir.Attrs{Kernel: []int{2, 3}, Strides: []int{2, 3}, Pads: []int{0, 0, 0, 0}}, p.Attrs)
	assert.Equal(t, ir.Shape{N, 3, 7, 4}, y.Shape())
}

func TestAdaptivePoolingWindowsFollowPyTorch(t *testing.T) {
	m := nn.New("m")
	y := m.Input("x", 3, 7, 6).AdaptiveMaxPool2D("p", 3, 2) // rows: 7 into 3; columns: 6 into 2 (one pool)
	m.Output("y", y)
	g := build(t, m)
	assert.Equal(t, ir.Shape{N, 3, 3, 2}, y.Shape())
	rows := node(t, g, "p/rows")
	assert.Equal(t, ir.OpConcat, rows.Op)
	for i, want := range [][2]int{{0, 3}, {2, 5}, {4, 7}} { // floor(i·7/3) to ceil((i+1)·7/3)
		win := g.Nodes[rows.Inputs[i]]
		assert.Equal(t, ir.OpMaxPool2D, win.Op)
		assert.Equal(t, []int{want[1] - want[0], 1}, win.Attrs.Kernel, "row window %d", i)
		in := g.Nodes[win.Inputs[0]]
		if want[0] > 0 || want[1] < 7 {
			assert.Equal(t, ir.Attrs{Axis: 2, Start: want[0], End: want[1]}, in.Attrs, "row window %d", i)
		}
	}
	cols := node(t, g, "p")
	assert.Equal(t, ir.OpMaxPool2D, cols.Op, "6 columns into 2 windows of 3")
	assert.Equal(t, []int{1, 3}, cols.Attrs.Strides)
}

func TestAdaptivePoolingErrorsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		oh   int
		want string
	}{
		{[]int{3, 8, 8}, 0, "p (AdaptiveAvgPool2D) on input N×3×8×8: output size 0×2 must be positive"},
		{[]int{3, 8}, 2, "p (AdaptiveAvgPool2D) on input N×3×8: needs an (N, C, H, W) input"},
	} {
		m := nn.New("m")
		m.Output("y", m.Input("x", tc.in...).AdaptiveAvgPool2D("p", tc.oh, 2))
		_, err := m.Build()
		require.ErrorContains(t, err, tc.want)
	}
}
