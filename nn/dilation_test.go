package nn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// nn.Dilation: the convolutions pad and size for the dilated kernel's span
// (k-1)·d+1, as Keras (and PyTorch, whose padding="same" at stride 1 agrees).

func TestDilatedConv1DPadsForTheSpan(t *testing.T) {
	for _, tc := range []struct {
		name        string
		length      int
		opts        []nn.Option
		left, right int
		stride      int
		out         int
	}{
		{"valid: a 3-tap kernel dilated by 2 spans 5", 10, []nn.Option{nn.K(3), nn.Dilation(2)}, 0, 0, 1, 6},
		{"causal pads (k-1)·d before the sequence (a TCN layer)", 9, []nn.Option{nn.K(3), nn.Dilation(4), nn.Causal}, 8, 0, 1, 9},
		{"causal with stride 2, as PyTorch allows", 9, []nn.Option{nn.K(2), nn.Dilation(2), nn.Strides(2), nn.Causal}, 2, 0, 2, 5},
		{"same keeps the length, pads (span-1)/2 each side", 9, []nn.Option{nn.K(3), nn.Dilation(2), nn.Same}, 2, 2, 1, 9},
		{"same with stride 2: ceil(9/2), the odd pad at the end", 9, []nn.Option{nn.K(2), nn.Dilation(3), nn.Strides(2), nn.Same}, 1, 2, 2, 5},
		{"full pads span-1 at both ends", 5, []nn.Option{nn.K(3), nn.Dilation(2), nn.Full}, 4, 4, 1, 9},
		{"PyTorch's padding=1, dilation=2, stride=2", 7, []nn.Option{nn.K(3), nn.Dilation(2), nn.Strides(2), nn.Pads(1)}, 1, 1, 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := m.Input("x", 2, tc.length).Conv1D("conv", 5, tc.opts...)
			m.Output("y", y)
			g := build(t, m)
			c := node(t, g, "conv")
			assert.Equal(t, []int{0, tc.left, 0, tc.right}, c.Attrs.Pads)
			assert.Equal(t, []int{1, tc.stride}, c.Attrs.Strides)
			require.Len(t, c.Attrs.Dilations, 2)
			assert.Equal(t, 1, c.Attrs.Dilations[0], "no dilation along the view's height")
			assert.Equal(t, ir.Shape{N, 5, tc.out}, y.Shape())
		})
	}
}

func TestDilatedConv2DAttributesAndSizes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		h, w      int
		opts      []nn.Option
		pads, dil []int
		oh, ow    int
	}{
		{"one value dilates both axes; same keeps the size", 7, 9, []nn.Option{nn.K(3), nn.Dilation(2), nn.Same}, []int{2, 2, 2, 2}, []int{2, 2}, 7, 9},
		{"one value per axis", 8, 10, []nn.Option{nn.K(3), nn.Dilation(1, 3)}, []int{0, 0, 0, 0}, []int{1, 3}, 6, 4},
		{"strides with a dilation", 9, 9, []nn.Option{nn.K(3), nn.Dilation(2), nn.Strides(2)}, []int{0, 0, 0, 0}, []int{2, 2}, 3, 3},
		{"Keras same with strides (2,3): pads of the span, odd ones at the end", 7, 9, []nn.Option{nn.K(2, 3), nn.Dilation(3, 2), nn.Strides(2, 3), nn.Same}, []int{1, 1, 2, 1}, []int{3, 2}, 4, 3},
		{"full", 4, 5, []nn.Option{nn.K(2, 3), nn.Dilation(3, 2), nn.Full}, []int{3, 4, 3, 4}, []int{3, 2}, 7, 9},
		{"dilation 1 is no attribute at all", 6, 6, []nn.Option{nn.K(3), nn.Dilation(1)}, []int{0, 0, 0, 0}, nil, 4, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := m.Input("x", 3, tc.h, tc.w).Conv2D("conv", 4, tc.opts...)
			m.Output("y", y)
			g := build(t, m)
			c := node(t, g, "conv")
			assert.Equal(t, ir.OpConv2D, c.Op)
			assert.Equal(t, tc.pads, c.Attrs.Pads)
			assert.Equal(t, tc.dil, c.Attrs.Dilations)
			assert.Equal(t, ir.Shape{N, 4, tc.oh, tc.ow}, y.Shape())
		})
	}
}

func TestDilatedTransposedConvolutions(t *testing.T) {
	for _, tc := range []struct {
		name         string
		h, w         int
		opts         []nn.Option
		pads, outPad []int
		oh, ow       int
		oneD         bool
		dil          []int
	}{
		// Keras: valid gives in·s + max(span - s, 0), same in·s.
		{"valid grows by span-1", 4, 5, []nn.Option{nn.K(3), nn.Dilation(2)}, []int{0, 0, 0, 0}, []int{0, 0}, 8, 9, false, []int{2, 2}},
		{"same at stride 2 doubles", 4, 5, []nn.Option{nn.K(3), nn.Dilation(2), nn.Strides(2), nn.Same}, []int{1, 1, 2, 2}, []int{0, 0}, 8, 10, false, []int{2, 2}},
		// PyTorch: ConvTranspose2d(k=3, s=2, padding=2, output_padding=1, dilation=2) on
		// 5×7 gives (5-1)·2 - 4 + 2·2 + 1 + 1 = 10 by 14.
		{"PyTorch's padding, output_padding and dilation", 5, 7, []nn.Option{nn.K(3), nn.Dilation(2), nn.Strides(2), nn.Pads(2), nn.OutPad(1)}, []int{2, 2, 2, 2}, []int{1, 1}, 10, 14, false, []int{2, 2}},
		{"Conv1DTranspose same at stride 2", 1, 5, []nn.Option{nn.K(3), nn.Dilation(2), nn.Strides(2), nn.Same}, []int{0, 1, 0, 2}, []int{0, 0}, 1, 10, true, []int{1, 2}},
		{"Conv1DTranspose valid", 1, 5, []nn.Option{nn.K(2), nn.Dilation(4)}, []int{0, 0, 0, 0}, []int{0, 0}, 1, 9, true, []int{1, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			var y *nn.T
			if tc.oneD {
				y = m.Input("x", 3, tc.w).Conv1DTranspose("up", 2, tc.opts...)
			} else {
				y = m.Input("x", 3, tc.h, tc.w).Conv2DTranspose("up", 2, tc.opts...)
			}
			m.Output("y", y)
			g := build(t, m)
			c := node(t, g, "up")
			assert.Equal(t, ir.OpConv2DTranspose, c.Op)
			assert.Equal(t, tc.pads, c.Attrs.Pads)
			assert.Equal(t, tc.outPad, c.Attrs.OutPad)
			assert.Equal(t, tc.dil, c.Attrs.Dilations)
			assert.Equal(t, ir.Shape{N, 2, tc.oh, tc.ow}, c.Shape)
		})
	}
}

