package torchmodels

import "github.com/dlgen/dlgen/nn"

// PermuteGoldenFile holds PyTorch's values for the models of PermuteModels (written
// by testdata/torch/permute_golden.py), relative to the module root.
const PermuteGoldenFile = "testdata/torch/permute_golden.json"

// PermuteModels are the models of permute_golden.py, in its order: a text CNN
// (Embedding, Permute to channels-first, Conv1D over the steps), a channels-last image
// into Conv2D and back to channels-last, and the mean over an LSTM's
// steps. models/permute_test.go compares them with PyTorch in the interpreter,
// codegen's TestTheTorchModelsMatchPyTorch in generated code.
var PermuteModels = []Case{
	{"text_cnn", "embedding_permute_conv1d_relu_global_max_dense_sparse_ce", TextCNN},
	{"nhwc_cnn", "permute_nhwc_to_nchw_conv_same_tanh_permute_to_nhwc_flatten_dense_mse", NHWCCNN},
	{"steps_mean", "lstm_sequences_permute_global_avg_over_steps_dense_sparse_ce", StepsMean},
}

// TextCNN is "text_cnn": (N, 9) ids → Embedding(15, 6) → Permute(2, 1) → (N, 6, 9) →
// Conv1D(5, 3) with relu → GlobalMaxPool1D → Dense(3); cross-entropy of the logits.
func TextCNN() *nn.Model {
	m := nn.New("text_cnn")
	words := m.Indices("words", 9)
	y := m.Labels("label")
	h := words.Embedding("embed", 15, 6).Permute("to_channels", 2, 1) // (N, 6, 9)
	h = h.Conv1D("conv", 5, nn.K(3), nn.Act("relu")).GlobalMaxPool1D("pool")
	logits := h.Dense("fc", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// NHWCCNN is "nhwc_cnn": a channels-last (N, 5, 4, 3) image → Permute(3, 1, 2) →
// Conv2D(4, 3×3, pads 1) with tanh → Permute(2, 3, 1), back to channels-last
// (N, 5, 4, 4) → Flatten → Dense(2); mean squared error.
func NHWCCNN() *nn.Model {
	m := nn.New("nhwc_cnn")
	img := m.Input("img", 5, 4, 3)
	t := m.Target("t", 2)
	h := img.Permute("to_nchw", 3, 1, 2).Conv2D("conv", 4, nn.K(3), nn.Pads(1), nn.Act("tanh"))
	y := h.Permute("to_nhwc", 2, 3, 1).Flatten("flat").Dense("fc", 2)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, t))
	return m
}

// StepsMean is "steps_mean": x (N, 6, 4) → LSTM(5) with every step → Permute(2, 1) →
// GlobalAvgPool1D, the mean over the 6 steps (Keras' GlobalAveragePooling1D on
// (N, 6, 5)) → Dense(3); cross-entropy of the logits.
func StepsMean() *nn.Model {
	m := nn.New("steps_mean")
	x := m.Input("x", 6, 4)
	y := m.Labels("label")
	h := x.LSTM("lstm", 5, nn.ReturnSequences).Permute("to_channels", 2, 1).GlobalAvgPool1D("mean")
	logits := h.Dense("fc", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}
