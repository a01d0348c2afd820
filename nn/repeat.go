package nn

import "github.com/dlgen/dlgen/ir"

// RepeatVector repeats an (N, F) input n times along a new axis, (N, F) → (N, n, F),
// every step a copy of the input: Keras' RepeatVector(n), PyTorch's
// x.unsqueeze(1).repeat(1, n, 1). It feeds one vector to every step of a recurrent
// layer, as the decoder of a sequence-to-sequence autoencoder reads its code:
//
//	code := x.LSTM("enc", 64)                 // (N, 64)
//	h := code.RepeatVector("repeat", 28)      // (N, 28, 64)
//	h = h.LSTM("dec", 64, nn.ReturnSequences) // (N, 28, 64)
//
// Its gradient is the sum over the n steps. The input must be (N, F), as in Keras.
func (t *T) RepeatVector(name string, n int) *T {
	l := t.begin(name, "RepeatVector", nil, 0)
	if l == nil {
		return t.failed()
	}
	if x := l.shapes()[0]; x.Rank() != 2 {
		return l.fail("needs an (N, features) input, as Keras' RepeatVector; a sequence or image can be flattened first")
	}
	if n < 1 {
		return l.fail("repeats %d times; it must be at least 1", n)
	}
	return l.result(l.op(ir.OpRepeat, "", ir.Attrs{Axis: 1, Repeats: n}, l.x(0)))
}
