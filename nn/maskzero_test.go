package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// MaskZero gives every recurrent layer that reads the embedding (directly or through
// recurrent layers returning sequences) the step mask as its last input, with the
// RNNMasked switch; a Bidirectional returning sequences also zeroes masked outputs,
// as Keras' wrapper asks of its halves. The mask is the Embedding of the same ids
// into a constant column (row 0 zero, the others one) repeated over the units.
func TestMaskZeroReachesTheRecurrentLayers(t *testing.T) {
	m := nn.New("m")
	h := m.Indices("ids", 6).Embedding("embed", 10, 3, nn.MaskZero)
	h = h.LSTM("lstm", 4, nn.ReturnSequences)
	h = h.Bidirectional("bi", nn.GRULayer(5, nn.ReturnSequences), "concat")
	y := h.SimpleRNN("rnn", 2)
	m.Output("y", y.Dense("out", 1)) // the mask ends at a layer without ReturnSequences
	g := build(t, m)

	embed := node(t, g, "embed")
	assert.Empty(t, embed.Attrs.Extra, "MaskZero does not change the embedding itself")
	for _, tc := range []struct {
		op, units string
		node      string
		extra     []int
	}{
		{ir.OpLSTM, "lstm", "lstm", []int{1, 0, 0, 0, 1, 0}},
		{ir.OpGRU, "bi", "bi/forward", []int{1, 0, 0, 0, 1, 1}},
		{ir.OpGRU, "bi", "bi/reverse", []int{1, 1, 0, 0, 1, 1}},
		{ir.OpSimpleRNN, "rnn", "rnn", []int{0, 0, 0, 0, 1, 0}},
	} {
		n := node(t, g, tc.node)
		assert.Equal(t, tc.op, n.Op, tc.node)
		assert.Equal(t, tc.extra, n.Attrs.Extra, tc.node)
		mask := g.Nodes[n.Inputs[len(n.Inputs)-1]]
		assert.Equal(t, tc.units+"/mask", mask.Name, tc.node)
		assert.Equal(t, ir.OpConcat, mask.Op)
		assert.Equal(t, 2, mask.Attrs.Axis)
		units := n.Shape[len(n.Shape)-1]
		require.Len(t, mask.Inputs, units, "the column repeated over the units")
		col := g.Nodes[mask.Inputs[0]]
		for _, in := range mask.Inputs {
			assert.Equal(t, col.ID, in)
		}
		assert.Equal(t, ir.OpEmbedding, col.Op)
		assert.Equal(t, node(t, g, "ids").ID, col.Inputs[0], "the mask reads the ids")
		table := g.Nodes[col.Inputs[1]]
		assert.Equal(t, ir.OpConcat, table.Op)
		assert.Equal(t, ir.Shape{10, 1}, table.Shape)
		pad, words := g.Nodes[table.Inputs[0]], g.Nodes[table.Inputs[1]]
		assert.Equal(t, ir.OpFill, pad.Op)
		assert.Equal(t, 0.0, pad.Attrs.Alpha)
		assert.Equal(t, ir.Shape{1, 1}, pad.Shape)
		assert.Equal(t, 1.0, words.Attrs.Alpha)
		assert.Equal(t, ir.Shape{9, 1}, words.Shape)
	}
	assert.Empty(t, g.Params()[0].Attrs.Init.ZeroRows, "no PaddingIdx: row 0 is a learned vector as in Keras")
}

