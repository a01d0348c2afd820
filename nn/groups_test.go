package nn_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// A grouped Conv2D is one Conv2D per group, on slices of the input's channels and
// of the weight's filters, concatenated along the channels; the bias is added once.
func TestGroupedConv2DIsOneConvolutionPerGroup(t *testing.T) {
	m := nn.New("m")
	y := m.Input("x", 6, 5, 5).Conv2D("c", 4, nn.K(3), nn.Groups(2))
	m.Output("y", y)
	g := build(t, m)
	assert.Equal(t, ir.Shape{4, 3, 3, 3}, node(t, g, "c.weight").Shape, "PyTorch's (filters, C/groups, kh, kw)")
	cat := node(t, g, "c")
	assert.Equal(t, ir.OpConcat, cat.Op)
	require.Len(t, cat.Inputs, 2)
	for i, want := range []struct{ x, w [2]int }{{[2]int{0, 3}, [2]int{0, 2}}, {[2]int{3, 6}, [2]int{2, 4}}} {
		conv := g.Nodes[cat.Inputs[i]]
		assert.Equal(t, ir.OpConv2D, conv.Op)
		xs, ws := g.Nodes[conv.Inputs[0]], g.Nodes[conv.Inputs[1]]
		assert.Equal(t, ir.Attrs{Axis: 1, Start: want.x[0], End: want.x[1]}, xs.Attrs, "group %d's channels", i)
		assert.Equal(t, ir.Attrs{Start: want.w[0], End: want.w[1]}, ws.Attrs, "group %d's filters", i)
		assert.Equal(t, node(t, g, "c.weight").ID, ws.Inputs[0])
	}
	assert.Equal(t, ir.Shape{N, 4, 3, 3}, y.Shape())
	assert.Equal(t, ir.OpBiasAdd, node(t, g, "c/bias").Op)

	// One group is the plain convolution.
	m = nn.New("m")
	m.Output("y", m.Input("x", 6, 5, 5).Conv2D("c", 4, nn.K(3), nn.Groups(1)))
	assert.Equal(t, ir.OpConv2D, node(t, build(t, m), "c").Op)
}

func TestDepthwiseConv2DIsGroupsEqualToChannels(t *testing.T) {
	m := nn.New("m")
	y := m.Input("x", 3, 8, 8).DepthwiseConv2D("dw", 2, nn.K(3), nn.Same, nn.NoBias)
	m.Output("y", y)
	g := build(t, m)
	assert.Equal(t, ir.Shape{6, 1, 3, 3}, node(t, g, "dw.weight").Shape)
	assert.Len(t, node(t, g, "dw").Inputs, 3)
	assert.Equal(t, ir.Shape{N, 6, 8, 8}, y.Shape())
}

func TestGroupsErrorsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(x *nn.T) *nn.T
		want string
	}{
		{"groups not dividing the channels", func(x *nn.T) *nn.T { return x.Conv2D("c", 4, nn.K(3), nn.Groups(4)) },
			"c (Conv2D) on input N×6×5×5: nn.Groups(4) must divide the 6 input channels"},
		{"groups not dividing the filters", func(x *nn.T) *nn.T { return x.Conv2D("c", 4, nn.K(3), nn.Groups(3)) },
			"nn.Groups(3) must divide the 4 filters"},
		{"zero groups", func(x *nn.T) *nn.T { return x.Conv2D("c", 4, nn.K(3), nn.Groups(0)) },
			"nn.Groups(0) must be positive"},
		{"groups on a transposed convolution", func(x *nn.T) *nn.T { return x.Conv2DTranspose("c", 4, nn.K(3), nn.Groups(2)) },
			"option nn.Groups(2) does not apply to this layer"},
		{"groups on a depthwise convolution", func(x *nn.T) *nn.T { return x.DepthwiseConv2D("c", 1, nn.K(3), nn.Groups(2)) },
			"option nn.Groups(2) does not apply to this layer"},
		{"a zero depth multiplier", func(x *nn.T) *nn.T { return x.DepthwiseConv2D("c", 0, nn.K(3)) },
			"c (DepthwiseConv2D) on input N×6×5×5: depth multiplier 0 must be positive"},
		{"a depthwise convolution without a window", func(x *nn.T) *nn.T { return x.DepthwiseConv2D("c", 1) },
			"needs a window size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", tc.make(m.Input("x", 6, 5, 5)))
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie))
			assert.Equal(t, "c", ie.Layer)
		})
	}

	// Conv1D checks the same.
	m := nn.New("m")
	m.Output("y", m.Input("x", 6, 10).Conv1D("c", 4, nn.K(3), nn.Groups(4)))
	_, err := m.Build()
	require.ErrorContains(t, err, "c (Conv1D) on input N×6×10: nn.Groups(4) must divide the 6 input channels")
}

func TestSeparableConv2DIsDepthwiseThenPointwise(t *testing.T) {
	m := nn.New("m")
	y := m.Input("x", 3, 9, 9).SeparableConv2D("sep", 5, nn.K(3), nn.Strides(2), nn.Same, nn.Act("relu"))
	m.Output("y", y)
	g := build(t, m)
	assert.Equal(t, ir.Shape{3, 1, 3, 3}, node(t, g, "sep.depthwise_weight").Shape)
	assert.Equal(t, ir.Shape{5, 3, 1, 1}, node(t, g, "sep.pointwise_weight").Shape)
	assert.Equal(t, ir.Shape{5}, node(t, g, "sep.bias").Shape)
	pw := node(t, g, "sep/pointwise")
	assert.Equal(t, ir.OpConv2D, pw.Op)
	assert.Equal(t, node(t, g, "sep").ID, pw.Inputs[0], "the pointwise convolution reads the depthwise one's channels")
	assert.Len(t, node(t, g, "sep").Inputs, 3, "one convolution per channel")
	assert.Equal(t, ir.Shape{N, 5, 5, 5}, y.Shape())

	m = nn.New("m")
	m.Output("y", m.Input("x", 3, 9, 9).SeparableConv2D("sep", 0, nn.K(3)))
	_, err := m.Build()
	require.ErrorContains(t, err, "sep (SeparableConv2D) on input N×3×9×9: filters 0 must be positive")
}
