package passes

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// DCE removes the nodes that nothing needs. A node is needed when it is an output,
// the loss, a gradient recorded in g.Grads, an op with an effect (RunningUpdate), an
// input or a parameter (they are the model's interface, whether read or not), or an
// input of a needed node. The survivors keep their order and are renumbered; outputs,
// loss and gradients are remapped.
func DCE(g *ir.Graph) (*ir.Graph, error) {
	g = g.Clone() // the survivors are moved, not copied, so they share nothing with the caller's graph
	live := Live(g, Roots(g))
	for _, n := range g.Nodes {
		if n.Op == ir.OpInput || n.Op == ir.OpParam {
			live[n.ID] = true
		}
	}
	out := &ir.Graph{Name: g.Name, Loss: -1, Mode: g.Mode}
	remap := make([]int, len(g.Nodes))
	for old, n := range g.Nodes {
		remap[old] = -1
		if !live[old] {
			continue
		}
		n.ID = len(out.Nodes)
		for i, in := range n.Inputs {
			n.Inputs[i] = remap[in]
		}
		out.Nodes = append(out.Nodes, n)
		remap[old] = n.ID
	}
	for _, o := range g.Outputs {
		out.Outputs = append(out.Outputs, ir.Output{Name: o.Name, ID: remap[o.ID]})
	}
	if g.Loss >= 0 {
		out.Loss = remap[g.Loss]
	}
	for _, gr := range g.Grads {
		if remap[gr.Of] < 0 || remap[gr.ID] < 0 {
			return nil, fmt.Errorf("dce: gradient of node %d lost its nodes", gr.Of) // cannot happen: both are roots
		}
		out.Grads = append(out.Grads, ir.Grad{Of: remap[gr.Of], ID: remap[gr.ID]})
	}
	return out, nil
}

// Roots returns the nodes a graph exists to compute: outputs, the loss, gradients and
// effect ops.
func Roots(g *ir.Graph) []int {
	var roots []int
	for _, o := range g.Outputs {
		roots = append(roots, o.ID)
	}
	if g.Loss >= 0 {
		roots = append(roots, g.Loss)
	}
	for _, gr := range g.Grads {
		roots = append(roots, gr.ID, gr.Of)
	}
	for _, n := range g.Nodes {
		if ir.Ops[n.Op].Effect {
			roots = append(roots, n.ID)
		}
	}
	return roots
}

// Live marks the roots and every node they read, directly or not.
func Live(g *ir.Graph, roots []int) []bool {
	live := make([]bool, len(g.Nodes))
	for _, r := range roots {
		live[r] = true
	}
	// Inputs precede their users, so one backward sweep reaches every ancestor.
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		if !live[i] {
			continue
		}
		for _, in := range g.Nodes[i].Inputs {
			live[in] = true
		}
	}
	return live
}
