package passes

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// Lower replaces every macro op (BatchNorm, Dropout, and the recurrent layers) with
// primitive ops for one mode, ir.ModeTrain or ir.ModeInfer. The result has no macro
// ops, so the interpreter can run it and autodiff can differentiate it.

// LowerRule expands macro node n, whose inputs are already mapped to ins in the new
// graph, and returns the node that now holds n's value.
type LowerRule func(l *Lowerer, n *ir.Node, ins []int) (int, error)

// LowerRules maps every macro op to its expansion. A test walks ir.Ops and fails on
// any macro op without one.
var LowerRules = map[string]LowerRule{}

func lowerRule(op string, r LowerRule) {
	if _, dup := LowerRules[op]; dup {
		panic("passes: lowering rule registered twice: " + op)
	}
	LowerRules[op] = r
}

// Lowerer appends the expansion of one macro node to the new graph.
type Lowerer struct {
	G    *ir.Graph
	Mode string
	node *ir.Node
	err  error
}

// Op appends a node named "<macro name>/<suffix>" in the macro's layer.
func (l *Lowerer) Op(op, suffix string, attrs ir.Attrs, inputs ...int) (int, error) {
	return l.G.Add(op, l.node.Name+"/"+suffix, l.node.Layer, attrs, inputs...)
}

// Do is Op for a sequence of steps: after the first error it appends nothing and
// returns -1, and Err reports that error.
func (l *Lowerer) Do(op, suffix string, attrs ir.Attrs, inputs ...int) int {
	if l.err != nil {
		return -1
	}
	id, err := l.Op(op, suffix, attrs, inputs...)
	if err != nil {
		l.err = err
		return -1
	}
	return id
}

// Err returns the first error of Do.
func (l *Lowerer) Err() error { return l.err }

// Lower returns a new graph with the macro ops of g expanded for mode.
func Lower(g *ir.Graph, mode string) (*ir.Graph, error) {
	if mode != ir.ModeTrain && mode != ir.ModeInfer {
		return nil, fmt.Errorf("lower: unknown mode %q", mode)
	}
	if g.Mode != "" {
		return nil, fmt.Errorf("lower: graph %q is already lowered for %s", g.Name, g.Mode)
	}
	out := ir.NewGraph(g.Name)
	out.Mode = mode
	remap := make([]int, len(g.Nodes))
	for _, n := range g.Nodes {
		ins := make([]int, len(n.Inputs))
		for i, id := range n.Inputs {
			ins[i] = remap[id]
		}
		if ir.Ops[n.Op].Kind != ir.Macro {
			c := *n
			id, err := out.Add(c.Op, c.Name, c.Layer, c.Attrs, ins...)
			if err != nil {
				return nil, fmt.Errorf("lower: %w", err)
			}
			remap[n.ID] = id
			continue
		}
		rule, ok := LowerRules[n.Op]
		if !ok {
			return nil, &ir.Error{Layer: n.Layer, Op: n.Op, Msg: "no lowering rule"}
		}
		id, err := rule(&Lowerer{G: out, Mode: mode, node: n}, n, ins)
		if err != nil {
			return nil, fmt.Errorf("lower: %w", err)
		}
		if !out.Nodes[id].Shape.Equal(n.Shape) {
			return nil, &ir.Error{Layer: n.Layer, Op: n.Op, Msg: fmt.Sprintf("lowering produced shape %s, want %s", out.Nodes[id].Shape, n.Shape)}
		}
		remap[n.ID] = id
	}
	for _, o := range g.Outputs {
		out.Outputs = append(out.Outputs, ir.Output{Name: o.Name, ID: remap[o.ID]})
	}
	if g.Loss >= 0 {
		out.Loss = remap[g.Loss]
	}
	for _, gr := range g.Grads {
		out.Grads = append(out.Grads, ir.Grad{Of: remap[gr.Of], ID: remap[gr.ID]})
	}
	return out, nil
}

