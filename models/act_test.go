package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// The smooth activations in a whole model against PyTorch.
// testdata/torch/act_golden.py writes torchmodels.Act in PyTorch (every one of ELU,
// SELU, softplus, GELU exact and tanh, SiLU/swish after a convolution, a transposed
// convolution or a dense layer, and ELU as a layer of its own), with a few biases set
// so that layers reach softplus' threshold and the saturated sides of ELU, GELU and
// SiLU, runs it in eval and in train mode, and records what it computed; and
// torchmodels.HardAct (ReLU6, the hard sigmoid and the hard swish, at a scale that
// crosses every bend).
// TestSmoothActivationsMatchPyTorch builds the same model with package nn, loads the
// torch parameters and compares in the reference interpreter the outputs and loss of
// both modes and the gradient of every weight, on the lowered graphs and on the
// graphs of the whole pass pipeline (checkAgainstTorch, torch_test.go; relative
// tolerance 1e-9). codegen's TestSmoothActivationsInGeneratedCode checks the
// generated code of the model against the same numbers.
func TestSmoothActivationsMatchPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadActGolden(filepath.Join("..", torchmodels.ActGoldenFile))
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.ActModels, cases)
}
