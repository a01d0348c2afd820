package interp

import (
	"math"

	"github.com/dlgen/dlgen/ir"
)

// LogSoftmax over the last axis and its gradient-only op. (NLLLoss, the loss that
// usually reads it, is a row loss in loss.go.)

func init() {
	register(ir.OpLogSoftmax, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := NewTensor(in[0].Shape...)
		rows, cols := lastAxis(in[0].Shape)
		for r := 0; r < rows; r++ {
			logSoftmaxRow(t.Data[r*cols:(r+1)*cols], in[0].Data[r*cols:(r+1)*cols])
		}
		return t, nil
	})
	// With y = x - lse(x), ∂y_j/∂x_i = δ_ij - softmax(x)_i and softmax(x) = exp(y),
	// so dx_i = Σ_j dy_j (δ_ij - exp(y_i)) = dy_i - exp(y_i)·Σ_j dy_j.
	register(ir.OpLogSoftmaxGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		y, dy := in[0], in[1]
		t := NewTensor(y.Shape...)
		rows, cols := lastAxis(y.Shape)
		for r := 0; r < rows; r++ {
			o := r * cols
			sum := 0.0
			for j := 0; j < cols; j++ {
				sum += dy.Data[o+j]
			}
			for j := 0; j < cols; j++ {
				t.Data[o+j] = dy.Data[o+j] - math.Exp(y.Data[o+j])*sum
			}
		}
		return t, nil
	})
}

// logSoftmaxRow writes log_softmax(x) to y as (x - m) - ln Σ exp(x - m), m the
// maximum: every exponent is ≤ 0 and one is 0, so the sum is in [1, len(x)] and
// its log is finite, where ln(softmax(x)) would be -inf for a small enough entry.
func logSoftmaxRow(y, x []float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	sum := 0.0
	for _, v := range x {
		sum += math.Exp(v - m)
	}
	ls := math.Log(sum)
	for j, v := range x {
		y[j] = (v - m) - ls
	}
}
