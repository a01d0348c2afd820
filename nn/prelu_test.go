package nn_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

func TestPReLUParametersFollowPyTorchAndKeras(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []int
		opts  []nn.Option
		param ir.Shape // the weight's shape, which PReLU reads
		init  ir.Init
	}{
		{"PyTorch's one α on an image", []int{3, 4, 5}, nil, ir.Shape{1}, ir.Init{Kind: ir.InitConst, Value: 0.25}},
		{"PyTorch's one α on (N, F)", []int{6}, nil, ir.Shape{1}, ir.Init{Kind: ir.InitConst, Value: 0.25}},
		{"an α per channel of an image", []int{3, 4, 5}, []nn.Option{nn.PerChannel}, ir.Shape{3}, ir.Init{Kind: ir.InitConst, Value: 0.25}},
		{"an α per channel of (N, C) with PyTorch's init=0.1", []int{6}, []nn.Option{nn.PerChannel, nn.KernelInit("const", 0.1)}, ir.Shape{6}, ir.Init{Kind: ir.InitConst, Value: 0.1}},
		{"Keras' α per element with its zeros", []int{5, 6}, []nn.Option{nn.SharedAxes(), nn.KernelInit("zeros")}, ir.Shape{5, 6}, ir.Init{Kind: ir.InitZeros}},
		{"Keras' shared_axes=[1] on (N, T, F)", []int{5, 6}, []nn.Option{nn.SharedAxes(1)}, ir.Shape{1, 6}, ir.Init{Kind: ir.InitConst, Value: 0.25}},
		{"Keras' shared_axes=[1, 2] of a channels-last image, SharedAxes(2, 3) in NCHW", []int{3, 4, 5}, []nn.Option{nn.SharedAxes(3, 2)}, ir.Shape{3, 1, 1}, ir.Init{Kind: ir.InitConst, Value: 0.25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", m.Input("x", tc.in...).PReLU("act", tc.opts...))
			g := build(t, m)
			n := node(t, g, "act")
			assert.Equal(t, ir.OpPReLU, n.Op)
			assert.Equal(t, append(ir.Shape{N}, tc.in...), n.Shape)
			w := node(t, g, "act.weight")
			assert.Equal(t, ir.OpParam, w.Op)
			assert.Equal(t, ir.RoleWeight, w.Attrs.Role)
			assert.Equal(t, tc.param, w.Attrs.Shape)
			assert.Equal(t, tc.init, *w.Attrs.Init)
			assert.Equal(t, []int{node(t, g, "x").ID, w.ID}, n.Inputs)
		})
	}
}

func TestPReLUErrorsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []int
		opts []nn.Option
		want string
	}{
		{"a shared axis past the input's", []int{4, 5}, []nn.Option{nn.SharedAxes(3)}, "act (PReLU) on input N×4×5: nn.SharedAxes(3): shared axis 3 is not an axis of the input N×4×5 after the batch (1 to 2)"},
		{"the batch as a shared axis", []int{4, 5}, []nn.Option{nn.SharedAxes(0)}, "nn.SharedAxes(0): shared axis 0 is not an axis of the input"},
		{"an axis twice", []int{4, 5}, []nn.Option{nn.SharedAxes(1, 1)}, "act (PReLU) on input N×4×5: nn.SharedAxes(1, 1) lists axis 1 twice"},
		{"PerChannel and SharedAxes", []int{4, 5}, []nn.Option{nn.PerChannel, nn.SharedAxes(1)}, "is given twice"},
		{"an option it does not take", []int{4}, []nn.Option{nn.Eps(0.1)}, "option nn.Eps(0.1) does not apply to this layer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", m.Input("x", tc.in...).PReLU("act", tc.opts...))
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie))
			assert.Equal(t, "act", ie.Layer)
		})
	}
}
