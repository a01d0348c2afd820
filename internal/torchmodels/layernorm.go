package torchmodels

import "github.com/dlgen/dlgen/nn"

// LayerNormGoldenFile holds PyTorch's values for the models of LayerNorms (written by
// testdata/torch/layernorm_golden.py), relative to the module root.
const LayerNormGoldenFile = "testdata/torch/layernorm_golden.json"

// LayerNorms are the models of layernorm_golden.py, in its order: torch.nn.LayerNorm
// between Dense layers (one without affine parameters), on every step of (N, T, F)
// between two LSTMs, and over a convolution's (C, H, W). models/layernorm_test.go
// compares them with PyTorch in the interpreter, codegen's
// TestTheTorchModelsMatchPyTorch in generated code.
var LayerNorms = []Case{
	{"ln_mlp", "dense_layernorm_relu_dense_layernorm_noaffine_tanh_dense_sparse_ce", LNMLP},
	{"ln_tagger", "lstm_sequences_layernorm_per_step_lstm_sequences_layernorm_eps1e-3_dense_per_step_sparse_ce_per_step", LNTagger},
	{"ln_conv", "conv_layernorm_chw_eps1e-3_relu_flatten_dense_mse", LNConv},
}

// LNMLP is "ln_mlp": x (N, 12) → Dense(16) → LayerNorm → relu → Dense(8) → LayerNorm
// without affine parameters → tanh → Dense(3); cross-entropy of the logits.
func LNMLP() *nn.Model {
	m := nn.New("ln_mlp")
	x := m.Input("x", 12)
	y := m.Labels("label")
	h := x.Dense("fc1", 16).LayerNorm("ln1").Relu("relu1")
	h = h.Dense("fc2", 8).LayerNorm("ln2", nn.NoAffine).Tanh("tanh2")
	logits := h.Dense("out", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// LNTagger is "ln_tagger": x (N, 6, 4) → LSTM(6) with every step → LayerNorm per
// step → LSTM(5) with every step → LayerNorm per step with eps 1e-3 → per-step
// Dense(3); cross-entropy against a class per step.
func LNTagger() *nn.Model {
	m := nn.New("ln_tagger")
	x := m.Input("x", 6, 4)
	tags := m.Labels("tags", 6)
	h := x.LSTM("enc", 6, nn.ReturnSequences).LayerNorm("ln_enc")              // (N, 6, 6)
	h = h.LSTM("dec", 5, nn.ReturnSequences).LayerNorm("ln_dec", nn.Eps(1e-3)) // (N, 6, 5)
	logits := h.Dense("tag", 3)                                                // (N, 6, 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, tags, nn.FromLogits))
	return m
}

// LNConv is "ln_conv": x (N, 2, 6, 6) → Conv2D(4, 3×3, pads 1) → LayerNorm over
// (4, 6, 6) with eps 1e-3 → relu → flatten → Dense(2); mean squared error.
func LNConv() *nn.Model {
	m := nn.New("ln_conv")
	x := m.Input("x", 2, 6, 6)
	t := m.Target("t", 2)
	h := x.Conv2D("conv", 4, nn.K(3), nn.Pads(1))
	h = h.LayerNorm("ln", nn.NormShape(4, 6, 6), nn.Eps(1e-3)).Relu("relu")
	y := h.Flatten("flat").Dense("fc", 2)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, t))
	return m
}
