package interp

import (
	"math"

	"github.com/dlgen/dlgen/ir"
)

// Kernels for activation functions and the gradient-only ops that differentiate them.

func init() {
	register(ir.OpSigmoid, unary(sigmoid))
	register(ir.OpTanh, unary(math.Tanh))
	register(ir.OpRelu, unary(func(x float64) float64 { return math.Max(x, 0) }))
	register(ir.OpLeakyRelu, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		alpha := n.Attrs.Alpha
		return mapTensor(in[0], func(x float64) float64 {
			if x > 0 {
				return x
			}
			return alpha * x
		}), nil
	})
	register(ir.OpSoftmax, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := NewTensor(in[0].Shape...)
		rows, cols := lastAxis(in[0].Shape)
		for r := 0; r < rows; r++ {
			softmaxRow(t.Data[r*cols:(r+1)*cols], in[0].Data[r*cols:(r+1)*cols])
		}
		return t, nil
	})

	register(ir.OpSigmoidGrad, binary(func(y, dy float64) float64 { return dy * y * (1 - y) }))
	register(ir.OpTanhGrad, binary(func(y, dy float64) float64 { return dy * (1 - y*y) }))
	register(ir.OpReluGrad, binary(func(x, dy float64) float64 {
		if x > 0 {
			return dy
		}
		return 0
	}))
	register(ir.OpLeakyReluGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		alpha := n.Attrs.Alpha
		return binary(func(x, dy float64) float64 {
			if x > 0 {
				return dy
			}
			return alpha * dy
		})(c, n, in)
	})
	// dx_i = Σ_j dy_j ∂y_j/∂x_i = Σ_j dy_j y_j (δ_ij - y_i) = y_i (dy_i - Σ_j dy_j y_j).
	register(ir.OpSoftmaxGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		y, dy := in[0], in[1]
		t := NewTensor(y.Shape...)
		rows, cols := lastAxis(y.Shape)
		for r := 0; r < rows; r++ {
			o := r * cols
			dot := 0.0
			for j := 0; j < cols; j++ {
				dot += dy.Data[o+j] * y.Data[o+j]
			}
			for j := 0; j < cols; j++ {
				t.Data[o+j] = y.Data[o+j] * (dy.Data[o+j] - dot)
			}
		}
		return t, nil
	})
}

// sigmoid is 1/(1+exp(-x)), evaluated so that exp never overflows: for x < 0 it uses
// the equal form exp(x)/(1+exp(x)).
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softmaxRow writes softmax(x) to y. Subtracting the maximum first keeps every
// exponent ≤ 0, so large logits cannot overflow, and leaves the result unchanged.
func softmaxRow(y, x []float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	sum := 0.0
	for j, v := range x {
		y[j] = math.Exp(v - m)
		sum += y[j]
	}
	for j := range y {
		y[j] /= sum
	}
}

// logSumExp is ln Σ exp(x), with the maximum factored out for the same reason.
func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	sum := 0.0
	for _, v := range x {
		sum += math.Exp(v - m)
	}
	return m + math.Log(sum)
}

// lastAxis splits a concrete shape into rows and the length of its last axis.
func lastAxis(shape []int) (rows, cols int) {
	cols = shape[len(shape)-1]
	return prod(shape) / cols, cols
}
