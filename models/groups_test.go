package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// Grouped and depthwise convolutions in whole models against PyTorch.
// testdata/torch/groups_golden.py writes torchmodels.GroupModels in PyTorch (Conv2d
// with groups 2 and 3, one strided; MobileNet's block: a depthwise Conv2d with
// groups = channels and two filters each, no bias, a BatchNorm2d, a pointwise 1×1
// Conv2d; Conv1d with groups = channels and a dilated one with 2 groups; Keras'
// SeparableConv2D with same padding at stride 2, written out with F.conv2d), runs them
// in eval and train mode and records what they computed.
// TestGroupedConvolutionsMatchPyTorch builds the same models with package nn, loads
// the torch parameters and compares in the reference interpreter the outputs and loss
// of both modes, the batch norm's running statistics and the gradient of every
// weight, on the lowered graphs and on the graphs of the whole pass pipeline (where
// the batch norm folds into the depthwise weights; checkModelsAgainstTorch,
// torch_test.go; relative tolerance 1e-9). codegen's TestTheTorchModelsMatchPyTorch
// checks the generated code of the models against the same numbers.
func TestGroupedConvolutionsMatchPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.GroupsGoldenFile), torchmodels.GroupModels)
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.GroupModels, cases)
}
