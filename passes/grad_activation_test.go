package passes_test

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

func TestActivationGradients(t *testing.T) {
	s := batched(2, 3)
	x := gradcheck.Operand{Shape: s, Lo: -3, Hi: 3}
	// ReLU and leaky ReLU have a kink at 0: keep every input 0.05 away from it.
	kinked := gradcheck.Operand{Shape: s, Values: awayFrom(elems(s), 0, 0.05, 1)}
	runGradCases(t, []gradCase{
		{"sigmoid", ir.OpSigmoid, ir.Attrs{}, []gradcheck.Operand{x}},
		{"tanh", ir.OpTanh, ir.Attrs{}, []gradcheck.Operand{x}},
		{"relu away from its kink", ir.OpRelu, ir.Attrs{}, []gradcheck.Operand{kinked}},
		{"leaky relu away from its kink", ir.OpLeakyRelu, ir.Attrs{Alpha: 0.2}, []gradcheck.Operand{kinked}},
		{"leaky relu with slope 0", ir.OpLeakyRelu, ir.Attrs{Alpha: 0}, []gradcheck.Operand{kinked}},
		// A negative slope makes negative inputs give positive outputs: the
		// gradient must look at the input's sign, not the output's.
		{"leaky relu with a negative slope", ir.OpLeakyRelu, ir.Attrs{Alpha: -0.3}, []gradcheck.Operand{kinked}},
		{"softmax over the last axis", ir.OpSoftmax, ir.Attrs{}, []gradcheck.Operand{{Shape: batched(4)}}},
		{"softmax of a rank-3 tensor", ir.OpSoftmax, ir.Attrs{}, []gradcheck.Operand{{Shape: batched(2, 5), Lo: -4, Hi: 4}}},
		{"softmax of an unbatched parameter", ir.OpSoftmax, ir.Attrs{}, []gradcheck.Operand{{Shape: ir.Shape{5}, Param: true}}},
	})
}
