package nn

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// embeddingOpts are the options Embedding takes.
const embeddingOpts = optKernelInit | optTorchInit | optPaddingIdx | optMaskZero

// defaultEmbeddingBound is Keras' Embedding initializer, uniform in ±0.05.
const defaultEmbeddingBound = 0.05

// Embedding maps int ids to learned vectors: on ids (N, d...) from Model.Indices it
// gives (N, d..., dim), the row of the weight "<name>.weight" (vocab, dim) each id
// selects, as PyTorch's nn.Embedding(vocab, dim) and Keras' Embedding(vocab, dim)
// compute it; it is where a text model starts:
//
//	tokens := m.Indices("tokens", 200)                 // (N, 200) token ids
//	h := tokens.Embedding("embed", 20000, 64)          // (N, 200, 64)
//	h = h.LSTM("lstm", 64)                             // (N, 64)
//
// The weight starts uniform in ±0.05 (Keras); TorchInit gives PyTorch's N(0, 1),
// KernelInit any other initializer (fans as torch.nn.init computes them on the
// (vocab, dim) weight: fan_in dim, fan_out vocab). PaddingIdx(i) is PyTorch's
// padding_idx: row i starts at zero and gets no gradient (an id i still reads it).
// An id outside [0, vocab) is an error at run time naming the argument and the
// position. The gradient is dense (PyTorch's sparse=False): the optimizer updates
// the whole weight.
//
// MaskZero is Keras' mask_zero=True: id 0 pads, and the recurrent layers that read
// the vectors (SimpleRNN, LSTM, GRU, Bidirectional, stacked with ReturnSequences)
// skip the padded steps exactly as tf.keras 2.x does, before or after the words: a
// padded step leaves the state as it was, the last state is the one after the last
// word, and with ReturnSequences a padded step outputs the state it kept (zeros in a
// Bidirectional, which Keras asks of its halves). The vector of id 0 is still row 0,
// learned as in Keras (add nn.PaddingIdx(0) for PyTorch's zero row). Dense,
// Activation and Dropout pass the mask on, as Keras' do; it ends at a recurrent
// layer without ReturnSequences. Any other layer given a masked tensor is a build
// error naming it, since Keras would mask it, or the loss after it (see DropMask).
// Recurrent layers with a mask take no InitialState.
func (t *T) Embedding(name string, vocab, dim int, opts ...Option) *T {
	if t == nil {
		return nil
	}
	l := t.m.beginTyped(name, "Embedding", opts, embeddingOpts, 0, t)
	if l == nil {
		return t.failed()
	}
	ids := l.m.g.Nodes[t.id]
	switch {
	case ids.Attrs.Role != ir.RoleData:
		return l.fail("%q holds class labels (Model.Labels), a training target; ids are a model input made by Model.Indices", ids.Name)
	case vocab <= 0 || dim <= 0:
		return l.fail("vocabulary size %d and dimension %d must be positive", vocab, dim)
	}
	init := irInit(l.c.kernelInit, ir.InitUniform, dim, vocab)
	if l.c.kernelInit == nil {
		init.Value = defaultEmbeddingBound
		if l.c.rnn.torchInit {
			init = &ir.Init{Kind: ir.InitNormal, Value: 1} // torch.nn.Embedding.reset_parameters
		}
	}
	var a ir.Attrs
	if l.c.seen&optPaddingIdx != 0 {
		p := l.c.paddingIdx
		if p < 0 {
			p += vocab // PyTorch counts a negative padding_idx from the end
		}
		if p < 0 || p >= vocab {
			return l.fail("nn.PaddingIdx(%d) is not a row of the %d-row weight (it must be in [-%d, %d))", l.c.paddingIdx, vocab, vocab, vocab)
		}
		a.Extra = []int{p}
		init.ZeroRows = []int{p}
	}
	w := l.param("weight", ir.Shape{vocab, dim}, ir.RoleWeight, init)
	y := l.result(l.op(ir.OpEmbedding, "", a, l.x(0), w))
	if l.c.seen&optMaskZero != 0 && y.id >= 0 {
		if l.m.masks == nil {
			l.m.masks = map[int]*stepMask{}
		}
		l.m.masks[y.id] = &stepMask{layer: name, ids: l.x(0), vocab: vocab}
	}
	return y
}

// stepMask is the Keras mask a tensor carries: step t of item n is a word where
// ids[n, t] != 0 (Embedding with MaskZero).
type stepMask struct {
	layer string // the Embedding
	ids   int    // its ids (N, T)
	vocab int
}

type paddingIdxOpt int

// PaddingIdx sets an Embedding's padding row, PyTorch's padding_idx: that row is
// initialised to zeros and gets no gradient, so the id that pads short sequences
// (often 0) maps to a vector that stays zero; a negative index counts from the end,
// as in PyTorch.
func PaddingIdx(i int) Option { return paddingIdxOpt(i) }

func (p paddingIdxOpt) String() string { return fmt.Sprintf("nn.PaddingIdx(%d)", int(p)) }
func (p paddingIdxOpt) apply(c *config) optKind {
	c.paddingIdx = int(p)
	return optPaddingIdx
}

// DropMask is t without the step mask of an Embedding with MaskZero: a layer named
// name (an identity) whose result every layer takes, every step counted. Keras would
// carry the mask on from a recurrent layer with ReturnSequences to the layers after
// it and to the loss; dlgen stops a masked tensor there with a build error instead,
// and DropMask is the explicit way on: for a tagger whose loss leaves the padded
// steps out by itself (their labels the nn.IgnoreIndex), or a custom loss.
func (t *T) DropMask(name string) *T {
	l := t.begin(name, "DropMask", nil, 0)
	if l == nil {
		return t.failed()
	}
	return l.result(l.op(ir.OpIdentity, "", ir.Attrs{}, l.x(0)))
}