func init() {
	// Batch norm (Ioffe and Szegedy, 2015) with PyTorch's conventions, written in
	// primitives so that autodiff derives its backward pass:
	//   training:  μ = mean(x), σ² = mean((x-μ)²), y = γ·(x-μ)/sqrt(σ²+ε) + β,
	//              running_mean ← (1-m)·running_mean + m·μ,
	//              running_var  ← (1-m)·running_var + m·σ²·M/(M-1)
	//   inference: y = x·s + (β - running_mean·s), s = γ/sqrt(running_var+ε).
	// The inference form is a per-channel scale and shift whose factors depend only on
	// parameters, which is what batch-norm folding exploits.
	lowerRule(ir.OpBatchNorm, func(l *Lowerer, n *ir.Node, ins []int) (int, error) {
		x, gamma, beta, rmean, rvar := ins[0], ins[1], ins[2], ins[3], ins[4]
		a := n.Attrs
		if l.Mode == ir.ModeTrain {
			mean := l.Do(ir.OpChannelMean, "mean", ir.Attrs{}, x)
			negMean := l.Do(ir.OpScale, "neg_mean", ir.Attrs{Alpha: -1}, mean)
			centered := l.Do(ir.OpBiasAdd, "centered", ir.Attrs{}, x, negMean)
			sq := l.Do(ir.OpSquare, "sq", ir.Attrs{}, centered)
			variance := l.Do(ir.OpChannelMean, "var", ir.Attrs{}, sq)
			varEps := l.Do(ir.OpAddScalar, "var_eps", ir.Attrs{Alpha: a.Eps}, variance)
			invStd := l.Do(ir.OpRsqrt, "inv_std", ir.Attrs{}, varEps)
			normalized := l.Do(ir.OpChannelMul, "normalized", ir.Attrs{}, centered, invStd)
			scaled := l.Do(ir.OpChannelMul, "scaled", ir.Attrs{}, normalized, gamma)
			y := l.Do(ir.OpBiasAdd, "shifted", ir.Attrs{}, scaled, beta)
			l.Do(ir.OpRunningUpdate, "update_mean", ir.Attrs{Momentum: a.Momentum}, rmean, mean, x)
			l.Do(ir.OpRunningUpdate, "update_var", ir.Attrs{Momentum: a.Momentum, Unbiased: true}, rvar, variance, x)
			return y, l.Err()
		}
		varEps := l.Do(ir.OpAddScalar, "var_eps", ir.Attrs{Alpha: a.Eps}, rvar)
		invStd := l.Do(ir.OpRsqrt, "inv_std", ir.Attrs{}, varEps)
		scale := l.Do(ir.OpMul, "scale", ir.Attrs{}, gamma, invStd)
		meanScaled := l.Do(ir.OpMul, "mean_scaled", ir.Attrs{}, rmean, scale)
		shift := l.Do(ir.OpSub, "shift", ir.Attrs{}, beta, meanScaled)
		scaled := l.Do(ir.OpChannelMul, "scaled", ir.Attrs{}, x, scale)
		y := l.Do(ir.OpBiasAdd, "shifted", ir.Attrs{}, scaled, shift)
		return y, l.Err()
	})

	// Inverted dropout: scaled at training time, the identity at inference. The
	// spatial variants draw an (N, C) or (N, F) mask and repeat it over the axes
	// that share it.
	lowerRule(ir.OpDropout, func(l *Lowerer, n *ir.Node, ins []int) (int, error) {
		if l.Mode == ir.ModeInfer || n.Attrs.Rate == 0 {
			return ins[0], nil
		}
		a, s := n.Attrs, n.Shape
		var mask int
		var err error
		switch a.Sub {
		case ir.DropoutChannels:
			m := l.Do(ir.OpDropoutMask, "mask", ir.Attrs{Shape: ir.Shape{s[0], s[1]}, Rate: a.Rate, Seed: a.Seed})
			rep := l.Do(ir.OpRepeat, "mask_planes", ir.Attrs{Axis: 2, Repeats: s[2:].Elems()}, m)
			mask, err = l.Op(ir.OpReshape, "mask_full", ir.Attrs{Shape: s[1:].Clone()}, rep)
		case ir.DropoutFeatures:
			m := l.Do(ir.OpDropoutMask, "mask", ir.Attrs{Shape: ir.Shape{s[0], s[2]}, Rate: a.Rate, Seed: a.Seed})
			mask, err = l.Op(ir.OpRepeat, "mask_steps", ir.Attrs{Axis: 1, Repeats: s[1]}, m)
		default:
			mask, err = l.Op(ir.OpDropoutMask, "mask", ir.Attrs{Shape: s.Clone(), Rate: a.Rate, Seed: a.Seed})
		}
		if err != nil {
			return -1, err
		}
		return l.Op(ir.OpMul, "apply", ir.Attrs{}, ins[0], mask)
	})
}
