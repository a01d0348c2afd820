package models

import "github.com/dlgen/dlgen/nn"

// LSTM is workload W3: a sequence of 32 steps of 32 features → LSTM with 64 units
// (PyTorch's equations and weight names, Keras' default initializers) → its last
// state → Dense 10, trained with softmax cross-entropy on class labels. Predict
// returns class probabilities.
//
//dlgen:model
func LSTM() *nn.Model {
	m := nn.New("lstm")
	x := m.Input("seq", 32, 32)
	y := m.Labels("label")
	logits := x.LSTM("lstm", 64).Dense("fc", 10)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// BiGRU classifies the same sequences as LSTM with a bidirectional GRU (32 units each
// way, PyTorch's GRU = Keras' reset_after=True, variational dropout 0.1 on the
// inputs), whose two final states are concatenated → Dense 10, softmax
// cross-entropy.
//
//dlgen:model
func BiGRU() *nn.Model {
	m := nn.New("bigru")
	x := m.Input("seq", 32, 32)
	y := m.Labels("label")
	h := x.Bidirectional("bigru", nn.GRULayer(32, nn.VariationalDropout(0.1)), "concat") // 64
	logits := h.Dense("fc", 10)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// RowLSTM reads an MNIST image as a sequence of its 28 rows of 28 pixels: LSTM with
// 128 units → its last state → Dense 10, softmax cross-entropy on class labels
// (the sequential MNIST task of Le et al., 2015, one row per step).
//
//dlgen:model
func RowLSTM() *nn.Model {
	m := nn.New("rowlstm")
	x := m.Input("image", 28, 28)
	y := m.Labels("label")
	logits := x.LSTM("lstm", 128).Dense("fc", 10)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// TextLSTM is a sentiment classifier in the shape of the IMDB examples of Keras and
// PyTorch courses: a review as 80 token ids from a 5000-word vocabulary, id 0
// padding short reviews → Embedding(5000, 32) with padding row 0 → LSTM with 32
// units → its last state → Dense 2, trained with softmax cross-entropy on class
// labels. Predict returns class probabilities. (PyTorch: nn.Embedding(5000, 32,
// padding_idx=0), nn.LSTM(32, 32, batch_first=True), nn.Linear(32, 2).)
//
//dlgen:model
func TextLSTM() *nn.Model {
	m := nn.New("textlstm")
	tokens := m.Indices("tokens", 80)
	y := m.Labels("label")
	h := tokens.Embedding("embed", 5000, 32, nn.PaddingIdx(0)) // (N, 80, 32)
	logits := h.LSTM("lstm", 32).Dense("fc", 2)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}
