package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// The smooth activations in a whole model against PyTorch.
// testdata/torch/act_golden.py writes torchmodels.Act in PyTorch (every one of ELU,
// SELU, softplus, GELU exact and tanh, SiLU/swish after a convolution, a transposed
// convolution or a dense layer, and ELU as a layer of its own), with a few biases set
// so that layers reach softplus' threshold and the saturated sides of ELU, GELU and
// SiLU, runs it in eval and in train mode, and records what it computed.
// TestSmoothActivationsMatchPyTorch builds the same model with package nn, loads the
// torch parameters and compares in the reference interpreter the outputs and loss of
// both modes and the gradient of every weight, on the lowered graphs and on the
// graphs of the whole pass pipeline (checkAgainstTorch, torch_test.go; relative
// tolerance 1e-9). codegen's TestSmoothActivationsInGeneratedCode checks the
// generated code of the model against the same numbers.
func TestSmoothActivationsMatchPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadActGolden(filepath.Join("..", torchmodels.ActGoldenFile))
	require.NoError(t, err)
	for i, tc := range torchmodels.ActModels {
		c := cases[i]
		t.Run(tc.Name+"_"+tc.Desc, func(t *testing.T) {
			g := build(t, tc.Model)
			t.Run("lowered", func(t *testing.T) {
				infer, err := passes.Lower(g, ir.ModeInfer)
				require.NoError(t, err)
				train, err := passes.Lower(g, ir.ModeTrain)
				require.NoError(t, err)
				train, err = passes.Autodiff(train)
				require.NoError(t, err)
				checkAgainstTorch(t, c, infer, train)
			})
			t.Run("compiled", func(t *testing.T) {
				infer, err := passes.Compile(g, ir.ModeInfer, passes.Config{})
				require.NoError(t, err)
				train, err := passes.Compile(g, ir.ModeTrain, passes.Config{})
				require.NoError(t, err)
				checkAgainstTorch(t, c, infer, train)
			})
		})
	}
}
