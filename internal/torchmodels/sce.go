package torchmodels

import "github.com/dlgen/dlgen/nn"

// SCEGoldenFile holds PyTorch's values for the models of SCE, written by
// testdata/torch/sce_golden.py; the path is relative to the module root.
const SCEGoldenFile = "testdata/torch/sce_golden.json"

// SCE are the models of sce_golden.py, in its order: the sparse categorical
// cross-entropy on probabilities (Keras' default) and with a class label per step.
// models/sce_test.go compares them with PyTorch in the interpreter, codegen's
// sce_test.go in generated code (CheckGenerated finds them by name).
var SCE = []Case{
	{"mlp_probs", "dense_relu_dense_softmax_sparse_ce_on_probabilities_clipped_rows", MLPProbs},
	{"tagger_labels", "lstm_sequences_dense_tanh_per_step_dense_logits_sparse_ce_over_steps_nt_labels", TaggerLabels},
	{"tagger_probs", "gru_sequences_dense_softmax_per_step_sparse_ce_on_probabilities_nt_labels", TaggerProbs},
}

// MLPProbs is "mlp_probs", the canonical Keras MNIST classifier in miniature:
// Dense(16, relu), Dense(5, softmax), and loss="sparse_categorical_crossentropy" on
// the probabilities, against (N) class labels.
func MLPProbs() *nn.Model {
	m := nn.New("mlp_probs")
	x := m.Input("x", 12)
	y := m.Labels("label")
	probs := x.Dense("fc1", 16, nn.Act("relu")).Dense("fc2", 5, nn.Act("softmax"))
	m.Output("probs", probs)
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", probs, y))
	return m
}

// TaggerLabels is "tagger_labels", a sequence tagger: an LSTM returning every step,
// a per-step Dense with tanh and per-step logits, trained with the sparse
// categorical cross-entropy from logits against (N, T) class labels (PyTorch's
// CrossEntropyLoss on (N, C, T)); per-step softmax probabilities out.
func TaggerLabels() *nn.Model {
	m := nn.New("tagger_labels")
	seq := m.Input("seq", 5, 3)
	tags := m.Labels("tags", 5)
	logits := seq.LSTM("enc", 6, nn.ReturnSequences).Dense("proj", 5, nn.Act("tanh")).Dense("out", 4)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, tags, nn.FromLogits))
	return m
}

// TaggerProbs is "tagger_probs": a GRU returning every step and a per-step
// Dense(3, softmax), the sparse categorical cross-entropy on those probabilities
// against (N, T) class labels, as Keras computes it.
func TaggerProbs() *nn.Model {
	m := nn.New("tagger_probs")
	seq := m.Input("seq", 4, 3)
	tags := m.Labels("tags", 4)
	probs := seq.GRU("enc", 5, nn.ReturnSequences).Dense("out", 3, nn.Act("softmax"))
	m.Output("probs", probs)
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", probs, tags))
	return m
}
