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

// The 1-D layers are the 2-D ops on (N, C, 1, L) views; these tests read the 2-D
// node each one builds.

func TestConv1DPaddingFollowsKeras(t *testing.T) {
	for _, tc := range []struct {
		name        string
		length      int
		opts        []nn.Option
		left, right int
		stride      int
		out         int
	}{
		{"valid is the default", 37, []nn.Option{nn.K(4)}, 0, 0, 1, 34},
		{"same with stride 2 gives ceil(37/2), the odd pad at the end", 37, []nn.Option{nn.K(4), nn.Strides(2), nn.Same}, 1, 2, 2, 19},
		{"same keeps the length at stride 1", 8, []nn.Option{nn.K(5), nn.Same}, 2, 2, 1, 8},
		{"same with stride 3 on an odd length", 11, []nn.Option{nn.K(2), nn.Strides(3), nn.Same}, 0, 0, 3, 4},
		{"causal pads k-1 before and keeps the length", 9, []nn.Option{nn.K(3), nn.Causal}, 2, 0, 1, 9},
		{"causal with stride 2 gives ceil(9/2)", 9, []nn.Option{nn.K(3), nn.Strides(2), nn.Causal}, 2, 0, 2, 5},
		{"full pads k-1 at both ends", 5, []nn.Option{nn.K(3), nn.Full}, 2, 2, 1, 7},
		{"one pad at both ends, PyTorch's padding=p", 5, []nn.Option{nn.K(3), nn.Pads(1)}, 1, 1, 1, 5},
		{"two pads are left and right", 5, []nn.Option{nn.K(3), nn.Pads(2, 1)}, 2, 1, 1, 6},
		{"valid with stride drops the remainder", 10, []nn.Option{nn.K(3), nn.Strides(3)}, 0, 0, 3, 3},
		{"a kernel as long as the input", 6, []nn.Option{nn.K(6)}, 0, 0, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := m.Input("x", 2, tc.length).Conv1D("conv", 5, tc.opts...)
			m.Output("y", y)
			g := build(t, m)
			c := node(t, g, "conv")
			assert.Equal(t, ir.OpConv2D, c.Op)
			assert.Equal(t, []int{0, tc.left, 0, tc.right}, c.Attrs.Pads)
			assert.Equal(t, []int{1, tc.stride}, c.Attrs.Strides)
			assert.Equal(t, ir.Shape{N, 5, 1, tc.out}, c.Shape)
			assert.Equal(t, ir.Shape{N, 5, tc.out}, y.Shape())
		})
	}
}

func TestConv1DHasPyTorchsWeightAndViewsIt(t *testing.T) {
	m := nn.New("m")
	y := m.Input("x", 3, 9).Conv1D("conv", 8, nn.K(5), nn.Act("relu"), nn.KernelInit("he_normal"))
	m.Output("y", y)
	g := build(t, m)

	// Conv1d(3, 8, 5): weight (8, 3, 5), fan_in 15, fan_out 40, bias (8).
	params := g.Params()
	require.Len(t, params, 2)
	assert.Equal(t, "conv.weight", params[0].Name)
	assert.Equal(t, ir.Shape{8, 3, 5}, params[0].Shape)
	assert.Equal(t, &ir.Init{Kind: ir.InitHeNormal, FanIn: 15, FanOut: 40}, params[0].Attrs.Init)
	assert.Equal(t, "conv.bias", params[1].Name)
	assert.Equal(t, ir.Shape{8}, params[1].Shape)

	// The convolution reads views of the input and of the weight, and its result is
	// viewed back as (N, 8, 5) after the bias and the activation.
	c := node(t, g, "conv")
	in, w := g.Nodes[c.Inputs[0]], g.Nodes[c.Inputs[1]]
	assert.Equal(t, "conv/in_2d", in.Name)
	assert.Equal(t, ir.OpReshape, in.Op)
	assert.Equal(t, ir.Shape{N, 3, 1, 9}, in.Shape)
	assert.Equal(t, "conv/weight_2d", w.Name)
	assert.Equal(t, ir.OpReshape, w.Op)
	assert.Equal(t, ir.Shape{8, 3, 1, 5}, w.Shape)
	assert.Equal(t, []int{params[0].ID}, w.Inputs)
	assert.Equal(t, ir.OpBiasAdd, node(t, g, "conv/bias").Op)
	assert.Equal(t, ir.OpRelu, node(t, g, "conv/relu").Op)
	out := node(t, g, "conv/out")
	assert.Equal(t, ir.OpReshape, out.Op)
	assert.Equal(t, []int{node(t, g, "conv/relu").ID}, out.Inputs)
	assert.Equal(t, ir.Shape{N, 8, 5}, out.Shape)
	assert.Equal(t, "conv/out", y.Name())

	t.Run("defaults are Conv2D's: Glorot uniform and zeros", func(t *testing.T) {
		m := nn.New("m")
		m.Output("y", m.Input("x", 4, 10).Conv1D("c", 6, nn.K(3)))
		g := build(t, m)
		assert.Equal(t, &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 12, FanOut: 18}, node(t, g, "c.weight").Attrs.Init)
		assert.Equal(t, &ir.Init{Kind: ir.InitZeros}, node(t, g, "c.bias").Attrs.Init)
	})
	t.Run("NoBias leaves out the bias", func(t *testing.T) {
		m := nn.New("m")
		m.Output("y", m.Input("x", 4, 10).Conv1D("c", 6, nn.K(3), nn.NoBias))
		g := build(t, m)
		assert.Len(t, g.Params(), 1)
		assert.Nil(t, g.ByName("c/bias"))
	})
}

