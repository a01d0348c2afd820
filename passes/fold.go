package passes

import (
	"fmt"
	"math"

	"github.com/dlgen/dlgen/ir"
)

// Fold is constant folding: a node whose inputs are all Fill nodes (constants with
// every element equal), and whose op maps such inputs to a constant again, is
// evaluated at compile time and replaced by a Fill of the result. Folding proceeds
// in topological order, so whole subgraphs that depend only on Fill nodes collapse
// into one Fill. Autodiff is the usual source: the seed gradient d.loss is Fill 1,
// and weighted loss terms scale it (Scale(Fill 1, w) becomes Fill w).
//
// Why it is sound and exact: only ops for which a uniform input gives a uniform
// output, whatever the batch size, are folded (foldRules), and each rule computes
// the element value with the same float64 arithmetic as the interpreter's kernel,
// so the folded constant is bit for bit the value every element had. Parameters are
// not constants (they change while training, and are loaded at run time), so
// nothing that reads one is folded. Ops whose uniform result would depend on the
// batch size (ReduceSum, ChannelSum, the mean-dividing broadcasts), sum in an order
// that makes k·a differ from a+…+a (MatMul, convolutions, average pooling, the sum over a repeated axis), weigh a
// constant by weights whose rounded sum need not be 1 (bilinear upsampling, whose
// l0·a + l1·a may differ from a in the last bit), or are not uniform at all
// (padding, and zero padding of a constant other than +0) are left alone, as are
// results that are not finite
// (a Fill's alpha must survive a JSON round trip).
func Fold(g *ir.Graph) (*ir.Graph, error) {
	r := newRewriter(g)
	for id, n := range r.old.Nodes {
		rule, ok := foldRules[n.Op]
		if !ok || len(n.Inputs) == 0 {
			r.copy(id)
			continue
		}
		ins := r.inputs(n)
		vals := make([]float64, len(ins))
		allFill := true
		for i, in := range ins {
			m := r.g.Nodes[in]
			if m.Op != ir.OpFill {
				allFill = false
				break
			}
			vals[i] = m.Attrs.Alpha
		}
		if !allFill {
			r.copy(id)
			continue
		}
		v, ok := rule(n, vals)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			r.copy(id)
			continue
		}
		if _, err := r.replace(id, ir.OpFill, ir.Attrs{Shape: n.Shape.Clone(), Alpha: v}); err != nil {
			return nil, fmt.Errorf("fold: %w", err)
		}
	}
	out, err := r.finish()
	if err != nil {
		return nil, fmt.Errorf("fold: %w", err)
	}
	return out, nil
}

// foldRule returns the element value of node n given the element values of its
// uniform inputs, or false when n's value is not uniform.
type foldRule func(n *ir.Node, in []float64) (float64, bool)

