package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// Adaptive pooling in whole models against PyTorch. testdata/torch/adaptive_golden.py
// writes torchmodels.AdaptiveModels in PyTorch (F.adaptive_avg_pool2d to 4×2 of 8×8,
// to 3×2 of 7×5 with overlapping windows of two sizes, F.adaptive_max_pool2d to 2×3
// of the same and to 4×5 of 3×3), runs them in eval and train mode and records what
// they computed. TestAdaptivePoolingMatchesPyTorch builds the same models with package
// nn, loads the torch parameters and compares in the reference interpreter the
// outputs and loss of both modes and the gradient of every weight, on the lowered
// graphs and on the graphs of the whole pass pipeline (checkModelsAgainstTorch,
// torch_test.go; relative tolerance 1e-9). codegen's TestTheTorchModelsMatchPyTorch
// checks the generated code of the models against the same numbers.
func TestAdaptivePoolingMatchesPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadGoldenOf(filepath.Join("..", torchmodels.AdaptiveGoldenFile), torchmodels.AdaptiveModels)
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.AdaptiveModels, cases)
}