func TestConv1DTranspose(t *testing.T) {
	for _, tc := range []struct {
		name        string
		length      int
		opts        []nn.Option
		left, right int
		outPad      int
		out         int
	}{
		// Keras' Conv1DTranspose: same gives L·stride, valid L·stride + max(k - stride, 0).
		{"same doubles at stride 2", 5, []nn.Option{nn.K(3), nn.Strides(2), nn.Same}, 0, 1, 0, 10},
		{"same with a kernel smaller than the stride pads the output", 4, []nn.Option{nn.K(2), nn.Strides(3), nn.Same}, 0, 0, 1, 12},
		{"valid is the default and grows by k-1", 5, []nn.Option{nn.K(3)}, 0, 0, 0, 7},
		{"valid at stride 2", 5, []nn.Option{nn.K(3), nn.Strides(2)}, 0, 0, 0, 11},
		// PyTorch: ConvTranspose1d(k=3, s=2, padding=1, output_padding=1) on 5 gives 10.
		{"explicit pads and out pad as PyTorch", 5, []nn.Option{nn.K(3), nn.Strides(2), nn.Pads(1), nn.OutPad(1)}, 1, 1, 1, 10},
		{"asymmetric pads", 5, []nn.Option{nn.K(4), nn.Strides(2), nn.Pads(2, 0)}, 2, 0, 0, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := m.Input("x", 3, tc.length).Conv1DTranspose("up", 2, tc.opts...)
			m.Output("y", y)
			g := build(t, m)
			c := node(t, g, "up")
			assert.Equal(t, ir.OpConv2DTranspose, c.Op)
			assert.Equal(t, []int{0, tc.left, 0, tc.right}, c.Attrs.Pads)
			assert.Equal(t, []int{0, tc.outPad}, c.Attrs.OutPad)
			assert.Equal(t, ir.Shape{N, 2, tc.out}, y.Shape())
		})
	}
	t.Run("weights are (C_in, C_out, k) with torch's fans", func(t *testing.T) {
		m := nn.New("m")
		m.Output("y", m.Input("x", 3, 4).Conv1DTranspose("up", 8, nn.K(5)))
		g := build(t, m)
		// ConvTranspose1d(3, 8, 5): weight (3, 8, 5), fan_in 40, fan_out 15.
		w := node(t, g, "up.weight")
		assert.Equal(t, ir.Shape{3, 8, 5}, w.Shape)
		assert.Equal(t, &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 40, FanOut: 15}, w.Attrs.Init)
		assert.Equal(t, ir.Shape{8}, node(t, g, "up.bias").Shape)
		assert.Equal(t, ir.Shape{3, 8, 1, 5}, node(t, g, "up/weight_2d").Shape)
	})
}