// foldRules lists the ops Fold evaluates. The arithmetic mirrors ir/interp's
// kernels expression for expression.
var foldRules = map[string]foldRule{
	// Element-wise arithmetic and activations.
	ir.OpIdentity:  unaryFold(func(x float64) float64 { return x }),
	ir.OpAdd:       binaryFold(func(a, b float64) float64 { return a + b }),
	ir.OpSub:       binaryFold(func(a, b float64) float64 { return a - b }),
	ir.OpMul:       binaryFold(func(a, b float64) float64 { return a * b }),
	ir.OpDiv:       binaryFold(func(a, b float64) float64 { return a / b }),
	ir.OpScale:     func(n *ir.Node, in []float64) (float64, bool) { return n.Attrs.Alpha * in[0], true },
	ir.OpAddScalar: func(n *ir.Node, in []float64) (float64, bool) { return in[0] + n.Attrs.Alpha, true },
	ir.OpExp:       unaryFold(math.Exp),
	ir.OpLog:       unaryFold(math.Log),
	ir.OpSquare:    unaryFold(func(x float64) float64 { return x * x }),
	ir.OpRsqrt:     unaryFold(func(x float64) float64 { return 1 / math.Sqrt(x) }),
	ir.OpSigmoid: unaryFold(func(x float64) float64 {
		if x >= 0 {
			return 1 / (1 + math.Exp(-x))
		}
		e := math.Exp(x)
		return e / (1 + e)
	}),
	ir.OpTanh: unaryFold(math.Tanh),
	ir.OpAbs:  unaryFold(math.Abs),
	ir.OpRelu: unaryFold(func(x float64) float64 { return math.Max(x, 0) }),
	ir.OpLeakyRelu: func(n *ir.Node, in []float64) (float64, bool) {
		if in[0] > 0 {
			return in[0], true
		}
		return n.Attrs.Alpha * in[0], true
	},
	ir.OpReluMax: func(n *ir.Node, in []float64) (float64, bool) {
		return math.Min(math.Max(in[0], 0), n.Attrs.Alpha), true
	},
	// Softmax of equal logits: every exp(x - max) is exp(0) = 1, their sum is exactly
	// the class count C, and each probability is 1/C.
	ir.OpSoftmax: func(n *ir.Node, in []float64) (float64, bool) {
		e := math.Exp(in[0] - in[0])
		return e / (float64(n.Shape[len(n.Shape)-1]) * e), true
	},
	// LogSoftmax of equal logits: (x - max) - ln Σ exp(x - max) = 0 - ln C.
	ir.OpLogSoftmax: func(n *ir.Node, in []float64) (float64, bool) {
		c := float64(n.Shape[len(n.Shape)-1])
		return (in[0] - in[0]) - math.Log(c*math.Exp(in[0]-in[0])), true
	},
	// Gradient-only element-wise ops.
	ir.OpSigmoidGrad: binaryFold(func(y, dy float64) float64 { return dy * y * (1 - y) }),
	ir.OpTanhGrad:    binaryFold(func(y, dy float64) float64 { return dy * (1 - y*y) }),
	ir.OpReluGrad: binaryFold(func(x, dy float64) float64 {
		if x > 0 {
			return dy
		}
		return 0
	}),
	ir.OpLeakyReluGrad: func(n *ir.Node, in []float64) (float64, bool) {
		if in[0] > 0 {
			return in[1], true
		}
		return n.Attrs.Alpha * in[1], true
	},
	ir.OpReluMaxGrad: func(n *ir.Node, in []float64) (float64, bool) {
		if in[0] > 0 && in[0] < n.Attrs.Alpha {
			return in[1], true
		}
		return 0, true
	},
	ir.OpAbsGrad: binaryFold(func(x, dy float64) float64 {
		switch {
		case x > 0:
			return dy
		case x < 0:
			return -dy
		}
		return 0
	}),
	// Per-channel ops on a uniform tensor and a uniform vector.
	ir.OpBiasAdd:     binaryFold(func(x, b float64) float64 { return x + b }),
	ir.OpBiasAddLast: binaryFold(func(x, b float64) float64 { return x + b }),
	ir.OpChannelMul:  binaryFold(func(x, s float64) float64 { return x * s }),
	// Ops that move or copy elements: a uniform tensor stays uniform. Max pooling
	// windows always overlap the input (the op table requires it) and padding never
	// wins, so every window's maximum is the constant.
	ir.OpReshape:    unaryFold(func(x float64) float64 { return x }),
	ir.OpSlice:      unaryFold(func(x float64) float64 { return x }),
	ir.OpUpSample2D: unaryFold(func(x float64) float64 { return x }),
	ir.OpMaxPool2D:  unaryFold(func(x float64) float64 { return x }),
	ir.OpRepeat:     unaryFold(func(x float64) float64 { return x }),
	// Pad2D crops (negative pads) and pads with +0: a crop keeps the constant, and so
	// does padding a constant +0 (its bits: -0 padded with +0 is not uniform).
	ir.OpPad2D: func(n *ir.Node, in []float64) (float64, bool) {
		adds := false
		for _, p := range n.Attrs.Pads {
			adds = adds || p > 0
		}
		return in[0], !adds || math.Float64bits(in[0]) == 0
	},
	ir.OpConcat: func(n *ir.Node, in []float64) (float64, bool) {
		for _, v := range in[1:] {
			if math.Float64bits(v) != math.Float64bits(in[0]) { // 0 and -0 are different constants
				return 0, false
			}
		}
		return in[0], true
	},
	ir.OpBroadcast:        notMean,
	ir.OpChannelBroadcast: notMean,
}

