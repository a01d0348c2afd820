package torchmodels

import "github.com/dlgen/dlgen/nn"

// SeqAEGoldenFile holds PyTorch's values for the models of SeqAEs (written by
// testdata/torch/seqae_golden.py), relative to the module root.
const SeqAEGoldenFile = "testdata/torch/seqae_golden.json"

// SeqAEs are the models of seqae_golden.py, in its order: the sequence-to-sequence
// (LSTM) autoencoder, whose decoder reads its code at every step through
// RepeatVector. models/seqae_test.go compares them with PyTorch in the interpreter,
// codegen's TestTheTorchModelsMatchPyTorch in generated code.
var SeqAEs = []Case{
	{"seq2seq_ae", "lstm_last_state_repeatvector_lstm_sequences_per_step_dense_sigmoid_bce", Seq2SeqAE},
}

// Seq2SeqAE is "seq2seq_ae": x (N, 6, 4) → LSTM(5), its last state → RepeatVector(6) →
// LSTM(3) returning every step → per-step Dense(4) with sigmoid; binary
// cross-entropy against x itself.
func Seq2SeqAE() *nn.Model {
	m := nn.New("seq2seq_ae")
	x := m.Input("x", 6, 4)
	code := x.LSTM("enc", 5)                      // (N, 5)
	h := code.RepeatVector("repeat", 6)           // (N, 6, 5)
	h = h.LSTM("dec", 3, nn.ReturnSequences)      // (N, 6, 3)
	recon := h.Dense("out", 4, nn.Act("sigmoid")) // (N, 6, 4)
	m.Output("recon", recon)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
	return m
}
