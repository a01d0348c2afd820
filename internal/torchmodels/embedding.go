package torchmodels

import "github.com/dlgen/dlgen/nn"

// EmbeddingGoldenFile holds PyTorch's values for the models of Embeddings, written
// by testdata/torch/embedding_golden.py; the path is relative to the module root.
const EmbeddingGoldenFile = "testdata/torch/embedding_golden.json"

// Embeddings are the models of embedding_golden.py, in its order: text models that
// start with an Embedding fed by int ids. models/embedding_test.go compares them
// with PyTorch in the interpreter, codegen's TestTheTorchModelsMatchPyTorch in
// generated code (CheckGenerated finds them by name).
var Embeddings = []Case{
	{"embed_lstm", "embedding_50x8_of_nt_ids_lstm_last_state_dense_sparse_ce", EmbedLSTM},
	{"embed_tagger", "embedding_padding_idx_0_bigru_sequences_concat_per_step_dense_sparse_ce_nt_labels", EmbedTagger},
}

// EmbedLSTM is "embed_lstm", a text classifier: Embedding(50, 8) on (N, 12) token
// ids, an LSTM's last state, Dense(4) logits, and the sparse categorical
// cross-entropy from logits.
func EmbedLSTM() *nn.Model {
	m := nn.New("embed_lstm")
	tokens := m.Indices("tokens", 12)
	y := m.Labels("label")
	logits := tokens.Embedding("embed", 50, 8).LSTM("lstm", 6).Dense("fc", 4)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// EmbedTagger is "embed_tagger", a sequence tagger: Embedding(30, 5) with padding
// row 0 on (N, 7) word ids, a bidirectional GRU returning every step (the
// directions concatenated), a per-step Dense(3), and the sparse categorical
// cross-entropy from logits against (N, 7) labels.
func EmbedTagger() *nn.Model {
	m := nn.New("embed_tagger")
	words := m.Indices("words", 7)
	tags := m.Labels("tags", 7)
	h := words.Embedding("embed", 30, 5, nn.PaddingIdx(0))
	logits := h.Bidirectional("bigru", nn.GRULayer(4, nn.ReturnSequences), "concat").Dense("out", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, tags, nn.FromLogits))
	return m
}
