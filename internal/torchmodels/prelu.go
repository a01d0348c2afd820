package torchmodels

import "github.com/dlgen/dlgen/nn"

// PReLUGoldenFile holds PyTorch's values for the models of PReLUs (written by
// testdata/torch/prelu_golden.py), relative to the module root.
const PReLUGoldenFile = "testdata/torch/prelu_golden.json"

// PReLUs are the models of prelu_golden.py, in its order: torch.nn.PReLU with an α
// per channel after a convolution and with one α after a Dense layer, and Keras'
// PReLU with shared_axes=[1] on a per-step Dense's (N, T, F) output.
// models/prelu_test.go compares them with PyTorch in the interpreter, codegen's
// TestTheTorchModelsMatchPyTorch in generated code.
var PReLUs = []Case{
	{"prelu_conv", "conv_prelu_per_channel_flatten_dense_prelu_one_dense_sparse_ce", PReLUConv},
	{"prelu_seq", "dense_per_step_prelu_keras_shared_steps_dense_per_step_mse", PReLUSeq},
}

// PReLUConv is "prelu_conv": x (N, 2, 6, 6) → Conv2D(3, 3×3) → PReLU with an α per
// channel → flatten → Dense(5) → PReLU with one α → Dense(3); cross-entropy of the
// logits.
func PReLUConv() *nn.Model {
	m := nn.New("prelu_conv")
	x := m.Input("x", 2, 6, 6)
	y := m.Labels("label")
	h := x.Conv2D("conv", 3, nn.K(3)).PReLU("act1", nn.PerChannel)
	h = h.Flatten("flat").Dense("fc", 5).PReLU("act2")
	logits := h.Dense("out", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// PReLUSeq is "prelu_seq": x (N, 5, 4) → Dense(6) per step → PReLU with Keras'
// shared_axes=[1] (α (1, 6)) → Dense(2) per step; mean squared error.
func PReLUSeq() *nn.Model {
	m := nn.New("prelu_seq")
	x := m.Input("x", 5, 4)
	t := m.Target("t", 5, 2)
	y := x.Dense("proj", 6).PReLU("act", nn.SharedAxes(1), nn.KernelInit("zeros")).Dense("out", 2)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, t))
	return m
}
