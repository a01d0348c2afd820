package nn

import "github.com/dlgen/dlgen/ir"

// Element-wise math and whole-tensor reductions, for custom loss terms and layers
// that the named layers do not cover (PyTorch's torch.exp, torch.log, a / b, sum, mean).

// Div is the element-wise quotient a / b of two tensors of the same shape.
func Div(name string, a, b *T) *T { return binary(name, "Div", ir.OpDiv, a, b) }

// Exp is the element-wise exponential.
func (t *T) Exp(name string) *T { return t.unary(name, "Exp", ir.OpExp) }

// Log is the element-wise natural logarithm; inputs must be positive (a sigmoid or
// softmax output, say), as log of zero or a negative number is not finite.
func (t *T) Log(name string) *T { return t.unary(name, "Log", ir.OpLog) }

// Sum is the scalar sum of every element, the batch included, for use as a loss term
// (m.Loss or m.AddLoss).
func Sum(name string, t *T) *T { return t.unary(name, "Sum", ir.OpReduceSum) }

// Mean is the scalar mean of every element, the batch included (PyTorch's
// tensor.mean()), for use as a loss term.
func Mean(name string, t *T) *T { return t.unary(name, "Mean", ir.OpReduceMean) }

func (t *T) unary(name, kind, op string) *T {
	l := t.begin(name, kind, nil, 0)
	if l == nil {
		return t.failed()
	}
	return l.result(l.op(op, "", ir.Attrs{}, l.x(0)))
}
