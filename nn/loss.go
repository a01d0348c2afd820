package nn

import (
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
// targets in [0, 1], element-wise (PyTorch's BCELoss, Keras' binary_crossentropy).
// With FromLogits, pred is the raw score before the sigmoid (BCEWithLogitsLoss),
// which is exact for large scores.
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

// SparseCategoricalCrossEntropy compares (N, classes) logits with int class indices
// from Model.Labels: PyTorch's CrossEntropyLoss. Per-step logits (N, T, classes)
// take CategoricalCrossEntropy with FromLogits and one-hot (N, T, classes) targets. It requires FromLogits: taking the
// log of a softmax output loses precision, so feed the layer before the softmax.
func SparseCategoricalCrossEntropy(name string, logits, labels *T, opts ...Option) *T {
	m := modelOf(logits, labels)
	l := m.beginTyped(name, "SparseCategoricalCrossEntropy", opts, optFromLogits, 1, logits, labels)
	if l == nil {
		return m.failed()
	}
	if !l.c.fromLogits {
		return l.fail("takes logits: pass nn.FromLogits and the layer before the softmax, or use CategoricalCrossEntropy with one-hot targets on probabilities")
	}
	if s := l.shapes()[0]; s.Rank() > 2 {
		// Labels are (N): one class per example. Per-step logits come from a Dense
		// on a sequence; on an image they mean a Flatten is missing.
		return l.fail("takes one label per example and (N, classes) logits, not %s; for a class per step use CategoricalCrossEntropy with nn.FromLogits and one-hot targets of that shape from Model.Target (or flatten before the Dense layers for a class per example)", s)
	}
	return l.result(l.op(ir.OpSparseSoftmaxCELoss, "", ir.Attrs{}, l.x(0), l.x(1)))
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
