package passes

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// Autodiff is reverse-mode differentiation as a graph transform: it appends to a
// lowered graph the nodes that compute the gradient of the scalar loss with respect to
// every trainable parameter (and, on request, inputs), and records them in g.Grads.
// Because backward is ordinary IR, later passes optimize and plan it like forward.

// GradRule appends the nodes that compute the gradients of n's inputs given dy, the
// node holding dLoss/dn. need[i] says whether input i needs a gradient; the rule
// returns one node ID per input, -1 where it computes none.
type GradRule func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error)

// GradRules maps every primitive op to its rule. A test walks ir.Ops and fails on
// any primitive without one.
var GradRules = map[string]GradRule{}

func gradRule(op string, r GradRule) {
	if _, dup := GradRules[op]; dup {
		panic("passes: gradient rule registered twice: " + op)
	}
	GradRules[op] = r
}

// GradBuilder appends gradient nodes on behalf of one forward node, naming them after
// it and attributing them to its layer.
type GradBuilder struct {
	G     *ir.Graph
	node  *ir.Node
	count int
}

// Op appends a node and returns its ID.
func (b *GradBuilder) Op(op string, attrs ir.Attrs, inputs ...int) (int, error) {
	b.count++
	name := fmt.Sprintf("d.%s.%d", b.node.Name, b.count)
	return b.G.Add(op, name, b.node.Layer, attrs, inputs...)
}

// Autodiff returns a copy of g with the backward graph appended. g must be lowered
// (no macro ops) and have a loss. Gradients are computed for every weight, and for the
// inputs named in wrtInputs.
func Autodiff(g *ir.Graph, wrtInputs ...string) (*ir.Graph, error) {
	if g.Loss < 0 {
		return nil, fmt.Errorf("autodiff: graph %q has no loss", g.Name)
	}
	g = g.Clone()
	var wrt []int
	for _, p := range g.Weights() {
		wrt = append(wrt, p.ID)
	}
	for _, name := range wrtInputs {
		n := g.ByName(name)
		if n == nil || n.Op != ir.OpInput {
			return nil, fmt.Errorf("autodiff: %q is not an input of %q", name, g.Name)
		}
		if n.Attrs.DType == ir.Int {
			return nil, fmt.Errorf("autodiff: input %q holds integer labels and has no gradient", name)
		}
		wrt = append(wrt, n.ID)
	}

	// depends[i]: node i depends on some node in wrt, so a gradient must flow to it.
	forward := len(g.Nodes)
	depends := make([]bool, forward)
	for _, id := range wrt {
		depends[id] = true
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if depends[in] && ir.Ops[n.Op].Kind != ir.Source {
				depends[n.ID] = true
			}
		}
	}

	grad := make([]int, forward) // accumulated dLoss/dnode, -1 while none
	for i := range grad {
		grad[i] = -1
	}
	one, err := g.Add(ir.OpFill, "d.loss", g.Nodes[g.Loss].Layer, ir.Attrs{Shape: ir.Shape{}, Alpha: 1})
	if err != nil {
		return nil, err
	}
	grad[g.Loss] = one
	for id := g.Loss; id >= 0; id-- {
		n := g.Nodes[id]
		if grad[id] < 0 || !depends[id] || ir.Ops[n.Op].Kind == ir.Source {
			continue
		}
		def := ir.Ops[n.Op]
		if def.Kind == ir.GradOnly {
			return nil, &ir.Error{Layer: n.Layer, Op: n.Op, Msg: "differentiating a gradient op (a second-order derivative) is not supported"}
		}
		rule, ok := GradRules[n.Op]
		if !ok {
			return nil, &ir.Error{Layer: n.Layer, Op: n.Op, Msg: "no gradient rule (macro ops must be lowered before autodiff)"}
		}
		need := make([]bool, len(n.Inputs))
		any := false
		for i, in := range n.Inputs {
			need[i] = depends[in]
			any = any || need[i]
		}
		if !any {
			continue
		}
		b := &GradBuilder{G: g, node: n}
		dins, err := rule(b, n, grad[id], need)
		if err != nil {
			return nil, fmt.Errorf("autodiff: %w", err)
		}
		for i, in := range n.Inputs {
			if !need[i] || dins[i] < 0 {
				continue
			}
			if grad[in] < 0 {
				grad[in] = dins[i]
				continue
			}
			// A value read more than once: gradients from its users add up.
			sum, err := b.Op(ir.OpAdd, ir.Attrs{}, grad[in], dins[i])
			if err != nil {
				return nil, fmt.Errorf("autodiff: %w", err)
			}
			grad[in] = sum
		}
	}
	g.Grads = nil
	for _, id := range wrt {
		gid := grad[id]
		if gid < 0 {
			// The loss does not depend on this parameter: its gradient is zero.
			n := g.Nodes[id]
			gid, err = g.Add(ir.OpFill, "d."+n.Name+".zero", n.Layer, ir.Attrs{Shape: n.Shape.Clone()})
			if err != nil {
				return nil, err
			}
		}
		g.Grads = append(g.Grads, ir.Grad{Of: id, ID: gid})
	}
	return g, nil
}

func init() {
	// C = op(A)·op(B). With G = dC: dA = G·op(B)ᵀ (transposed back if A was), and
	// dB = op(A)ᵀ·G (likewise). The same products hold for a stack of rows A (rank ≥
	// 3, see the op table), whose rows are those of a matrix: for C = A·op(B), G has
	// A's leading axes, dA = G·op(B)ᵀ keeps them and op(A)ᵀ·G (Aᵀ·G or Gᵀ·A) contracts
	// over them; for C = Aᵀ·B, dA = B·Gᵀ and dB = A·G are again stacks of rows.
	gradRule(ir.OpMatMul, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		a, bb := n.Inputs[0], n.Inputs[1]
		ta, tb := n.Attrs.TransA, n.Attrs.TransB
		out := []int{-1, -1}
		var err error
		if need[0] {
			if !ta { // dA = G·op(B)ᵀ
				out[0], err = b.Op(ir.OpMatMul, ir.Attrs{TransB: !tb}, dy, bb)
			} else { // dA = (G·op(B)ᵀ)ᵀ = op(B)·Gᵀ
				out[0], err = b.Op(ir.OpMatMul, ir.Attrs{TransA: tb, TransB: true}, bb, dy)
			}
			if err != nil {
				return nil, err
			}
		}
		if need[1] {
			if !tb { // dB = op(A)ᵀ·G
				out[1], err = b.Op(ir.OpMatMul, ir.Attrs{TransA: !ta}, a, dy)
			} else { // dB = (op(A)ᵀ·G)ᵀ = Gᵀ·op(A)
				out[1], err = b.Op(ir.OpMatMul, ir.Attrs{TransA: true, TransB: ta}, dy, a)
			}
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	})
	// y = x + b along the last axis: dx = dy, db = Σ of dy over every axis but the last.
	gradRule(ir.OpBiasAddLast, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		out := []int{dy, -1}
		if need[1] {
			var err error
			if out[1], err = b.Op(ir.OpBiasAddLastGrad, ir.Attrs{}, dy); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}