func TestPooling1D(t *testing.T) {
	for _, tc := range []struct {
		name        string
		avg         bool
		length      int
		opts        []nn.Option
		k, s        int
		left, right int
		exclude     bool
		out         int
	}{
		{"max pool stride defaults to the pool size", false, 19, []nn.Option{nn.K(2)}, 2, 2, 0, 0, false, 9},
		{"max pool same gives ceil(L/stride)", false, 9, []nn.Option{nn.K(2), nn.Same}, 2, 2, 0, 1, false, 5},
		{"max pool with explicit stride", false, 8, []nn.Option{nn.K(3), nn.Strides(1)}, 3, 1, 0, 0, false, 6},
		{"max pool with pads", false, 7, []nn.Option{nn.K(3), nn.Strides(2), nn.Pads(1, 2)}, 3, 2, 1, 2, false, 4},
		{"avg pool valid", true, 9, []nn.Option{nn.K(3)}, 3, 3, 0, 0, false, 3},
		{"avg pool same excludes the padding like Keras", true, 9, []nn.Option{nn.K(3), nn.Strides(2), nn.Same}, 3, 2, 1, 1, true, 5},
		{"avg pool explicit pads count like PyTorch", true, 8, []nn.Option{nn.K(3), nn.Strides(2), nn.Pads(1)}, 3, 2, 1, 1, false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			x := m.Input("x", 2, tc.length)
			var y *nn.T
			op := ir.OpMaxPool2D
			if tc.avg {
				y, op = x.AvgPool1D("pool", tc.opts...), ir.OpAvgPool2D
			} else {
				y = x.MaxPool1D("pool", tc.opts...)
			}
			m.Output("y", y)
			g := build(t, m)
			p := node(t, g, "pool")
			assert.Equal(t, op, p.Op)
			assert.Equal(t, []int{1, tc.k}, p.Attrs.Kernel)
			assert.Equal(t, []int{1, tc.s}, p.Attrs.Strides)
			assert.Equal(t, []int{0, tc.left, 0, tc.right}, p.Attrs.Pads)
			assert.Equal(t, tc.exclude, p.Attrs.Exclude)
			assert.Equal(t, ir.Shape{N, 2, tc.out}, y.Shape())
			assert.Empty(t, g.Params())
		})
	}
}

func TestGlobalPoolingAndUpSampling1D(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dims  []int
		layer func(x *nn.T) *nn.T
		op    string // of node "l"
		want  ir.Shape
		check func(t *testing.T, n *ir.Node)
	}{
		{"GlobalAvgPool1D averages each channel", []int{5, 7}, func(x *nn.T) *nn.T { return x.GlobalAvgPool1D("l") }, ir.OpGlobalAvgPool2D, ir.Shape{N, 5}, nil},
		{"GlobalMaxPool1D is one window over the sequence", []int{5, 7}, func(x *nn.T) *nn.T { return x.GlobalMaxPool1D("l") }, ir.OpMaxPool2D, ir.Shape{N, 5},
			func(t *testing.T, n *ir.Node) {
				assert.Equal(t, []int{1, 7}, n.Attrs.Kernel)
				assert.Equal(t, []int{0, 0, 0, 0}, n.Attrs.Pads)
				assert.Equal(t, ir.Shape{N, 5, 1, 1}, n.Shape)
			}},
		{"GlobalMaxPool2D is one window over the image", []int{3, 4, 5}, func(x *nn.T) *nn.T { return x.GlobalMaxPool2D("l") }, ir.OpMaxPool2D, ir.Shape{N, 3},
			func(t *testing.T, n *ir.Node) {
				assert.Equal(t, []int{4, 5}, n.Attrs.Kernel)
				assert.Equal(t, ir.Shape{N, 3, 1, 1}, n.Shape)
			}},
		{"UpSampling1D doubles by default", []int{2, 5}, func(x *nn.T) *nn.T { return x.UpSampling1D("l") }, ir.OpUpSample2D, ir.Shape{N, 2, 10},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, []int{1, 2}, n.Attrs.Scale) }},
		{"UpSampling1D by 3", []int{2, 5}, func(x *nn.T) *nn.T { return x.UpSampling1D("l", 3) }, ir.OpUpSample2D, ir.Shape{N, 2, 15},
			func(t *testing.T, n *ir.Node) { assert.Equal(t, []int{1, 3}, n.Attrs.Scale) }},
		{"UpSampling1D by 1 is the identity", []int{2, 5}, func(x *nn.T) *nn.T { return x.UpSampling1D("l", 1) }, ir.OpUpSample2D, ir.Shape{N, 2, 5}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := tc.layer(m.Input("x", tc.dims...))
			m.Output("y", y)
			g := build(t, m)
			n := node(t, g, "l")
			assert.Equal(t, tc.op, n.Op)
			assert.Equal(t, tc.want, y.Shape())
			assert.Empty(t, g.Params())
			if tc.check != nil {
				tc.check(t, n)
			}
		})
	}
}

