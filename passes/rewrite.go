package passes

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// rewriter is the skeleton the local rewriting passes (CSE, constant folding,
// algebraic simplification, batch-norm folding) share: it walks the old graph in
// topological order and builds a new one, where each old node is either copied with
// its inputs remapped or stands for a value of the new graph (an existing node, or a
// node built in its place). Outputs, the loss and the gradients are remapped at the
// end, so a pass only decides, node by node, what each value becomes.
//
// Names stay unique: a node built in place of an old one inherits its name (the old
// node is gone), and any other new node gets a fresh name that no old or new node has.
type rewriter struct {
	old   *ir.Graph       // a private clone of the pass's input: its nodes are moved, not copied
	g     *ir.Graph       // the graph being built
	remap []int           // old ID → new ID; -1 until the old node is mapped
	taken map[string]bool // every name of the old graph, and every name given since
	used  map[string]bool // the names in the new graph
	// uses counts, per old node, its readers in the old graph and its references as
	// an output, the loss or a gradient (countUses; nil until then).
	uses []int
}

func newRewriter(g *ir.Graph) *rewriter {
	old := g.Clone()
	r := &rewriter{
		old:   old,
		g:     &ir.Graph{Name: old.Name, Loss: -1, Mode: old.Mode},
		remap: make([]int, len(old.Nodes)),
		taken: make(map[string]bool, len(old.Nodes)),
		used:  make(map[string]bool, len(old.Nodes)),
	}
	for i, n := range old.Nodes {
		r.remap[i] = -1
		r.taken[n.Name] = true
	}
	return r
}

// countUses fills r.uses. It must run before the first node is copied, while the
// old nodes still hold old IDs.
func (r *rewriter) countUses() {
	r.uses = make([]int, len(r.old.Nodes))
	for _, n := range r.old.Nodes {
		for _, in := range n.Inputs {
			r.uses[in]++
		}
	}
	for _, o := range r.old.Outputs {
		r.uses[o.ID]++
	}
	if r.old.Loss >= 0 {
		r.uses[r.old.Loss]++
	}
	for _, g := range r.old.Grads {
		r.uses[g.ID]++
	}
}

// inputs returns the new IDs of n's inputs.
func (r *rewriter) inputs(n *ir.Node) []int {
	ins := make([]int, len(n.Inputs))
	for i, id := range n.Inputs {
		ins[i] = r.remap[id]
	}
	return ins
}

// copy moves old node id into the new graph with its inputs remapped and returns its
// new ID. The node is moved, not copied: afterwards r.old.Nodes[id] holds new IDs, so
// a pass reads the old graph's structure before it starts copying.
func (r *rewriter) copy(id int) int {
	n := r.old.Nodes[id]
	n.Inputs = r.inputs(n)
	n.ID = len(r.g.Nodes)
	r.g.Nodes = append(r.g.Nodes, n)
	r.used[n.Name] = true
	r.remap[id] = n.ID
	return n.ID
}

// alias makes old node id stand for new node to, which must have its shape.
func (r *rewriter) alias(id, to int) error {
	n := r.old.Nodes[id]
	if s := r.g.Nodes[to].Shape; !s.Equal(n.Shape) {
		return &ir.Error{Layer: n.Layer, Op: n.Op, Msg: fmt.Sprintf("internal error: replacing %s %q by node %q of shape %s", n.Shape, n.Name, r.g.Nodes[to].Name, s)}
	}
	r.remap[id] = to
	return nil
}

// add appends a new node with a fresh name derived from base.
func (r *rewriter) add(op, base, layer string, attrs ir.Attrs, inputs ...int) (int, error) {
	return r.addNamed(op, r.fresh(base), layer, attrs, inputs...)
}

func (r *rewriter) addNamed(op, name, layer string, attrs ir.Attrs, inputs ...int) (int, error) {
	id, err := r.g.Add(op, name, layer, attrs, inputs...)
	if err == nil {
		r.used[name] = true
	}
	return id, err
}

// takeOver appends a node under the name of old node id, which the pass drops
// without building anything in its place (a fresh name if that one is in use).
func (r *rewriter) takeOver(id int, op string, attrs ir.Attrs, inputs ...int) (int, error) {
	n := r.old.Nodes[id]
	name := n.Name
	if r.used[name] {
		name = r.fresh(name)
	}
	return r.addNamed(op, name, n.Layer, attrs, inputs...)
}

// replace appends a node computing old node id's value in its place, under its name
// and layer, and maps id to it.
func (r *rewriter) replace(id int, op string, attrs ir.Attrs, inputs ...int) (int, error) {
	nid, err := r.takeOver(id, op, attrs, inputs...)
	if err != nil {
		return -1, err
	}
	return nid, r.alias(id, nid)
}

func (r *rewriter) fresh(base string) string {
	name := base
	for i := 2; r.taken[name]; i++ {
		name = fmt.Sprintf("%s#%d", base, i)
	}
	r.taken[name] = true
	return name
}

// finish remaps the outputs, loss and gradients and returns the new graph.
func (r *rewriter) finish() (*ir.Graph, error) {
	get := func(id int, what string) (int, error) {
		if id < 0 || id >= len(r.remap) || r.remap[id] < 0 {
			return -1, fmt.Errorf("internal error: %s (node %d) was dropped", what, id)
		}
		return r.remap[id], nil
	}
	var err error
	for _, o := range r.old.Outputs {
		id, e := get(o.ID, "output "+o.Name)
		err = firstErr(err, e)
		r.g.Outputs = append(r.g.Outputs, ir.Output{Name: o.Name, ID: id})
	}
	if r.old.Loss >= 0 {
		id, e := get(r.old.Loss, "the loss")
		err = firstErr(err, e)
		r.g.Loss = id
	}
	for _, gr := range r.old.Grads {
		of, e1 := get(gr.Of, "a gradient's parameter")
		id, e2 := get(gr.ID, "a gradient")
		err = firstErr(err, firstErr(e1, e2))
		r.g.Grads = append(r.g.Grads, ir.Grad{Of: of, ID: id})
	}
	if err != nil {
		return nil, err
	}
	return r.g, nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
