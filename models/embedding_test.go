package models_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/passes"
)

// Embeddings in whole models against PyTorch: testdata/torch/embedding_golden.py
// writes each model of torchmodels.Embeddings in PyTorch with the same layer and
// parameter names and records what it computes in eval and in train mode.
// TestEmbeddingModelsMatchPyTorch compares, in the interpreter, the outputs and loss
// of both modes and the gradient of every weight (the embedding's, summed over
// repeated ids, included), on the lowered graphs and on those of the whole pass
// pipeline (checkModelsAgainstTorch, torch_test.go; relative tolerance 1e-9):
//
//   - embed_lstm: Embedding(50, 8) on (N, 12) ids with rows 0 and 49 and repeats →
//     LSTM, last state → Dense → sparse cross-entropy from logits;
//   - embed_tagger: Embedding(30, 5, padding_idx=0) on (N, 7) ids padded with 0 →
//     bidirectional GRU with every step → per-step Dense → (N, 7) labels.
func TestEmbeddingModelsMatchPyTorch(t *testing.T) {
	goldens, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.EmbeddingGoldenFile), torchmodels.Embeddings)
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.Embeddings, goldens)
}

// A bad id is an error from the interpreter naming the layer, the input and the
// position, in inference and in training; the padding row's gradient is exactly 0.
func TestEmbeddingModelsRefuseBadIds(t *testing.T) {
	goldens, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.EmbeddingGoldenFile), torchmodels.Embeddings)
	require.NoError(t, err)
	c := goldens[1]
	require.Equal(t, "embed_tagger", c.Name)
	g := build(t, torchmodels.EmbedTagger)
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		cg, err := passes.Compile(g, mode, passes.Config{})
		require.NoError(t, err)
		m, err := interp.New(cg, 1)
		require.NoError(t, err)
		loadTorchParams(t, m, c)
		for _, bad := range []float64{-1, 30} {
			feeds := torchFeeds(t, cg, c)
			feeds["words"].Data[2*7+4] = bad
			_, err = m.Run(feeds)
			require.Error(t, err, mode)
			assert.Contains(t, err.Error(), "embed (Embedding): words[18] = ", mode)
			assert.Contains(t, err.Error(), " is not an embedding index in [0, 30) (item 2, position 4 of 7)", mode)
		}
		if mode == ir.ModeTrain {
			vals, err := m.Run(torchFeeds(t, cg, c))
			require.NoError(t, err)
			dw := vals[cg.GradOf(cg.ByName("embed.weight").ID)].Data
			assert.Equal(t, []float64{0, 0, 0, 0, 0}, dw[:5], "the padding row's gradient")
			assert.NotEqual(t, []float64{0, 0, 0, 0, 0}, dw[29*5:], "row 29's gradient")
		}
	}
}

// TextLSTM has PyTorch's state_dict names and shapes (and its 168,514 trainable
// values, as sum(p.numel() for p in model.parameters()) counts them for
// nn.Embedding(5000, 32, padding_idx=0), nn.LSTM(32, 32), nn.Linear(32, 2)), starts
// its padding row at zero, and trains in the interpreter.
func TestTextLSTMIsTheIMDBClassifier(t *testing.T) {
	g := build(t, models.TextLSTM)
	shapes(t, g, map[string]ir.Shape{
		"tokens": {N, 80}, "embed.weight": {5000, 32}, "embed": {N, 80, 32},
		"lstm.weight_ih_l0": {128, 32}, "lstm.weight_hh_l0": {128, 32}, "lstm.bias_ih_l0": {128}, "lstm.bias_hh_l0": {128},
		"lstm": {N, 32}, "fc.weight": {2, 32}, "fc.bias": {2},
	})
	assert.Equal(t, 168514, paramCount(g))
	assert.Equal(t, ir.Int, g.ByName("tokens").Attrs.DType)

	train, err := passes.Compile(g, ir.ModeTrain, passes.Config{})
	require.NoError(t, err)
	m, err := interp.New(train, 3)
	require.NoError(t, err)
	w := m.Param("embed.weight").Data
	assert.Equal(t, make([]float64, 32), w[:32], "the padding row starts at zero")
	for _, v := range w[32:] {
		require.LessOrEqual(t, math.Abs(v), 0.05, "Keras' uniform ±0.05")
	}
	vals, err := m.Run(feeds(train, 3))
	require.NoError(t, err)
	assert.False(t, math.IsNaN(vals[train.Loss].Data[0]))
	dw := vals[train.GradOf(g.ByName("embed.weight").ID)].Data
	assert.Equal(t, make([]float64, 32), dw[:32], "the padding row gets no gradient")
}
