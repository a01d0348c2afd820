package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// Indices is an int data input; Embedding on (N, d...) ids is one Embedding node
// with a (vocab, dim) weight named as PyTorch's, Keras' uniform ±0.05 by default.
func TestEmbeddingBuildsAnEmbeddingNodeWithATorchNamedWeight(t *testing.T) {
	m := nn.New("m")
	tokens := m.Indices("tokens", 12)
	word := m.Indices("word")
	e := tokens.Embedding("embed", 50, 8)
	f := word.Embedding("word_embed", 7, 3)
	m.Output("e", e)
	m.Output("f", f)
	g := build(t, m)

	in := node(t, g, "tokens")
	assert.Equal(t, ir.Attrs{Shape: ir.Shape{N, 12}, Role: ir.RoleData, DType: ir.Int}, in.Attrs)
	assert.Equal(t, ir.Shape{N}, node(t, g, "word").Shape)
	w := node(t, g, "embed.weight")
	assert.Equal(t, ir.Shape{50, 8}, w.Shape)
	assert.Equal(t, ir.RoleWeight, w.Attrs.Role)
	assert.Equal(t, &ir.Init{Kind: ir.InitUniform, Value: 0.05}, w.Attrs.Init)
	y := node(t, g, "embed")
	assert.Equal(t, ir.OpEmbedding, y.Op)
	assert.Equal(t, []int{in.ID, w.ID}, y.Inputs)
	assert.Empty(t, y.Attrs.Extra)
	assert.Equal(t, ir.Shape{N, 12, 8}, y.Shape)
	assert.Equal(t, ir.Shape{N, 3}, node(t, g, "word_embed").Shape)
}

// TorchInit is PyTorch's N(0, 1), KernelInit anything else (with torch's fans of
// the (vocab, dim) weight); PaddingIdx is PyTorch's padding_idx, negative from the
// end, and zeroes that row at initialisation.
func TestEmbeddingOptions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []nn.Option
		init  *ir.Init
		extra []int
	}{
		{"TorchInit", []nn.Option{nn.TorchInit}, &ir.Init{Kind: ir.InitNormal, Value: 1}, nil},
		{"normal with a deviation", []nn.Option{nn.KernelInit("normal", 0.05)}, &ir.Init{Kind: ir.InitNormal, Value: 0.05}, nil},
		{"KernelInit over TorchInit", []nn.Option{nn.TorchInit, nn.KernelInit("he_uniform")}, &ir.Init{Kind: ir.InitHeUniform, FanIn: 4, FanOut: 10}, nil},
		{"padding_idx 0", []nn.Option{nn.PaddingIdx(0)}, &ir.Init{Kind: ir.InitUniform, Value: 0.05, ZeroRows: []int{0}}, []int{0}},
		{"padding_idx -1 is the last row", []nn.Option{nn.PaddingIdx(-1), nn.TorchInit}, &ir.Init{Kind: ir.InitNormal, Value: 1, ZeroRows: []int{9}}, []int{9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("e", m.Indices("ids", 3).Embedding("emb", 10, 4, tc.opts...))
			g := build(t, m)
			assert.Equal(t, tc.init, node(t, g, "emb.weight").Attrs.Init)
			assert.Equal(t, tc.extra, node(t, g, "emb").Attrs.Extra)
		})
	}
}

