package ir_test

import "github.com/dlgen/dlgen/ir"

// ignoreShapeCases are the shape rows of the sparse losses' ignore index (extra) and
// of their LossGrad carrying it.
func ignoreShapeCases() []shapeCase {
	ig := ir.Attrs{Extra: []int{-100}}
	return []shapeCase{
		ok(ir.OpSparseSoftmaxCELoss, "an ignore index", ig, s(), s(N, 5, 10), s(N, 5)),
		ok(ir.OpSparseSoftmaxCELoss, "a class as the ignore index", ir.Attrs{Extra: []int{0}}, s(), s(N, 10), s(N)),
		bad(ir.OpSparseSoftmaxCELoss, "two ignore indices", ir.Attrs{Extra: []int{-100, 0}}, "extra [-100 0] holds more than the ignore index", s(N, 10), s(N)),
		ok(ir.OpNLLLoss, "an ignore index", ig, s(), s(N, 10), s(N)),
		bad(ir.OpNLLLoss, "two ignore indices", ir.Attrs{Extra: []int{1, 2}}, "extra [1 2] holds more than the ignore index", s(N, 10), s(N)),
		ok(ir.OpLossGrad, "of NLL with an ignore index", ir.Attrs{Sub: ir.OpNLLLoss, Extra: []int{-100}}, s(N, 10), s(N, 10), s(N), s()),
		ok(ir.OpLossGrad, "of sparse cross-entropy with an ignore index", ir.Attrs{Sub: ir.OpSparseSoftmaxCELoss, Extra: []int{3}}, s(N, 10), s(N, 10), s(N), s()),
		bad(ir.OpLossGrad, "of sparse cross-entropy with two ignore indices", ir.Attrs{Sub: ir.OpSparseSoftmaxCELoss, Extra: []int{3, 4}}, "holds more than the ignore index", s(N, 10), s(N), s()),
		bad(ir.OpLossGrad, "of MSE with an ignore index", ir.Attrs{Sub: ir.OpMSELoss, Extra: []int{-100}}, "extra [-100]: only a sparse loss has an ignore index", s(N, 3), s(N, 3), s()),
	}
}
