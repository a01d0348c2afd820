package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// Bilinear upsampling in a whole model against PyTorch.
// testdata/torch/upsample_golden.py writes torchmodels.BilinearAE in PyTorch (a
// convolutional autoencoder whose decoder enlarges a 2×4 code by (3, 2) with
// nn.Upsample(mode="bilinear", align_corners=False)), runs it in eval and in train
// mode, and records what it computed. TestBilinearUpsamplingMatchesPyTorch builds the
// same model with package nn, loads the torch parameters and compares in the
// reference interpreter the outputs and loss of both modes and the gradient of every
// weight, on the lowered graphs and on the graphs of the whole pass pipeline
// (checkModelsAgainstTorch, torch_test.go; relative tolerance 1e-9). codegen's
// TestTheTorchModelsMatchPyTorch checks the generated code of the model against the
// same numbers.
func TestBilinearUpsamplingMatchesPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadUpsampleGolden(filepath.Join("..", torchmodels.UpsampleGoldenFile))
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.Upsample, cases)
}