// A masked tensor reaching a layer that cannot honour the mask is an error naming
// that layer; so are a mask with initial states, and MaskZero on another layer.
// DropMask is the explicit way on.
func TestMaskZeroErrorsNameTheLayer(t *testing.T) {
	masked := func(m *nn.Model) *nn.T { return m.Indices("ids", 6).Embedding("embed", 10, 3, nn.MaskZero) }
	for _, tc := range []struct {
		name  string
		model func(m *nn.Model)
		want  string
		layer string
	}{
		{"a flatten after Dense after a sequence", func(m *nn.Model) {
			m.Output("y", masked(m).LSTM("lstm", 4, nn.ReturnSequences).Dense("tag", 5).Flatten("flat"))
		}, `flat (Flatten) on input N×6×5: "tag" carries the step mask of Embedding "embed" (nn.MaskZero); only SimpleRNN, LSTM, GRU and Bidirectional honour it (Dense, Activation and Dropout pass it on), and Flatten would compute every step where Keras masks them (or refuses the mask)`, "flat"},
		{"a tagger's loss", func(m *nn.Model) {
			logits := masked(m).LSTM("lstm", 4, nn.ReturnSequences).Dense("tag", 5)
			m.Output("logits", logits)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("tags", 6), nn.FromLogits))
		}, `loss (SparseCategoricalCrossEntropy) on input N×6×5, N×6: "tag" carries the step mask of Embedding "embed"`, "loss"},
		{"the embedding into a convolution", func(m *nn.Model) {
			m.Output("y", masked(m).Conv1D("conv", 2, nn.K(3)))
		}, `conv (Conv1D) on input N×6×3: "embed" carries the step mask of Embedding "embed"`, "conv"},
		{"a loss on a masked sequence", func(m *nn.Model) {
			h := masked(m).GRU("gru", 2, nn.ReturnSequences)
			m.Output("h", h)
			m.Loss(nn.MSE("loss", h, m.Target("t", 6, 2)))
		}, `loss (MSE) on input N×6×2, N×6×2: "gru" carries the step mask of Embedding "embed"`, "loss"},
		{"a merge of a masked sequence", func(m *nn.Model) {
			h := masked(m)
			m.Output("y", nn.Add("sum", h, m.Input("x", 6, 3)))
		}, `"embed" carries the step mask of Embedding "embed"`, "sum"},
		{"initial states with a mask", func(m *nn.Model) {
			m.Output("y", masked(m).GRU("gru", 2, nn.InitialState(m.Input("h0", 2))))
		}, `gru (GRU) on input N×6×3, N×2: takes no InitialState when its input carries the step mask of Embedding "embed" (nn.MaskZero)`, "gru"},
		{"MaskZero on Dense", func(m *nn.Model) {
			m.Output("y", m.Input("x", 4).Dense("d", 3, nn.MaskZero))
		}, "d (Dense) on input N×4: option nn.MaskZero does not apply to this layer", "d"},
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

	// DropMask lets the sequence on, an identity; the mask still reached the LSTM.
	m := nn.New("m")
	h := masked(m).LSTM("lstm", 4, nn.ReturnSequences).DropMask("unmasked").Dense("tag", 5)
	m.Output("y", h)
	g := build(t, m)
	assert.Equal(t, ir.OpIdentity, node(t, g, "unmasked").Op)
	assert.Equal(t, 1, node(t, g, "lstm").Attrs.Extra[ir.RNNMasked])
	// Dense, Activation and Dropout pass the mask on, as Keras' do.
	m = nn.New("m")
	h = masked(m).Dropout("drop", 0.2).Dense("fc", 4, nn.Act("tanh")).Activation("act", "relu").GRU("gru", 2)
	m.Output("y", h)
	g = build(t, m)
	gru := node(t, g, "gru")
	assert.Equal(t, 1, gru.Attrs.Extra[ir.RNNMasked])
	assert.Equal(t, "gru/mask", g.Nodes[gru.Inputs[len(gru.Inputs)-1]].Name)
	// Without MaskZero nothing changes: no mask input, four switches.
	m = nn.New("m")
	m.Output("y", m.Indices("ids", 6).Embedding("embed", 10, 3).LSTM("lstm", 4, nn.ReturnSequences).Dense("tag", 5))
	g = build(t, m)
	assert.Equal(t, []int{1, 0, 0, 0}, node(t, g, "lstm").Attrs.Extra)
}