func unaryFold(f func(float64) float64) foldRule {
	return func(_ *ir.Node, in []float64) (float64, bool) { return f(in[0]), true }
}

func binaryFold(f func(a, b float64) float64) foldRule {
	return func(_ *ir.Node, in []float64) (float64, bool) { return f(in[0], in[1]), true }
}

// notMean folds the broadcasts that copy their input; with mean set they divide by
// an element count that includes the batch, which is not known at compile time.
func notMean(n *ir.Node, in []float64) (float64, bool) { return in[0], !n.Attrs.Mean }

// The smooth activations and their gradient ops, expression for expression as
// ir/interp/activation.go computes them.
func init() {
	sigmoid := foldRules[ir.OpSigmoid]
	sig := func(x float64) float64 { v, _ := sigmoid(nil, []float64{x}); return v }
	geluTanhArg := func(x float64) float64 { return 2 * math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x) }
	for op, r := range map[string]foldRule{
		ir.OpElu: func(n *ir.Node, in []float64) (float64, bool) {
			if in[0] > 0 {
				return in[0], true
			}
			return n.Attrs.Alpha * math.Expm1(in[0]), true
		},
		ir.OpEluGrad: func(n *ir.Node, in []float64) (float64, bool) {
			if in[0] > 0 {
				return in[1], true
			}
			return in[1] * (n.Attrs.Alpha * math.Exp(in[0])), true
		},
		ir.OpSelu: unaryFold(func(x float64) float64 {
			if x > 0 {
				return ir.SeluScale * x
			}
			return ir.SeluScale * ir.SeluAlpha * math.Expm1(x)
		}),
		ir.OpSeluGrad: binaryFold(func(x, dy float64) float64 {
			if x > 0 {
				return dy * ir.SeluScale
			}
			return dy * ir.SeluScale * ir.SeluAlpha * math.Exp(x)
		}),
		ir.OpSoftplus: unaryFold(func(x float64) float64 {
			if x > ir.SoftplusThreshold {
				return x
			}
			return math.Log1p(math.Exp(x))
		}),
		ir.OpSoftplusGrad: binaryFold(func(x, dy float64) float64 {
			if x > ir.SoftplusThreshold {
				return dy
			}
			z := math.Exp(x)
			return dy * z / (z + 1)
		}),
		ir.OpGelu: func(n *ir.Node, in []float64) (float64, bool) {
			x := in[0]
			if n.Attrs.Sub == ir.GeluTanh {
				return x * sig(geluTanhArg(x)), true
			}
			return x * 0.5 * math.Erfc(-x/math.Sqrt2), true
		},
		ir.OpGeluGrad: func(n *ir.Node, in []float64) (float64, bool) {
			x, dy := in[0], in[1]
			if n.Attrs.Sub == ir.GeluTanh {
				s := geluTanhArg(x)
				return dy * (sig(s) + 2*x*sig(s)*sig(-s)*math.Sqrt(2/math.Pi)*(1+3*0.044715*x*x)), true
			}
			return dy * (0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)), true
		},
		ir.OpSilu: unaryFold(func(x float64) float64 { return x * sig(x) }),
		ir.OpSiluGrad: binaryFold(func(x, dy float64) float64 {
			s := sig(x)
			return dy * s * (1 + x*(1-s))
		}),
	} {
		foldRules[op] = r
	}
}