// The dtype wiring errors name the layer: a float tensor into Embedding, ids into
// any other layer or a loss, labels into Embedding, ids as an output; and bad sizes
// and options.
func TestEmbeddingErrorsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func(m *nn.Model)
		want  string
		layer string
	}{
		{"a float input into Embedding", func(m *nn.Model) {
			m.Output("e", m.Input("x", 4).Embedding("emb", 10, 4))
		}, `emb (Embedding) on input N×4: ids must be int indices from Model.Indices, not the float tensor "x"`, "emb"},
		{"a layer's output into Embedding", func(m *nn.Model) {
			m.Output("e", m.Input("x", 4).Dense("d", 3).Embedding("emb", 10, 4))
		}, `emb (Embedding) on input N×3: ids must be int indices from Model.Indices, not the float tensor "d/bias"`, "emb"},
		{"ids into Dense", func(m *nn.Model) {
			m.Output("y", m.Indices("tokens", 4).Dense("d", 3))
		}, `d (Dense) on input N×4: "tokens" holds int ids, which only Embedding reads`, "d"},
		{"ids into an LSTM", func(m *nn.Model) {
			m.Output("y", m.Indices("tokens", 4, 1).LSTM("lstm", 3))
		}, `lstm (LSTM) on input N×4×1: "tokens" holds int ids, which only Embedding reads`, "lstm"},
		{"ids into a loss", func(m *nn.Model) {
			x := m.Input("x", 4)
			m.Loss(nn.MSE("loss", x, m.Indices("tokens", 4)))
			m.Output("x", x)
		}, `loss (MSE) on input N×4, N×4: "tokens" holds int ids, which only Embedding reads`, "loss"},
		{"labels into Embedding", func(m *nn.Model) {
			m.Output("e", m.Labels("y", 4).Embedding("emb", 10, 4))
		}, `emb (Embedding) on input N×4: "y" holds class labels (Model.Labels), a training target; ids are a model input made by Model.Indices`, "emb"},
		{"ids as an output", func(m *nn.Model) {
			m.Output("ids", m.Indices("tokens", 4))
		}, `tokens (Output): output "ids" would be the int input "tokens"; outputs are float tensors`, "tokens"},
		{"a zero vocabulary", func(m *nn.Model) {
			m.Output("e", m.Indices("t", 4).Embedding("emb", 0, 4))
		}, "emb (Embedding) on input N×4: vocabulary size 0 and dimension 4 must be positive", "emb"},
		{"a zero dimension", func(m *nn.Model) {
			m.Output("e", m.Indices("t", 4).Embedding("emb", 10, 0))
		}, "vocabulary size 10 and dimension 0 must be positive", "emb"},
		{"a padding index past the end", func(m *nn.Model) {
			m.Output("e", m.Indices("t", 4).Embedding("emb", 10, 4, nn.PaddingIdx(10)))
		}, "emb (Embedding) on input N×4: nn.PaddingIdx(10) is not a row of the 10-row weight (it must be in [-10, 10))", "emb"},
		{"a padding index before the start", func(m *nn.Model) {
			m.Output("e", m.Indices("t", 4).Embedding("emb", 10, 4, nn.PaddingIdx(-11)))
		}, "nn.PaddingIdx(-11) is not a row of the 10-row weight", "emb"},
		{"an option Embedding does not take", func(m *nn.Model) {
			m.Output("e", m.Indices("t", 4).Embedding("emb", 10, 4, nn.NoBias))
		}, "emb (Embedding) on input N×4: option nn.NoBias does not apply to this layer", "emb"},
		{"PaddingIdx on Dense", func(m *nn.Model) {
			m.Output("e", m.Input("x", 4).Dense("d", 3, nn.PaddingIdx(0)))
		}, "d (Dense) on input N×4: option nn.PaddingIdx(0) does not apply to this layer", "d"},
		{"a normal initializer without a deviation", func(m *nn.Model) {
			m.Output("e", m.Indices("t", 4).Embedding("emb", 10, 4, nn.KernelInit("normal")))
		}, `initializer "normal" takes one finite value`, "emb"},
		{"a normal initializer with a negative deviation", func(m *nn.Model) {
			m.Output("e", m.Indices("t", 4).Embedding("emb", 10, 4, nn.KernelInit("normal", -1)))
		}, `initializer "normal": standard deviation -1 must be positive`, "emb"},
		{"ids of size zero", func(m *nn.Model) {
			m.Output("e", m.Indices("t", 4, 0).Embedding("emb", 10, 4))
		}, "t (Indices): sizes (4, 0) must be positive", "t"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			tc.model(m)
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ie *ir.Error
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.layer, ie.Layer)
		})
	}
}

// A failed input or a nil tensor makes Embedding do nothing, without panicking.
func TestEmbeddingOnFailedTensors(t *testing.T) {
	var nilT *nn.T
	assert.Nil(t, nilT.Embedding("e", 3, 2))
	m := nn.New("m")
	bad := m.Indices("t", -1)
	y := bad.Embedding("emb", 10, 4)
	require.NotNil(t, y)
	assert.Nil(t, y.Shape())
	_, err := m.Build()
	assert.ErrorContains(t, err, "t (Indices): sizes (-1) must be positive")
}
