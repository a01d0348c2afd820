package torchmodels

import "github.com/dlgen/dlgen/nn"

// DenseSeqGoldenFile holds PyTorch's values for the models of DenseSeq, written by
// testdata/torch/dense_seq_golden.py; the path is relative to the module root.
const DenseSeqGoldenFile = "testdata/torch/dense_seq_golden.json"

// DenseSeq are the models of dense_seq_golden.py, in its order: Dense on the last
// axis of rank ≥ 3 inputs (torch.nn.Linear on (N, T, F) and (N, A, B, F)).
// models/dense_seq_test.go compares them with PyTorch in the interpreter.
var DenseSeq = []Case{
	{"tagger", "lstm_sequences_dense_tanh_per_step_dense_logits_cce_logits_over_steps", Tagger},
	{"seq_ae", "lstm_autoencoder_nobias_dense_per_step_batchnorm_over_steps_gru_dense_sigmoid_mse", SeqAE},
	{"grid", "dense_on_rank4_leaky_relu_nobias_softmax_keras_cce_second_head_mse_addloss", Grid},
}

// Tagger is "tagger": an LSTM's every state through two per-step Dense layers to
// per-step logits, against (N, T, C) one-hot targets.
func Tagger() *nn.Model {
	m := nn.New("tagger")
	seq := m.Input("seq", 5, 3)
	onehot := m.Target("onehot", 5, 4)
	logits := seq.LSTM("enc", 6, nn.ReturnSequences).Dense("proj", 5, nn.Act("tanh")).Dense("out", 4)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.CategoricalCrossEntropy("loss", logits, onehot, nn.FromLogits))
	return m
}

// SeqAE is "seq_ae": a sequence autoencoder whose per-step code (units equal to
// steps) goes through a batch norm over the steps, which must not fold into it.
func SeqAE() *nn.Model {
	m := nn.New("seq_ae")
	seq := m.Input("seq", 4, 3)
	h := seq.LSTM("enc", 5, nn.ReturnSequences).Dense("code", 4, nn.NoBias)
	h = h.BatchNorm("bn") // channels: the 4 steps, not the 4 units
	recon := h.GRU("dec", 6, nn.ReturnSequences).Dense("recon", 3, nn.Act("sigmoid"))
	m.Output("recon", recon)
	m.Loss(nn.MSE("loss", recon, seq))
	return m
}

// Grid is "grid": Dense layers on an (N, A, B, F) input, with a Keras
// cross-entropy head on probabilities and an MSE head added to the loss.
func Grid() *nn.Model {
	m := nn.New("grid")
	x := m.Input("x", 2, 3, 5)
	soft := m.Target("soft", 2, 3, 3)
	target := m.Target("t", 2, 3, 2)
	h := x.Dense("d1", 6, nn.Act("leaky_relu", 0.2))
	p := h.Dense("d2", 3, nn.NoBias, nn.Act("softmax"))
	r := h.Dense("reg", 2)
	m.Output("probs", p)
	m.Output("reg", r)
	m.Loss(nn.CategoricalCrossEntropy("cce", p, soft))
	m.AddLoss(nn.MSE("mse", r, target), 0.3)
	return m
}