func TestDilationErrorsNameTheLayer(t *testing.T) {
	seq := func(f func(x *nn.T) *nn.T) func() *nn.Model {
		return func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, f(m.Input("x", 2, 5)))
		}
	}
	img := func(f func(x *nn.T) *nn.T) func() *nn.Model {
		return func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, f(m.Input("x", 2, 5, 5)))
		}
	}
	for _, tc := range []struct {
		name  string
		model func() *nn.Model
		want  string
	}{
		{"a zero dilation", img(func(x *nn.T) *nn.T { return x.Conv2D("c", 4, nn.K(3), nn.Dilation(0)) }),
			"c (Conv2D) on input N×2×5×5: nn.Dilation(0, 0) must be positive"},
		{"a negative dilation on a 1-D layer", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 4, nn.K(3), nn.Dilation(-1)) }),
			"c (Conv1D) on input N×2×5: nn.Dilation(-1) must be positive"},
		{"three dilations", img(func(x *nn.T) *nn.T { return x.Conv2DTranspose("c", 4, nn.K(3), nn.Dilation(1, 2, 3)) }),
			"c (Conv2DTranspose) on input N×2×5×5: nn.Dilation takes 1 or 2 values, got 3"},
		{"two dilations on a 1-D layer", seq(func(x *nn.T) *nn.T { return x.Conv1DTranspose("c", 4, nn.K(3), nn.Dilation(2, 2)) }),
			"c (Conv1DTranspose) on input N×2×5: nn.Dilation takes one value on a 1-D layer, got 2"},
		{"a dilation on pooling", img(func(x *nn.T) *nn.T { return x.MaxPool2D("p", nn.K(2), nn.Dilation(2)) }),
			"p (MaxPool2D) on input N×2×5×5: option nn.Dilation(2) does not apply to this layer"},
		{"a dilation on a 1-D pool", seq(func(x *nn.T) *nn.T { return x.AvgPool1D("p", nn.K(2), nn.Dilation(2)) }),
			"p (AvgPool1D) on input N×2×5: option nn.Dilation(2) does not apply to this layer"},
		{"a dilated 1-D kernel longer than the padded input", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 4, nn.K(3), nn.Dilation(3), nn.Pads(1, 0)) }),
			"c (Conv1D) on input N×2×5: kernel 3 dilated by 3 spans 7, longer than the padded input 6 (length 5, pads (1, 0))"},
		{"a dilated 2-D kernel larger than the padded input", img(func(x *nn.T) *nn.T { return x.Conv2D("c", 4, nn.K(3), nn.Dilation(3, 1)) }),
			"c (Conv2D) on input N×2×5×5, 4×2×3×3: kernel 3x3 dilated by 3x1: kernel 7x3 is larger than the padded input 5x5"},
		{"an output padding below the dilation but not the stride (PyTorch allows it)", img(func(x *nn.T) *nn.T {
			return x.Conv2DTranspose("c", 4, nn.K(3), nn.Dilation(2), nn.Pads(1), nn.OutPad(1))
		}), "c (Conv2DTranspose)"},
		{"a dilation given twice", img(func(x *nn.T) *nn.T { return x.Conv2D("c", 4, nn.K(3), nn.Dilation(2), nn.Dilation(2)) }),
			"c (Conv2D) on input N×2×5×5: option nn.Dilation(2) is given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := tc.model().Build()
			require.Error(t, err)
			assert.Nil(t, g)
			assert.True(t, strings.Contains(err.Error(), tc.want), "error %q lacks %q", err, tc.want)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie), "error %q is not an *ir.Error", err)
			assert.Equal(t, tc.want[:1], ie.Layer)
		})
	}
}

// Dilation changes no parameter: Conv1d(2, 5, 3, dilation=4)'s weight is (5, 2, 3)
// with the fans of an undilated one, and the 1-D dilation is {1, d} on the view.
func TestDilationKeepsTheWeights(t *testing.T) {
	m := nn.New("m")
	m.Output("y", m.Input("x", 2, 20).Conv1D("conv", 5, nn.K(3), nn.Dilation(4), nn.Causal))
	g := build(t, m)
	w := node(t, g, "conv.weight")
	assert.Equal(t, ir.Shape{5, 2, 3}, w.Shape)
	assert.Equal(t, &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 6, FanOut: 15}, w.Attrs.Init)
	assert.Equal(t, []int{1, 4}, node(t, g, "conv").Attrs.Dilations)
}
