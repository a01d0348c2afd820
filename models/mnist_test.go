package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/models"
)

// PyTorch's own MNIST network against PyTorch. testdata/torch/mnist_golden.py runs
// examples/mnist's Net (small, dropout 0: see torchmodels.MNIST) in eval and in
// train mode, with one image whose log-probabilities reach -154, and records what it
// computed; TestTorchMNISTMatchesPyTorch compares, in the reference interpreter, the
// log-probabilities and the NLL loss of both modes and the gradient of every weight,
// on the lowered graphs and on those of the whole pass pipeline
// (checkModelsAgainstTorch, torch_test.go; relative tolerance 1e-9). codegen's
// TestTheTorchModelsMatchPyTorch checks its generated code against the same numbers.
func TestTorchMNISTMatchesPyTorch(t *testing.T) {
	cases, err := torchmodels.LoadMNISTGolden(filepath.Join("..", torchmodels.MNISTGoldenFile))
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.MNIST, cases)
}

// TorchMNIST is examples/mnist's Net at full size: its state_dict names and shapes
// and its 1,199,882 parameters (as sum(p.numel() for p in Net().parameters())),
// log_softmax under NLLLoss, and the two dropouts at 0.25 and 0.5.
func TestTorchMNISTIsPyTorchsExampleNet(t *testing.T) {
	g, err := models.TorchMNIST().Build()
	require.NoError(t, err)
	want := map[string]ir.Shape{
		"conv1.weight": {32, 1, 3, 3}, "conv1.bias": {32},
		"conv2.weight": {64, 32, 3, 3}, "conv2.bias": {64},
		"fc1.weight": {128, 9216}, "fc1.bias": {128},
		"fc2.weight": {10, 128}, "fc2.bias": {10},
	}
	total := 0
	require.Len(t, g.Params(), len(want))
	for _, p := range g.Params() {
		assert.Equal(t, want[p.Name], p.Shape, p.Name)
		total += p.Shape.Elems()
	}
	assert.Equal(t, 1199882, total)
	assert.Equal(t, ir.OpNLLLoss, g.Nodes[g.Loss].Op)
	out := g.Nodes[g.Outputs[0].ID]
	assert.Equal(t, ir.OpLogSoftmax, out.Op)
	assert.Equal(t, ir.Shape{ir.Batch, 10}, out.Shape)
	assert.Equal(t, []int{out.ID, g.ByName("label").ID}, g.Nodes[g.Loss].Inputs)
	assert.Equal(t, 0.25, g.ByName("dropout1").Attrs.Rate)
	assert.Equal(t, 0.5, g.ByName("dropout2").Attrs.Rate)
}
