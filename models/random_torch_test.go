package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// TestRandomModelsMatchPyTorch rebuilds every random model of
// testdata/torch/random_golden.py (a stack of random layers with random
// hyper-parameters, a Dense head and a random loss; see the script) from its
// configuration with package nn, and compares it with PyTorch as
// TestModelsMatchPyTorch compares the hand-written models: outputs and loss in eval
// and train mode, every gradient and the batch-norm running statistics, in the
// interpreter, on the lowered graphs and on those of the whole pass pipeline, at
// relative 1e-9. A failure logs the model's configuration, which
// torchmodels.RandomConfig.Model rebuilds.
func TestRandomModelsMatchPyTorch(t *testing.T) {
	set, err := torchmodels.LoadRandomGolden(filepath.Join("..", torchmodels.RandomGoldenFile))
	require.NoError(t, err)
	for _, c := range set.Models {
		t.Run(c.Name, func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("config of %s: %s", c.Name, c.Config)
				}
			})
			require.Equal(t, c.Config.Batch, c.Batch)
			g, err := c.Config.Model(c.Name).Build()
			require.NoError(t, err)
			t.Run("lowered", func(t *testing.T) {
				infer, err := passes.Lower(g, ir.ModeInfer)
				require.NoError(t, err)
				train, err := passes.Lower(g, ir.ModeTrain)
				require.NoError(t, err)
				train, err = passes.Autodiff(train)
				require.NoError(t, err)
				checkAgainstTorch(t, c.Golden, infer, train)
			})
			t.Run("compiled", func(t *testing.T) {
				infer, err := passes.Compile(g, ir.ModeInfer, passes.Config{})
				require.NoError(t, err)
				train, err := passes.Compile(g, ir.ModeTrain, passes.Config{})
				require.NoError(t, err)
				checkAgainstTorch(t, c.Golden, infer, train)
			})
		})
	}
}
