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

// The smooth activations, each through its gradient op (which reads x). ELU with
// alpha ≠ 1 and SELU have a kink at 0 (their derivative jumps there), softplus a
// jump of 2e-9 at its threshold of 20: the inputs keep 0.05 away from both.
func TestSmoothActivationGradients(t *testing.T) {
	s := batched(2, 3)
	wide := gradcheck.Operand{Shape: s, Lo: -5, Hi: 5}
	kinked := gradcheck.Operand{Shape: s, Values: awayFrom(elems(s), 0, 0.05, 2)}
	threshold := gradcheck.Operand{Shape: s, Values: awayFrom(elems(s), 20, 0.05, 3)}
	runGradCases(t, []gradCase{
		{"elu with alpha 1", ir.OpElu, ir.Attrs{Alpha: 1}, []gradcheck.Operand{wide}},
		{"elu with alpha 0.5 away from its kink", ir.OpElu, ir.Attrs{Alpha: 0.5}, []gradcheck.Operand{kinked}},
		{"elu with a negative alpha away from its kink", ir.OpElu, ir.Attrs{Alpha: -0.3}, []gradcheck.Operand{kinked}},
		{"selu away from its kink", ir.OpSelu, ir.Attrs{}, []gradcheck.Operand{kinked}},
		{"selu", ir.OpSelu, ir.Attrs{}, []gradcheck.Operand{wide}},
		{"softplus", ir.OpSoftplus, ir.Attrs{}, []gradcheck.Operand{wide}},
		{"softplus on both sides of its threshold", ir.OpSoftplus, ir.Attrs{}, []gradcheck.Operand{threshold}},
		{"exact gelu", ir.OpGelu, ir.Attrs{}, []gradcheck.Operand{wide}},
		{"gelu, tanh approximation", ir.OpGelu, ir.Attrs{Sub: ir.GeluTanh}, []gradcheck.Operand{wide}},
		{"silu", ir.OpSilu, ir.Attrs{}, []gradcheck.Operand{wide}},
		{"gelu of an unbatched parameter", ir.OpGelu, ir.Attrs{}, []gradcheck.Operand{{Shape: ir.Shape{5}, Param: true, Lo: -3, Hi: 3}}},
	})
}
