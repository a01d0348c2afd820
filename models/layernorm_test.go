package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// LayerNorm in whole models against PyTorch. testdata/torch/layernorm_golden.py
// writes torchmodels.LayerNorms in PyTorch (nn.LayerNorm between Linear layers and
// one with elementwise_affine=False, on every step of an LSTM's (N, T, F) output
// between two LSTMs with eps 1e-3 on the second, over a convolution's (C, H, W)
// with eps 1e-3 and one item far from zero mean), with random LayerNorm weights and
// biases, runs them in eval and train mode and records what they computed.
// TestLayerNormModelsMatchPyTorch builds the same models with package nn, loads the
// torch parameters and compares in the reference interpreter the outputs and loss
// of both modes and the gradient of every weight, on the lowered graphs and on the
// graphs of the whole pass pipeline (checkModelsAgainstTorch, torch_test.go;
// relative tolerance 1e-9). codegen's TestTheTorchModelsMatchPyTorch checks the
// generated code of the models against the same numbers.
func TestLayerNormModelsMatchPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.LayerNormGoldenFile), torchmodels.LayerNorms)
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.LayerNorms, cases)
}
