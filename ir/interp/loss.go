package interp

import (
	"fmt"
	"math"

	"github.com/dlgen/dlgen/ir"
)

// Kernels for the losses (reduction 'mean', as PyTorch's default) and for LossGrad,
// their gradient with respect to the prediction. Each loss is written once as a
// per-element or per-row function with its derivative, so the loss and its gradient
// cannot drift apart.

func init() {
	for op, l := range pointLosses {
		register(op, l.kernel)
	}
	for op, l := range rowLosses {
		register(op, l.kernel)
	}
	register(ir.OpOneHot, oneHot)
	register(ir.OpLossGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		p, t, dy := in[0], in[1], in[2].Data[0]
		if l, ok := pointLosses[n.Attrs.Sub]; ok {
			return l.grad(p, t, n.Attrs.Alpha, dy), nil
		}
		if l, ok := rowLosses[n.Attrs.Sub]; ok {
			return l.grad(p, t, n.Attrs, dy)
		}
		return nil, fmt.Errorf("%q is not a loss op", n.Attrs.Sub)
	})
}

// pointLoss is a loss that averages f(p, t) over every element, batch included.
type pointLoss struct {
	f  func(p, t, alpha float64) float64
	df func(p, t, alpha float64) float64 // ∂f/∂p
}

// bceLogFloor is where PyTorch's BCELoss clamps each log, so that a probability of
// exactly 0 or 1 costs 100 rather than infinity.
const bceLogFloor = -100

var pointLosses = map[string]pointLoss{
	ir.OpMSELoss: {
		f:  func(p, t, _ float64) float64 { return (p - t) * (p - t) },
		df: func(p, t, _ float64) float64 { return 2 * (p - t) },
	},
	ir.OpMAELoss: {
		f: func(p, t, _ float64) float64 { return math.Abs(p - t) },
		// The subgradient 0 at p = t, as the op table says (and PyTorch's sign()).
		df: func(p, t, _ float64) float64 { return sign(p - t) },
	},
	ir.OpHuberLoss: {
		f: func(p, t, delta float64) float64 {
			d := p - t
			if math.Abs(d) <= delta {
				return 0.5 * d * d
			}
			return delta * (math.Abs(d) - 0.5*delta)
		},
		df: func(p, t, delta float64) float64 {
			d := p - t
			if math.Abs(d) <= delta {
				return d
			}
			return delta * sign(d)
		},
	},
	ir.OpBCELoss: {
		f: func(p, t, _ float64) float64 {
			return -(t*math.Max(math.Log(p), bceLogFloor) + (1-t)*math.Max(math.Log(1-p), bceLogFloor))
		},
		// PyTorch's backward, not the derivative of the clamped formula: (p-t)
		// divided by p·(1-p) floored at its EPSILON. The two differ wherever
		// p·(1-p) < 1e-12 (p within about 1e-12 of 0 or 1, a sigmoid past ±27.6),
		// not only where a log is clamped; there PyTorch's is smaller.
		df: func(p, t, _ float64) float64 { return (p - t) / math.Max((1-p)*p, ir.BCEEpsilon) },
	},
	ir.OpBCEWithLogitsLoss: {
		// -(t·ln σ(z) + (1-t)·ln(1-σ(z))) rewritten so that exp never overflows and
		// log1p keeps precision when exp(-|z|) is tiny.
		f: func(z, t, _ float64) float64 {
			return math.Max(z, 0) - z*t + math.Log1p(math.Exp(-math.Abs(z)))
		},
		df: func(z, t, _ float64) float64 { return sigmoid(z) - t },
	},
}

func (l pointLoss) kernel(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	p, t := in[0], in[1]
	s := 0.0
	for i := range p.Data {
		s += l.f(p.Data[i], t.Data[i], n.Attrs.Alpha)
	}
	return FromData([]float64{s / float64(len(p.Data))}), nil
}

