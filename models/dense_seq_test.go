package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// Dense on the last axis of rank ≥ 3 inputs, whole models against PyTorch.
// testdata/torch/dense_seq_golden.py writes each model of torchmodels.DenseSeq in
// PyTorch with the same layer and parameter names (torch.nn.Linear on (N, T, F) and
// (N, A, B, F)), runs it in eval and in train mode on random rounded parameters and
// inputs, and records what it computed, as models_golden.py does.
// TestDenseOnSequencesMatchesPyTorch builds each model with package nn, loads the
// torch parameters, and compares in the reference interpreter the outputs and loss
// of both modes, the gradient of every weight and the batch-norm running statistics,
// on the lowered graphs and on the graphs of the whole pass pipeline
// (checkModelsAgainstTorch, torch_test.go).
func TestDenseOnSequencesMatchesPyTorch(t *testing.T) {
	goldens, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.DenseSeqGoldenFile), torchmodels.DenseSeq)
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.DenseSeq, goldens)
}
