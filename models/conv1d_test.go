package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// The 1-D layers and the global max pools in whole models against PyTorch.
// testdata/torch/conv1d_golden.py writes torchmodels.Conv1D (every 1-D layer: Conv1D
// with Keras' same padding at stride 2, causal padding, Full and explicit pads,
// Conv1DTranspose, MaxPool1D and AvgPool1D with Same (padding out of the divisor)
// and with counted pads, UpSampling1D, GlobalMaxPool1D, GlobalAvgPool1D, a batch
// norm over (N, C, L)) and torchmodels.GlobalMax (GlobalMaxPool2D and
// GlobalMaxPool1D whose maxima are exact ties, so that the weight gradients show
// which of the tied values the gradient went to: PyTorch's first) in PyTorch, runs
// them in eval and in train mode, and records what they computed.
// TestOneDLayersMatchPyTorch builds the same models with package nn, loads the torch
// parameters (Conv1d's (out, in, k) weights as they are) and compares in the
// reference interpreter the outputs and loss of both modes, the gradient of every
// weight and the running statistics, on the lowered graphs and on the graphs of the
// whole pass pipeline (checkModelsAgainstTorch; relative tolerance 1e-9).
// codegen's TestTheTorchModelsMatchPyTorch checks their generated code against the
// same numbers.
func TestOneDLayersMatchPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadConv1DGolden(filepath.Join("..", torchmodels.Conv1DGoldenFile))
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.Conv1DModels, cases)
}

// The batch norm after the Conv1D of torchmodels.Conv1D folds into its weight in
// inference (passes.BNFold looks through the view the convolution ends with: only
// the weight is scaled), and the convolutions read their weights through views
// (Reshape) of the (out, in, k) parameters or of the folded weight.
func TestConv1DBatchNormFoldsInInference(t *testing.T) {
	g, err := torchmodels.Conv1D().Build()
	require.NoError(t, err)
	infer, err := passes.Compile(g, ir.ModeInfer, passes.Config{})
	require.NoError(t, err)
	for _, n := range infer.Nodes {
		assert.False(t, n.Op == ir.OpChannelMul && n.Shape.Batched(), "%s: a batch norm is left on the activations", n.Name)
		if n.Op == ir.OpConv2D || n.Op == ir.OpConv2DTranspose {
			w := infer.Nodes[n.Inputs[1]]
			assert.Equal(t, ir.OpReshape, w.Op, "%s reads its weight through a view", n.Name)
		}
	}
}
