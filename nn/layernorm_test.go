package nn_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

func TestLayerNormIsOneNodeOverTheLastAxisWithPyTorchParameters(t *testing.T) {
	m := nn.New("m")
	h := m.Input("seq", 5, 3).LSTM("enc", 4, nn.ReturnSequences).LayerNorm("ln") // (N, 5, 4)
	m.Output("y", h)
	g := build(t, m)
	n := node(t, g, "ln")
	assert.Equal(t, ir.OpLayerNorm, n.Op)
	assert.Equal(t, "ln", n.Layer)
	assert.Equal(t, ir.Attrs{Axis: 2, Eps: 1e-5}, n.Attrs)
	w, b := node(t, g, "ln.weight"), node(t, g, "ln.bias")
	assert.Equal(t, []int{node(t, g, "enc").ID, w.ID, b.ID}, n.Inputs)
	assert.Equal(t, ir.Shape{N, 5, 4}, n.Shape)
	for _, p := range []struct {
		n    *ir.Node
		init string
	}{{w, ir.InitOnes}, {b, ir.InitZeros}} {
		assert.Equal(t, ir.OpParam, p.n.Op)
		assert.Equal(t, ir.RoleWeight, p.n.Attrs.Role)
		assert.Equal(t, ir.Shape{4}, p.n.Attrs.Shape)
		assert.Equal(t, p.init, p.n.Attrs.Init.Kind)
	}
}

func TestLayerNormOptions(t *testing.T) {
	build1 := func(t *testing.T, in []int, opts ...nn.Option) *ir.Graph {
		m := nn.New("m")
		m.Output("y", m.Input("x", in...).LayerNorm("ln", opts...))
		return build(t, m)
	}
	t.Run("NormShape (C, H, W) normalises each item over all three", func(t *testing.T) {
		g := build1(t, []int{3, 4, 5}, nn.NormShape(3, 4, 5), nn.Eps(1e-3))
		n := node(t, g, "ln")
		assert.Equal(t, ir.Attrs{Axis: 1, Eps: 1e-3}, n.Attrs)
		assert.Equal(t, ir.Shape{3, 4, 5}, node(t, g, "ln.weight").Shape)
		assert.Equal(t, ir.Shape{3, 4, 5}, node(t, g, "ln.bias").Shape)
	})
	t.Run("NormShape (H, W)", func(t *testing.T) {
		g := build1(t, []int{3, 4, 5}, nn.NormShape(4, 5))
		assert.Equal(t, 2, node(t, g, "ln").Attrs.Axis)
		assert.Equal(t, ir.Shape{4, 5}, node(t, g, "ln.bias").Shape)
	})
	t.Run("NoAffine has no parameters", func(t *testing.T) {
		g := build1(t, []int{6}, nn.NoAffine)
		n := node(t, g, "ln")
		assert.Len(t, n.Inputs, 1)
		for _, m := range g.Nodes {
			assert.NotEqual(t, ir.OpParam, m.Op, m.Name)
		}
	})
	t.Run("NoCenter keeps the weight only", func(t *testing.T) {
		g := build1(t, []int{6}, nn.NoCenter)
		n := node(t, g, "ln")
		assert.Equal(t, []int{node(t, g, "ln.weight").ID}, n.Inputs[1:])
		hasBias := g.ByName("ln.bias") != nil
		assert.False(t, hasBias)
	})
	t.Run("NoScale keeps the bias, γ a constant 1", func(t *testing.T) {
		g := build1(t, []int{6}, nn.NoScale)
		n := node(t, g, "ln")
		require.Len(t, n.Inputs, 3)
		one := g.Nodes[n.Inputs[1]]
		assert.Equal(t, ir.OpFill, one.Op)
		assert.Equal(t, 1.0, one.Attrs.Alpha)
		assert.Equal(t, ir.Shape{6}, one.Shape)
		assert.Equal(t, node(t, g, "ln.bias").ID, n.Inputs[2])
		hasWeight := g.ByName("ln.weight") != nil
		assert.False(t, hasWeight)
	})
	t.Run("KernelInit and BiasInit initialise γ and β", func(t *testing.T) {
		g := build1(t, []int{3, 4}, nn.NormShape(3, 4), nn.KernelInit("uniform", 0.5), nn.BiasInit("glorot_uniform"))
		assert.Equal(t, &ir.Init{Kind: ir.InitUniform, Value: 0.5}, node(t, g, "ln.weight").Attrs.Init)
		assert.Equal(t, &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 12, FanOut: 12}, node(t, g, "ln.bias").Attrs.Init)
	})
	t.Run("NoCenter and NoScale together are NoAffine", func(t *testing.T) {
		g := build1(t, []int{6}, nn.NoCenter, nn.NoScale)
		assert.Len(t, node(t, g, "ln").Inputs, 1)
	})
}

func TestLayerNormErrorsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []int
		opts []nn.Option
		want string
	}{
		{"a normalised rank larger than the input's", []int{4, 5}, []nn.Option{nn.NormShape(3, 4, 5)}, "ln (LayerNorm) on input N×4×5: nn.NormShape(3, 4, 5) has 3 axes but the input has 2 after the batch"},
		{"sizes that are not the last ones", []int{4, 5}, []nn.Option{nn.NormShape(4)}, "ln (LayerNorm) on input N×4×5: nn.NormShape(4) is not the input's last 1 sizes (5)"},
		{"an empty normalised shape", []int{4}, []nn.Option{nn.NormShape()}, "ln (LayerNorm) on input N×4: nn.NormShape() names no axis"},
		{"zero eps", []int{4}, []nn.Option{nn.Eps(0)}, "ln (LayerNorm) on input N×4: nn.Eps(0) must be positive"},
		{"NoAffine and NoCenter", []int{4}, []nn.Option{nn.NoAffine, nn.NoCenter}, "option nn.NoCenter is given twice"},
		{"KernelInit with NoScale", []int{4}, []nn.Option{nn.NoScale, nn.KernelInit("ones")}, "ln (LayerNorm) on input N×4: nn.KernelInit initialises γ, which nn.NoScale (or nn.NoAffine) leaves out"},
		{"BiasInit with NoAffine", []int{4}, []nn.Option{nn.NoAffine, nn.BiasInit("ones")}, "ln (LayerNorm) on input N×4: nn.BiasInit initialises β, which nn.NoCenter (or nn.NoAffine) leaves out"},
		{"an option it does not take", []int{4}, []nn.Option{nn.Momentum(0.1)}, "option nn.Momentum(0.1) does not apply to this layer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", m.Input("x", tc.in...).LayerNorm("ln", tc.opts...))
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie))
			assert.Equal(t, "ln", ie.Layer)
		})
	}
	t.Run("a (N) input of labels", func(t *testing.T) {
		m := nn.New("m")
		m.Output("y", m.Labels("y").LayerNorm("ln"))
		_, err := m.Build()
		require.ErrorContains(t, err, `ln (LayerNorm) on input N: "y" holds int class labels`)
	})
	t.Run("a nil or failed tensor", func(t *testing.T) {
		var x *nn.T
		assert.Nil(t, x.LayerNorm("ln"))
		m := nn.New("m")
		m.Output("y", m.Input("x", 4).Dense("fc", 0).LayerNorm("ln"))
		_, err := m.Build()
		require.ErrorContains(t, err, "fc (Dense)")
	})
}