func TestOneDLayersReportBadUse(t *testing.T) {
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
		layer string
	}{
		{"a kernel longer than the padded input", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 4, nn.K(8), nn.Pads(1, 0)) }),
			"c (Conv1D) on input N×2×5: kernel 8 is longer than the padded input 6 (length 5, pads (1, 0))", "c"},
		{"a pool window longer than the input", seq(func(x *nn.T) *nn.T { return x.MaxPool1D("p", nn.K(6)) }),
			"p (MaxPool1D) on input N×2×5: kernel 6 is longer than the padded input 5 (length 5, pads (0, 0))", "p"},
		{"pool pads that leave a window of padding only", seq(func(x *nn.T) *nn.T { return x.AvgPool1D("p", nn.K(2), nn.Pads(2)) }),
			"p (AvgPool1D) on input N×2×5: pads (2, 2) leave a window of 2 with no input", "p"},
		{"Causal on Conv2D", img(func(x *nn.T) *nn.T { return x.Conv2D("c", 4, nn.K(3), nn.Causal) }),
			"c (Conv2D) on input N×2×5×5: nn.Causal applies to Conv1D only (Keras' padding=\"causal\")", "c"},
		{"Causal on MaxPool1D", seq(func(x *nn.T) *nn.T { return x.MaxPool1D("p", nn.K(2), nn.Causal) }),
			"p (MaxPool1D) on input N×2×5: nn.Causal applies to Conv1D only", "p"},
		{"Causal on Conv1DTranspose", seq(func(x *nn.T) *nn.T { return x.Conv1DTranspose("c", 4, nn.K(2), nn.Causal) }),
			"c (Conv1DTranspose) on input N×2×5: nn.Causal applies to Conv1D only", "c"},
		{"a 4-D input to Conv1D", img(func(x *nn.T) *nn.T { return x.Conv1D("c", 4, nn.K(3)) }),
			"c (Conv1D) on input N×2×5×5: needs an (N, C, L) input; for (N, C, H, W) images use Conv2D", "c"},
		{"a 3-D input to Conv2D", seq(func(x *nn.T) *nn.T { return x.Conv2D("c", 4, nn.K(3)) }),
			"c (Conv2D) on input N×2×5: needs an (N, C, H, W) input; for (N, C, L) sequences use Conv1D", "c"},
		{"a 3-D input to MaxPool2D", seq(func(x *nn.T) *nn.T { return x.MaxPool2D("p", nn.K(2)) }),
			"p (MaxPool2D) on input N×2×5: needs an (N, C, H, W) input; for (N, C, L) sequences use MaxPool1D", "p"},
		{"a 3-D input to GlobalMaxPool2D", seq(func(x *nn.T) *nn.T { return x.GlobalMaxPool2D("g") }),
			"g (GlobalMaxPool2D) on input N×2×5: needs an (N, C, H, W) input; for (N, C, L) sequences use GlobalMaxPool1D", "g"},
		{"a 4-D input to GlobalAvgPool1D", img(func(x *nn.T) *nn.T { return x.GlobalAvgPool1D("g") }),
			"g (GlobalAvgPool1D) on input N×2×5×5: needs an (N, C, L) input; for (N, C, H, W) images use GlobalAvgPool2D", "g"},
		{"a flat input to GlobalMaxPool1D", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 8).GlobalMaxPool1D("g"))
		}, "g (GlobalMaxPool1D) on input N×8: needs an (N, C, L) input", "g"},
		{"a 4-D input to UpSampling1D", img(func(x *nn.T) *nn.T { return x.UpSampling1D("u") }),
			"u (UpSampling1D) on input N×2×5×5: needs an (N, C, L) input; for (N, C, H, W) images use UpSampling2D", "u"},
		{"two kernel sizes on a 1-D layer", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 4, nn.K(3, 3)) }),
			"c (Conv1D) on input N×2×5: nn.K takes one value on a 1-D layer, got 2", "c"},
		{"two strides on a 1-D layer", seq(func(x *nn.T) *nn.T { return x.MaxPool1D("p", nn.K(2), nn.Strides(1, 2)) }),
			"p (MaxPool1D) on input N×2×5: nn.Strides takes one value on a 1-D layer, got 2", "p"},
		{"four pads on a 1-D layer", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 4, nn.K(3), nn.Pads(1, 0, 1, 0)) }),
			"c (Conv1D) on input N×2×5: nn.Pads takes 1 or 2 values (left, right) on a 1-D layer, got 4", "c"},
		{"a negative pad", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 4, nn.K(3), nn.Pads(1, -1)) }),
			"c (Conv1D) on input N×2×5: nn.Pads(1, -1) must not be negative", "c"},
		{"a zero kernel", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 4, nn.K(0)) }),
			"c (Conv1D) on input N×2×5: nn.K(0) must be positive", "c"},
		{"Conv1D without a kernel", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 4) }),
			"c (Conv1D) on input N×2×5: needs a window length: nn.K(k)", "c"},
		{"pooling without a kernel", seq(func(x *nn.T) *nn.T { return x.AvgPool1D("p") }),
			"p (AvgPool1D) on input N×2×5: needs a window length: nn.K(k)", "p"},
		{"no filters", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 0, nn.K(3)) }),
			"c (Conv1D) on input N×2×5: filters 0 must be positive", "c"},
		{"Full on pooling", seq(func(x *nn.T) *nn.T { return x.MaxPool1D("p", nn.K(2), nn.Full) }),
			"p (MaxPool1D) on input N×2×5: nn.Full does not apply to pooling", "p"},
		{"Full on Conv1DTranspose", seq(func(x *nn.T) *nn.T { return x.Conv1DTranspose("c", 4, nn.K(2), nn.Full) }),
			"c (Conv1DTranspose) on input N×2×5: nn.Full does not apply to Conv1DTranspose", "c"},
		{"an output padding not below the stride", seq(func(x *nn.T) *nn.T {
			return x.Conv1DTranspose("c", 4, nn.K(3), nn.Strides(2), nn.Pads(1), nn.OutPad(2))
		}), "c (Conv1DTranspose) on input N×2×5: nn.OutPad(2) must be smaller than the stride 2", "c"},
		{"an output padding with Same", seq(func(x *nn.T) *nn.T { return x.Conv1DTranspose("c", 4, nn.K(3), nn.Same, nn.OutPad(1)) }),
			"c (Conv1DTranspose) on input N×2×5: nn.Same chooses the output padding itself", "c"},
		{"transposed pads that leave nothing", func() *nn.Model {
			m := nn.New("m")
			return withOutput(m, m.Input("x", 2, 1).Conv1DTranspose("c", 4, nn.K(2), nn.Pads(1)))
		}, "c (Conv1DTranspose) on input N×2×1: pads (1, 1) leave an output of length 0", "c"},
		{"softmax over the steps", seq(func(x *nn.T) *nn.T { return x.Conv1D("c", 4, nn.K(1), nn.Act("softmax")) }),
			"c (Conv1D) on input N×2×5: softmax is over the last axis, which for (N, C, L) is L and not the channels", "c"},
		{"an up-sampling size of 0", seq(func(x *nn.T) *nn.T { return x.UpSampling1D("u", 0) }),
			"u (UpSampling1D) on input N×2×5: UpSampling1D size 0 must be positive", "u"},
		{"two up-sampling sizes", seq(func(x *nn.T) *nn.T { return x.UpSampling1D("u", 2, 2) }),
			"u (UpSampling1D) on input N×2×5: UpSampling1D size takes one value, got 2", "u"},
		{"an option a pool does not take", seq(func(x *nn.T) *nn.T { return x.MaxPool1D("p", nn.K(2), nn.NoBias) }),
			"p (MaxPool1D) on input N×2×5: option nn.NoBias does not apply to this layer", "p"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.model()
			g, err := m.Build()
			require.Error(t, err)
			assert.Nil(t, g)
			assert.True(t, strings.Contains(err.Error(), tc.want), "error %q lacks %q", err, tc.want)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie), "error %q is not an *ir.Error", err)
			assert.Equal(t, tc.layer, ie.Layer)
		})
	}
}

func TestOneDLayersOnNilOrFailedTensorsDoNothing(t *testing.T) {
	var x *nn.T
	assert.Nil(t, x.Conv1D("c", 3, nn.K(3)).MaxPool1D("p", nn.K(2)).AvgPool1D("a", nn.K(2)).UpSampling1D("u"))
	assert.Nil(t, x.Conv1DTranspose("t", 3, nn.K(3)).GlobalAvgPool1D("g"))
	assert.Nil(t, x.GlobalMaxPool1D("g1"))
	assert.Nil(t, x.GlobalMaxPool2D("g2"))

	m := nn.New("m")
	h := m.Input("x", 2, 5).Dense("bad", 0)
	first := m.Err()
	require.Error(t, first)
	h = h.Conv1D("c", 3, nn.K(3)).MaxPool1D("p", nn.K(2)).AvgPool1D("a", nn.K(2)).UpSampling1D("u")
	h = h.Conv1DTranspose("t", 3, nn.K(3)).GlobalMaxPool1D("g")
	assert.Nil(t, h.Shape())
	assert.Same(t, first, m.Err())
}
