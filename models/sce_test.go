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
	"github.com/dlgen/dlgen/passes"
)

// The sparse categorical cross-entropy, whole models against PyTorch:
// testdata/torch/sce_golden.py writes each model of torchmodels.SCE in PyTorch with
// the same layer and parameter names and records, as models_golden.py does, what it
// computes in eval and in train mode. TestSparseCrossEntropyModelsMatchPyTorch
// compares, in the interpreter, the outputs (the per-step softmax probabilities of
// the taggers included) and loss of both modes and the gradient of every weight, on
// the lowered graphs and on those of the whole pass pipeline (checkAgainstTorch of
// torch_test.go):
//
//   - mlp_probs: Dense(softmax) and the loss on the probabilities, Keras' MNIST
//     default, with one example whose label's probability is clipped up to 1e-7
//     and one whose is clipped down to 1-1e-7 (neither passes a gradient);
//   - tagger_labels: per-step logits of an LSTM tagger and (N, T) int labels, from
//     logits, against F.cross_entropy on (N, C, T);
//   - tagger_probs: per-step Dense(softmax) of a GRU and (N, T) labels on the
//     probabilities.
func TestSparseCrossEntropyModelsMatchPyTorch(t *testing.T) {
	goldens, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.SCEGoldenFile), torchmodels.SCE)
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.SCE, goldens)
}

// In mlp_probs the clip matters: the first example's label has a probability far
// below 1e-7 and costs exactly -ln(1e-7); the second's is 1 and costs -ln(1-1e-7);
// neither passes a gradient, so fc2.bias's gradient is that of the other three rows
// alone. Without the clip the first row's loss would be 64 (ln of 7e-29) and the
// total far from torch's.
func TestTheClippedRowsOfMLPProbs(t *testing.T) {
	goldens, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.SCEGoldenFile), torchmodels.SCE)
	require.NoError(t, err)
	c := goldens[0]
	require.Equal(t, "mlp_probs", c.Name)
	g := build(t, torchmodels.MLPProbs)
	infer, err := passes.Compile(g, ir.ModeInfer, passes.Config{})
	require.NoError(t, err)
	m, err := interp.New(infer, 1)
	require.NoError(t, err)
	loadTorchParams(t, m, c)
	feeds := torchFeeds(t, infer, c)
	vals, err := m.Run(feeds)
	require.NoError(t, err)
	probs := vals[infer.Outputs[0].ID].Data
	labels := feeds["label"].Data
	assert.Less(t, probs[0*5+int(labels[0])], 1e-10, "the first label's probability")
	assert.Greater(t, probs[1*5+int(labels[1])], 1-1e-10, "the second label's probability")

	// The loss without those two rows, then with them at their clipped costs.
	var rest float64
	for r := 2; r < c.Batch; r++ {
		q := probs[r*5+int(labels[r])]
		require.Greater(t, q, 1e-5)
		rest -= math.Log(q)
	}
	want := (rest - math.Log(1e-7) - math.Log(1-1e-7)) / float64(c.Batch)
	torchClose(t, []float64{c.EvalLoss}, []float64{want}, "eval loss from the clipped rows")
}
