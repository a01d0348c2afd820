package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// RepeatVector in a whole model against PyTorch. testdata/torch/seqae_golden.py
// writes torchmodels.Seq2SeqAE in PyTorch (an LSTM encoder's last state repeated over
// the 6 steps with code.unsqueeze(1).repeat(1, 6, 1), an LSTM decoder returning every
// step, a per-step Linear with sigmoid, BCE against the input), runs it in eval and
// in train mode, and records what it computed. TestSeq2SeqAEMatchesPyTorch builds the
// same model with package nn, loads the torch parameters and compares in the
// reference interpreter the outputs and loss of both modes and the gradient of every
// weight (the encoder's reach the loss through the sum over the repeated steps), on
// the lowered graphs and on the graphs of the whole pass pipeline
// (checkModelsAgainstTorch, torch_test.go; relative tolerance 1e-9). codegen's
// TestTheTorchModelsMatchPyTorch checks the generated code of the model against the
// same numbers.
func TestSeq2SeqAEMatchesPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.SeqAEGoldenFile), torchmodels.SeqAEs)
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.SeqAEs, cases)
}