func (l pointLoss) grad(p, t *Tensor, alpha, dy float64) *Tensor {
	g := NewTensor(p.Shape...)
	scale := dy / float64(len(p.Data))
	for i := range p.Data {
		g.Data[i] = scale * l.df(p.Data[i], t.Data[i], alpha)
	}
	return g
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// rowLoss is a loss over distributions along the last axis of the prediction,
// averaged over the rows (for an (N, C) prediction, over the batch). The target row
// has the same width (probabilities) or width 1 (a class index).
type rowLoss struct {
	f  func(p, t []float64) (float64, error)
	df func(dp, p, t []float64) error // writes ∂f/∂p into dp
}

// kerasEpsilon is Keras' backend epsilon, the clip bound of categorical_crossentropy.
const kerasEpsilon = 1e-7

var rowLosses = map[string]rowLoss{
	// -Σ t_c·log_softmax(z)_c = Σt·lse(z) - Σ t_c·z_c, whose gradient is
	// softmax(z)·Σt - t (just softmax - t for a distribution t).
	ir.OpSoftmaxCELoss: {
		f: func(z, t []float64) (float64, error) {
			lse := logSumExp(z)
			l := 0.0
			for c := range z {
				l -= t[c] * (z[c] - lse)
			}
			return l, nil
		},
		df: func(dz, z, t []float64) error {
			softmaxRow(dz, z)
			st := 0.0
			for _, v := range t {
				st += v
			}
			for c := range dz {
				dz[c] = dz[c]*st - t[c]
			}
			return nil
		},
	},
	// lse(z) - z[label], with gradient softmax(z) - onehot(label).
	ir.OpSparseSoftmaxCELoss: {
		f: func(z, t []float64) (float64, error) {
			k, err := classIndex(t[0], len(z))
			if err != nil {
				return 0, err
			}
			return logSumExp(z) - z[k], nil
		},
		df: func(dz, z, t []float64) error {
			k, err := classIndex(t[0], len(z))
			if err != nil {
				return err
			}
			softmaxRow(dz, z)
			dz[k]--
			return nil
		},
	},
	// PyTorch's NLLLoss: -x[label], with gradient -onehot(label). x need not be
	// log-probabilities.
	ir.OpNLLLoss: {
		f: func(x, t []float64) (float64, error) {
			k, err := classIndex(t[0], len(x))
			if err != nil {
				return 0, err
			}
			return -x[k], nil
		},
		df: func(dx, x, t []float64) error {
			k, err := classIndex(t[0], len(x))
			if err != nil {
				return err
			}
			clear(dx)
			dx[k] = -1
			return nil
		},
	},
	// Keras: q = p/Σp, r = clip(q, ε, 1-ε), loss -Σ t·ln r. The clip passes the
	// gradient only where q lies within [ε, 1-ε] (TensorFlow's clip_by_value
	// gradient), and the normalisation gives ∂q_c/∂p_j = (δ_cj - q_c)/Σp, so with
	// g_c = ∂loss/∂q_c: ∂loss/∂p_j = (g_j - Σ_c g_c·q_c)/Σp.
	ir.OpCategoricalCELoss: {
		f: func(p, t []float64) (float64, error) {
			s := 0.0
			for _, v := range p {
				s += v
			}
			l := 0.0
			for c := range p {
				r := math.Min(math.Max(p[c]/s, kerasEpsilon), 1-kerasEpsilon)
				l -= t[c] * math.Log(r)
			}
			return l, nil
		},
		df: func(dp, p, t []float64) error {
			s := 0.0
			for _, v := range p {
				s += v
			}
			dot := 0.0
			for c := range p {
				q := p[c] / s
				dp[c] = 0
				if q >= kerasEpsilon && q <= 1-kerasEpsilon {
					dp[c] = -t[c] / q
				}
				dot += dp[c] * q
			}
			for c := range dp {
				dp[c] = (dp[c] - dot) / s
			}
			return nil
		},
	},
}

// counted returns the rows a row loss averages over: all of them, or, for a sparse
// loss with an ignore index (PyTorch's ignore_index), those whose label is not it.
// A nil slice means every row counts.
func counted(t *Tensor, rows int, a ir.Attrs) (keep []bool, count int) {
	ig, ok := ir.LossIgnore(a)
	if !ok {
		return nil, rows
	}
	keep = make([]bool, rows)
	for r, v := range t.Data {
		if keep[r] = v != float64(ig); keep[r] {
			count++
		}
	}
	return keep, count
}

// kernel is the mean of f over the counted rows: NaN (0/0, as PyTorch) when a
// sparse loss ignores every row.
func (l rowLoss) kernel(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	p, t := in[0], in[1]
	rows, cols := lastAxis(p.Shape)
	tw := len(t.Data) / rows
	keep, count := counted(t, rows, n.Attrs)
	s := 0.0
	for r := 0; r < rows; r++ {
		if keep != nil && !keep[r] {
			continue
		}
		v, err := l.f(p.Data[r*cols:(r+1)*cols], t.Data[r*tw:(r+1)*tw])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rowName(p.Shape, r), err)
		}
		s += v
	}
	return FromData([]float64{s / float64(count)}), nil
}

// grad is dy/count times each counted row's ∂f/∂p, and 0 in the ignored rows (all
// of them, with no division by 0, when every row is ignored).
func (l rowLoss) grad(p, t *Tensor, a ir.Attrs, dy float64) (*Tensor, error) {
	g := NewTensor(p.Shape...)
	rows, cols := lastAxis(p.Shape)
	tw := len(t.Data) / rows
	keep, count := counted(t, rows, a)
	scale := dy / float64(count)
	for r := 0; r < rows; r++ {
		if keep != nil && !keep[r] {
			continue
		}
		dp := g.Data[r*cols : (r+1)*cols]
		if err := l.df(dp, p.Data[r*cols:(r+1)*cols], t.Data[r*tw:(r+1)*tw]); err != nil {
			return nil, fmt.Errorf("%s: %w", rowName(p.Shape, r), err)
		}
		for j := range dp {
			dp[j] *= scale
		}
	}
	return g, nil
}

// classIndex checks that a label read as float64 is an integer class in [0, classes).
func classIndex(v float64, classes int) (int, error) {
	if v != math.Trunc(v) || v < 0 || v >= float64(classes) {
		return 0, fmt.Errorf("label %g is not a class index in [0, %d)", v, classes)
	}
	return int(v), nil
}

// rowName names row r of the last axis of shape: "row 3", and for a rank ≥ 3
// shape also its position before the last axis: "row 7 (position [1 2])" of (N, 5, C).
func rowName(shape []int, r int) string {
	if len(shape) < 3 {
		return fmt.Sprintf("row %d", r)
	}
	pos := make([]int, len(shape)-1)
	for i, q := len(pos)-1, r; i >= 0; i-- {
		pos[i], q = q%shape[i], q/shape[i]
	}
	return fmt.Sprintf("row %d (position %v)", r, pos)
}

// oneHot writes 1 at each label's class and 0 elsewhere; the last axis of the
// node's shape is the number of classes, and a label outside it is an error.
func oneHot(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	labels := in[0]
	shape := append(append([]int(nil), labels.Shape...), n.Shape[n.Shape.Rank()-1])
	y := NewTensor(shape...)
	classes := shape[len(shape)-1]
	for r, v := range labels.Data {
		k, err := classIndex(v, classes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rowName(shape, r), err)
		}
		y.Data[r*classes+k] = 1
	}
	return y, nil
}
