package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// Zero padding and cropping in whole models against PyTorch.
// testdata/torch/padcrop_golden.py writes torchmodels.PadCropAE (a convolutional
// autoencoder that pads 28×28 to 32×32 with nn.ZeroPad2d and slices its 32×32
// reconstruction back to 28×28) and torchmodels.PadCrop1D (F.pad by (2, 1), Conv1d,
// a slice dropping (1, 2) steps), runs them in eval and in train mode, and records
// what they computed. The test builds the same models with package nn, loads the
// torch parameters and compares in the reference interpreter the outputs and loss of
// both modes and the gradient of every weight, on the lowered graphs and on the
// graphs of the whole pass pipeline (checkModelsAgainstTorch, torch_test.go;
// relative tolerance 1e-9). codegen's TestTheTorchModelsMatchPyTorch checks the
// generated code of both against the same numbers.
func TestPaddingAndCroppingMatchPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadPadCropGolden(filepath.Join("..", torchmodels.PadCropGoldenFile))
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.PadCrop, cases)
}
