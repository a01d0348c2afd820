package ir

import (
	"errors"
	"fmt"
)

// Verify checks the invariants every pass relies on: nodes are numbered in
// topological order, every op is in the table with the right arity, every stored
// shape is the one its shape rule gives, names are unique, outputs and gradients
// point at real nodes, and the loss is a scalar. It reports every problem it finds.
func Verify(g *Graph) error {
	var errs []error
	names := map[string]int{}
	for i, n := range g.Nodes {
		if n.ID != i {
			errs = append(errs, fmt.Errorf("node %d (%s %q) has id %d", i, n.Op, n.Name, n.ID))
			continue
		}
		if n.Name == "" {
			errs = append(errs, fmt.Errorf("node %d (%s) has no name", i, n.Op))
		} else if j, dup := names[n.Name]; dup {
			errs = append(errs, &Error{Layer: n.Layer, Op: n.Op, Msg: fmt.Sprintf("name %q is used by node %d and node %d", n.Name, j, i)})
		}
		names[n.Name] = i
		s, err := g.Infer(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !s.Equal(n.Shape) {
			errs = append(errs, &Error{Layer: n.Layer, Op: n.Op, Msg: fmt.Sprintf("stored shape %s, but the op gives %s", n.Shape, s)})
		}
	}
	valid := func(id int) bool { return id >= 0 && id < len(g.Nodes) }
	for _, o := range g.Outputs {
		if !valid(o.ID) {
			errs = append(errs, fmt.Errorf("output %q refers to missing node %d", o.Name, o.ID))
		}
	}
	if g.Loss != -1 {
		if !valid(g.Loss) {
			errs = append(errs, fmt.Errorf("loss refers to missing node %d", g.Loss))
		} else if n := g.Nodes[g.Loss]; n.Shape.Rank() != 0 {
			errs = append(errs, &Error{Layer: n.Layer, Op: n.Op, Msg: fmt.Sprintf("the loss must be a scalar, not %s", n.Shape)})
		}
	}
	for _, gr := range g.Grads {
		if !valid(gr.Of) || !valid(gr.ID) {
			errs = append(errs, fmt.Errorf("gradient entry %+v refers to a missing node", gr))
		} else if !g.Nodes[gr.Of].Shape.Equal(g.Nodes[gr.ID].Shape) {
			errs = append(errs, fmt.Errorf("gradient of %q has shape %s, not %s", g.Nodes[gr.Of].Name, g.Nodes[gr.ID].Shape, g.Nodes[gr.Of].Shape))
		}
	}
	if g.Mode != "" && g.Mode != ModeTrain && g.Mode != ModeInfer {
		errs = append(errs, fmt.Errorf("unknown mode %q", g.Mode))
	}
	if len(errs) > 0 {
		return fmt.Errorf("ir: graph %q is invalid: %w", g.Name, errors.Join(errs...))
	}
	return nil
}
