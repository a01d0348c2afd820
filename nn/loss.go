package nn

import (
	"fmt"
	"strings"

	"github.com/dlgen/dlgen/ir"
)

// Loss builders take a prediction and a target of the same shape and return a scalar
// T, averaged over every element (or, for the categorical losses, over the batch) as
// PyTorch's reduction='mean' and Keras' default do. Pass the result to Model.Loss or
// Model.AddLoss.

// MSE is the mean squared error, mean((pred - target)²).
func MSE(name string, pred, target *T) *T {
	return lossOp(name, "MSE", ir.OpMSELoss, ir.Attrs{}, pred, target, nil)
}

// MAE is the mean absolute error, mean(|pred - target|).
func MAE(name string, pred, target *T) *T {
	return lossOp(name, "MAE", ir.OpMAELoss, ir.Attrs{}, pred, target, nil)
}

// Huber is the Huber loss with threshold delta (PyTorch's HuberLoss, Keras' Huber;
// both default to delta 1): quadratic for |pred - target| ≤ delta, linear beyond.
func Huber(name string, pred, target *T, delta float64) *T {
	m := modelOf(pred, target)
	if !(delta > 0) {
		l := m.begin(name, "Huber", nil, 0, pred, target)
		if l == nil {
			return m.failed()
		}
		return l.fail("delta %g must be positive", delta)
	}
	return lossOp(name, "Huber", ir.OpHuberLoss, ir.Attrs{Alpha: delta}, pred, target, nil)
}

// BinaryCrossEntropy compares probabilities pred in [0, 1] (a sigmoid output) with
// targets in [0, 1], element-wise, as PyTorch's BCELoss does: each log is clamped at
// -100. Keras' binary_crossentropy on probabilities gives the same values except
// where pred is within 1e-7 of 0 or 1 (a saturated sigmoid in float32), which Keras
// clips to [1e-7, 1-1e-7] (testdata/keras has such a case); after a sigmoid
// activation layer tf.keras uses the logits behind it instead. With FromLogits, pred
// is the raw score before the sigmoid (BCEWithLogitsLoss, Keras' from_logits), which
// is exact for large scores: put the loss there for tf.keras' numbers.
func BinaryCrossEntropy(name string, pred, target *T, opts ...Option) *T {
	return lossOp(name, "BinaryCrossEntropy", ir.OpBCELoss, ir.Attrs{}, pred, target, opts)
}

// CategoricalCrossEntropy compares class probabilities pred (a softmax output) with
// one-hot or soft targets over the last axis, with Keras' semantics (pred is
// renormalised and clipped to [1e-7, 1-1e-7]). With FromLogits, pred is the logits
// and the loss is the stable -Σ t·log_softmax(pred).
func CategoricalCrossEntropy(name string, pred, target *T, opts ...Option) *T {
	return lossOp(name, "CategoricalCrossEntropy", ir.OpCategoricalCELoss, ir.Attrs{}, pred, target, opts)
}

// SparseCategoricalCrossEntropy compares predictions (N, ..., classes) with int class
// indices (N, ...) from Model.Labels, one per row of the last axis, and averages over
// those rows: (N, classes) with (N) labels, or a tagger's (N, T, classes) with (N, T)
// labels, averaged over all N·T steps.
//
// With FromLogits, pred is the logits and the loss is PyTorch's CrossEntropyLoss
// (whose class axis is 1: the same number for logits moved to (N, classes, T)), the
// stable -log_softmax(z)[label]. Without it, pred is probabilities (a softmax
// output, as Keras' Dense(10, activation="softmax") with
// loss="sparse_categorical_crossentropy"), with Keras' semantics: exactly
// CategoricalCrossEntropy on one-hot targets, each row renormalised to sum 1 and
// clipped to [1e-7, 1-1e-7] before -log of the label's entry. Prefer FromLogits on
// the layer before the softmax where you can: the clip caps each row's loss at
// -ln(1e-7) ≈ 16.1 and passes no gradient beyond it.
//
// With FromLogits, IgnoreIndex(i) is PyTorch's ignore_index (see it): the rows
// labelled i, such as a tagger's padded steps, are left out of the mean. The
// probability form does not take it.
func SparseCategoricalCrossEntropy(name string, pred, labels *T, opts ...Option) *T {
	m := modelOf(pred, labels)
	l := m.beginTyped(name, "SparseCategoricalCrossEntropy", opts, optFromLogits|optIgnoreIndex, 1, pred, labels)
	if l == nil {
		return m.failed()
	}
	what := "logits"
	if !l.c.fromLogits {
		what = "probabilities"
	}
	p, err := sparseLabels(l, what)
	if err != nil {
		return l.fail("%v", err)
	}
	if l.c.fromLogits {
		return l.result(l.op(ir.OpSparseSoftmaxCELoss, "", l.c.ignoreAttrs(), l.x(0), l.x(1)))
	}
	if l.c.seen&optIgnoreIndex != 0 {
		return l.fail("nn.IgnoreIndex(%d) needs nn.FromLogits: it is PyTorch's CrossEntropyLoss(ignore_index), which takes logits (Keras' probability form has no ignore index); put the loss on the layer before the softmax", l.c.ignoreIdx)
	}
	onehot := l.op(ir.OpOneHot, "onehot", ir.Attrs{Shape: p.Clone()}, l.x(1))
	return l.result(l.op(ir.OpCategoricalCELoss, "", ir.Attrs{}, l.x(0), onehot))
}

