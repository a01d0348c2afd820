package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// Permute in whole models against PyTorch. testdata/torch/permute_golden.py writes
// torchmodels.PermuteModels in PyTorch (a text CNN: Embedding, permute(0, 2, 1),
// Conv1d over the steps, max over time; a channels-last image permuted to NCHW for
// Conv2d, whose output is permuted back to channels-last before the Linear; the
// mean over an LSTM's steps through permute(0, 2, 1)), runs them in eval and train
// mode and records what they computed. TestPermuteModelsMatchPyTorch builds the same
// models with package nn, loads the torch parameters and compares in the reference
// interpreter the outputs and loss of both modes and the gradient of every weight
// (the embedding's and the convolutions' reach the loss through the transposes'
// gradients), on the lowered graphs and on the graphs of the whole pass pipeline
// (checkModelsAgainstTorch, torch_test.go; relative tolerance 1e-9). codegen's
// TestTheTorchModelsMatchPyTorch checks the generated code of the models against
// the same numbers.
func TestPermuteModelsMatchPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.PermuteGoldenFile), torchmodels.PermuteModels)
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.PermuteModels, cases)
}
