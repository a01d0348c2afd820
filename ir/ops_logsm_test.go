package ir_test

import "github.com/dlgen/dlgen/ir"

// logSoftmaxShapeCases are the shape rows of LogSoftmax, its gradient and NLLLoss.
func logSoftmaxShapeCases() []shapeCase {
	return []shapeCase{
		ok(ir.OpLogSoftmax, "logits", none, s(N, 10), s(N, 10)),
		ok(ir.OpLogSoftmax, "a sequence of logits", none, s(N, 4, 10), s(N, 4, 10)),
		ok(ir.OpLogSoftmax, "an unbatched vector", none, s(5), s(5)),
		bad(ir.OpLogSoftmax, "a batch without classes", none, "log-softmax needs a class axis after the batch", s(N)),
		bad(ir.OpLogSoftmax, "a scalar", none, "class axis", s()),
		bad(ir.OpLogSoftmax, "two inputs", none, "takes 1 inputs, got 2", s(N, 3), s(N, 3)),
		ok(ir.OpLogSoftmaxGrad, "value and gradient", none, s(N, 3, 2), s(N, 3, 2), s(N, 3, 2)),
		bad(ir.OpLogSoftmaxGrad, "different shapes", none, "shapes N×3 and N×2 differ", s(N, 3), s(N, 2)),
		ok(ir.OpNLLLoss, "log-probabilities and labels", none, s(), s(N, 10), s(N)),
		ok(ir.OpNLLLoss, "a label per step", none, s(), s(N, 5, 10), s(N, 5)),
		ok(ir.OpNLLLoss, "a label per position of (N, A, B)", none, s(), s(N, 2, 3, 4), s(N, 2, 3)),
		bad(ir.OpNLLLoss, "per-step log-probabilities with one label per example", none, "labels N must be the log-probabilities N×10×2 without their class axis, N×10", s(N, 10, 2), s(N)),
		bad(ir.OpNLLLoss, "labels with an extra axis", none, "labels N×1 must be the log-probabilities N×10 without their class axis, N", s(N, 10), s(N, 1)),
		bad(ir.OpNLLLoss, "unbatched log-probabilities", none, "log-probabilities 4×10 must be (N, ..., classes)", s(4, 10), s(N)),
		bad(ir.OpNLLLoss, "no class axis", none, "log-probabilities N must be (N, ..., classes)", s(N), s(N)),
		ok(ir.OpLossGrad, "of NLL", ir.Attrs{Sub: ir.OpNLLLoss}, s(N, 10), s(N, 10), s(N), s()),
	}
}
