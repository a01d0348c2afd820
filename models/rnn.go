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
