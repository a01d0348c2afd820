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
	register(ir.OpReluMax, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		hi := n.Attrs.Alpha
		return mapTensor(in[0], func(x float64) float64 { return math.Min(math.Max(x, 0), hi) }), nil
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
	register(ir.OpReluMaxGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		hi := n.Attrs.Alpha
		return binary(func(x, dy float64) float64 {
			if x > 0 && x < hi {
				return dy
			}
			return 0
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

// The smooth activations (ELU, SELU, softplus, GELU, SiLU) and their gradient-only
// ops, which read the activation's input x. Each is the formula of its op's Doc in
// float64, with PyTorch's branches (ELU's and SELU's x ≤ 0 side includes 0,
// softplus is x above its threshold); where a literal formula would lose a small
// result to cancellation, an equal one that does not is used (e^x - 1 as Expm1,
// Φ(x) = erfc(-x/√2)/2, (1 + tanh u)/2 = σ(2u)).
func init() {
	register(ir.OpElu, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		alpha := n.Attrs.Alpha
		return mapTensor(in[0], func(x float64) float64 { return elu(x, alpha) }), nil
	})
	register(ir.OpEluGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		alpha := n.Attrs.Alpha
		return binary(func(x, dy float64) float64 { return dy * eluDeriv(x, alpha) })(c, n, in)
	})
	register(ir.OpSelu, unary(func(x float64) float64 {
		if x > 0 {
			return ir.SeluScale * x
		}
		return ir.SeluScale * ir.SeluAlpha * math.Expm1(x)
	}))
	register(ir.OpSeluGrad, binary(func(x, dy float64) float64 {
		if x > 0 {
			return dy * ir.SeluScale
		}
		return dy * ir.SeluScale * ir.SeluAlpha * math.Exp(x)
	}))
	register(ir.OpSoftplus, unary(softplus))
	register(ir.OpSoftplusGrad, binary(func(x, dy float64) float64 {
		if x > ir.SoftplusThreshold {
			return dy
		}
		z := math.Exp(x)
		return dy * z / (z + 1)
	}))
	register(ir.OpGelu, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		if n.Attrs.Sub == ir.GeluTanh {
			return mapTensor(in[0], geluTanh), nil
		}
		return mapTensor(in[0], gelu), nil
	})
	register(ir.OpGeluGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		d := geluDeriv
		if n.Attrs.Sub == ir.GeluTanh {
			d = geluTanhDeriv
		}
		return binary(func(x, dy float64) float64 { return dy * d(x) })(c, n, in)
	})
	register(ir.OpSilu, unary(func(x float64) float64 { return x * sigmoid(x) }))
	register(ir.OpSiluGrad, binary(func(x, dy float64) float64 {
		s := sigmoid(x)
		return dy * s * (1 + x*(1-s))
	}))
}

func elu(x, alpha float64) float64 {
	if x > 0 {
		return x
	}
	return alpha * math.Expm1(x)
}

// eluDeriv is ELU's derivative, alpha at 0 as PyTorch's.
func eluDeriv(x, alpha float64) float64 {
	if x > 0 {
		return 1
	}
	return alpha * math.Exp(x)
}

func softplus(x float64) float64 {
	if x > ir.SoftplusThreshold {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// gelu is x·Φ(x), Φ(x) = erfc(-x/√2)/2.
func gelu(x float64) float64 { return x * 0.5 * math.Erfc(-x/math.Sqrt2) }

func geluDeriv(x float64) float64 {
	return 0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
}

const geluKappa = 0.044715

// geluTanhArg is 2u, u = √(2/π)·(x + 0.044715·x³): (1 + tanh u)/2 = σ(2u).
func geluTanhArg(x float64) float64 { return 2 * math.Sqrt(2/math.Pi) * (x + geluKappa*x*x*x) }

func geluTanh(x float64) float64 { return x * sigmoid(geluTanhArg(x)) }

// geluTanhDeriv is PyTorch's (1 + tanh u)/2 + (x/2)·(1 - tanh² u)·√(2/π)·(1 + 3κx²)
// with (1 + tanh u)/2 = σ(2u) and 1 - tanh² u = 4·σ(2u)·σ(-2u).
func geluTanhDeriv(x float64) float64 {
	s := geluTanhArg(x)
	return sigmoid(s) + 2*x*sigmoid(s)*sigmoid(-s)*math.Sqrt(2/math.Pi)*(1+3*geluKappa*x*x)
}
