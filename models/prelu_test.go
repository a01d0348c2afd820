package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// PReLU in whole models against PyTorch. testdata/torch/prelu_golden.py writes
// torchmodels.PReLUs in PyTorch (nn.PReLU with an α per channel after a convolution
// and with one α after a Linear layer, and Keras' PReLU with shared_axes=[1] on a
// per-step Linear's (N, T, F) output), with random α, runs them in eval and train
// mode and records what they computed. TestPReLUModelsMatchPyTorch builds the same
// models with package nn, loads the torch parameters and compares in the reference
// interpreter the outputs and loss of both modes and the gradient of every weight, on
// the lowered graphs and on the graphs of the whole pass pipeline
// (checkModelsAgainstTorch, torch_test.go; relative tolerance 1e-9). codegen's
// TestTheTorchModelsMatchPyTorch checks the generated code of the models against the
// same numbers.
func TestPReLUModelsMatchPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.PReLUGoldenFile), torchmodels.PReLUs)
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.PReLUs, cases)
}