// sparseLabels checks a sparse loss's (N, ..., classes) predictions (what they are
// called in the error) against its (N, ...) labels, one per row of the last axis,
// and returns the predictions' shape.
func sparseLabels(l *builder, what string) (ir.Shape, error) {
	p, y := l.shapes()[0], l.shapes()[1]
	if p.Rank() < 2 {
		return nil, fmt.Errorf("predictions %s need a class axis after the batch", p)
	}
	if rows := p[:p.Rank()-1]; !y.Equal(rows) {
		var hint string
		switch {
		case y.Rank() == 1 && p.Rank() > 2:
			// One label per example and per-step predictions: a Dense on a
			// sequence, or on an image whose Flatten is missing.
			hint = fmt.Sprintf("; for a class per step or position declare the labels as Model.Labels(name, %s), or for one class per example flatten before the Dense layers", strings.Trim(ints(rows[1:]), "()"))
		case y.Rank() > 1 && p.Rank() == 2:
			hint = "; for one class per example the labels are Model.Labels(name) and the predictions (N, classes)"
		}
		return nil, fmt.Errorf("labels %s must have the shape of the %s %s without the class axis, %s%s", y, what, p, rows, hint)
	}
	return p, nil
}

// NLLLoss is PyTorch's NLLLoss (reduction 'mean'): log-probabilities logProbs
// (N, ..., classes), normally a LogSoftmax, against int class indices (N, ...) from
// Model.Labels, one per row of the last axis, as SparseCategoricalCrossEntropy takes
// them; the loss is the mean over those rows of -logProbs[..., label]. PyTorch's
// class axis is 1, so a tagger's (N, T, classes) here is its nll_loss on (N,
// classes, T). LogSoftmax then NLLLoss is the cross-entropy of the logits, the
// same number as SparseCategoricalCrossEntropy with FromLogits. Like PyTorch, it
// does not check that its input holds log-probabilities: the gradient is -1/rows
// at each row's label, whatever the values. IgnoreIndex(i) is PyTorch's
// ignore_index (see it); without it every label must be a class index (a label of
// -100, PyTorch's default ignore_index, is an error) and the mean is over all rows.
// PyTorch's weight is not supported.
func NLLLoss(name string, logProbs, labels *T, opts ...Option) *T {
	m := modelOf(logProbs, labels)
	l := m.beginTyped(name, "NLLLoss", opts, optIgnoreIndex, 1, logProbs, labels)
	if l == nil {
		return m.failed()
	}
	if _, err := sparseLabels(l, "log-probabilities"); err != nil {
		return l.fail("%v", err)
	}
	return l.result(l.op(ir.OpNLLLoss, "", l.c.ignoreAttrs(), l.x(0), l.x(1)))
}

// lossOp builds a (prediction, target) loss node; FromLogits switches the
// cross-entropies to their fused forms.
func lossOp(name, kind, op string, a ir.Attrs, pred, target *T, opts []Option) *T {
	m := modelOf(pred, target)
	allowed := optKind(0)
	if op == ir.OpBCELoss || op == ir.OpCategoricalCELoss {
		allowed = optFromLogits
	}
	l := m.begin(name, kind, opts, allowed, pred, target)
	if l == nil {
		return m.failed()
	}
	if l.c.fromLogits {
		op = map[string]string{ir.OpBCELoss: ir.OpBCEWithLogitsLoss, ir.OpCategoricalCELoss: ir.OpSoftmaxCELoss}[op]
	}
	return l.result(l.op(op, "", a, l.x(0), l.x(1)))
}
