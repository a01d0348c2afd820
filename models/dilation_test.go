package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// Dilated convolutions in whole models against PyTorch.
// testdata/torch/dilation_golden.py writes torchmodels.TCN (causal Conv1D layers
// dilated by 1, 2 and 4 with a residual sum, a strided dilated Conv1D with Keras'
// same padding, a dilated Conv1DTranspose with PyTorch's padding and output
// padding) and torchmodels.DilatedCNN (a dilated Conv2D with Keras' same padding, a
// strided one dilated by (2, 3) with PyTorch's padding, a dilated Conv2DTranspose
// with Keras' same padding) in PyTorch; TestDilatedConvolutionsMatchPyTorch compares
// outputs, losses, every weight gradient in the interpreter, lowered and compiled
// (checkModelsAgainstTorch; relative tolerance 1e-9). codegen's
// TestTheTorchModelsMatchPyTorch checks their generated code against the same
// numbers.
func TestDilatedConvolutionsMatchPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadDilationGolden(filepath.Join("..", torchmodels.DilationGoldenFile))
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.DilationModels, cases)
}
