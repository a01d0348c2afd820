package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// LSTM cell fusion.
//
// Lowering (passes/lower_rnn.go) writes an LSTM step's cell update as
//
//	gates = BiasAdd(gates_matmul, bias)                      (N, 4H), the bias optional
//	i = σ(Slice 0)  f = σ(Slice 1)  g = tanh(Slice 2)  o = σ(Slice 3)      (N, H)
//	c = Add(Mul(f, c_prev), Mul(i, g)); c_act = tanh(c); h = Mul(o, c_act)
//
// which, even with element-wise fusion, is about fourteen passes over (N, H) arrays
// per step, and the sigmoids and tanhs of one step's vector kernels run at their
// dependency chains' latency. rt.LSTMCell computes the whole update in one pass from
// the product, bit for bit as those ops do (rt/lstm.go), so a step becomes one
// product and one call.
//
// The group is matched by structure (ops, gate slices, edges, one step), not by
// names, and is left alone unless it is exactly the lowering's: other activations,
// an inner value (gates, the gate slices, f·c_prev, i·g) read outside the group or
// kept, or a node of another kind between the group's nodes. Its results are c and
// h, and in training whichever of i, f, g, o and c_act the backward pass reads.
//
// In the program graph, as with element-wise fusion, the inner nodes leave the
// order. The results other than h stay, just before h, read the group's leaves
// (gates_matmul, bias, c_prev) and emit no code; h reads the leaves and those
// results, so that the planner keeps every result's storage alive up to the call
// that writes it. None of them is planned over an operand (rt.LSTMCell's results may
// not overlap its operands).

// lstmCell is one fused cell update.
type lstmCell struct {
	root               int // h: the node whose kernel is the call
	hid                int
	pre, bias, cPrev   int    // leaves; bias -1 when there is none
	c                  int    // the cell state, always stored
	acts               [5]int // i, f, g, o, c_act when stored, or -1
	inner              []ir.Node
	actNames, innerOps string
}

// fuseLSTMCells finds the program's LSTM cell updates, rewires the program graph and
// order as above, records the cells in p.loops.cells, and returns exclude extended
// with the cells' nodes (which no other group may take).
func (p *program) fuseLSTMCells(keep []int, exclude func(id int) bool) func(id int) bool {
	g, order := p.g, p.order
	readers := orderUsers(g, order)
	kept := map[int]bool{}
	for _, id := range keep {
		kept[id] = true
	}
	pos := map[int]int{}
	for i, id := range order {
		pos[id] = i
	}
	var cells []*lstmCell
	var members [][]int
	for _, id := range order {
		if c, m := matchLSTMCell(g, id, exclude); c != nil {
			if c.settle(g, m, readers, kept, pos) {
				cells = append(cells, c)
				members = append(members, m)
			}
		}
	}
	if len(cells) == 0 {
		return exclude
	}
	g = g.Clone()
	if p.loops.cells == nil {
		p.loops.cells = map[int]*lstmCell{}
	}
	drop := map[int]bool{}
	moved := map[int][]int{} // root → the results placed just before it
	taken := map[int]bool{}
	for k, c := range cells {
		leaves := []int{c.pre, c.cPrev}
		if c.bias >= 0 {
			leaves = []int{c.pre, c.bias, c.cPrev}
		}
		outs := []int{c.c}
		for _, a := range c.acts {
			if a >= 0 {
				outs = append(outs, a)
			}
		}
		slices.SortFunc(outs, func(a, b int) int { return pos[a] - pos[b] })
		for _, id := range members[k] {
			taken[id] = true
			p.loops.cells[id] = c
			if id != c.root && !slices.Contains(outs, id) {
				drop[id] = true
			}
		}
		for _, id := range outs {
			g.Nodes[id].Inputs = append([]int(nil), leaves...)
			drop[id] = true // re-placed before the root
		}
		moved[c.root] = outs
		g.Nodes[c.root].Inputs = append(append([]int(nil), leaves...), outs...)
	}
	var out []int
	for _, id := range order {
		out = append(out, moved[id]...)
		if !drop[id] {
			out = append(out, id)
		}
	}
	p.g, p.order = g, out
	return func(id int) bool { return taken[id] || (exclude != nil && exclude(id)) }
}

// matchLSTMCell returns the cell whose h is node id, and the group's nodes, if the
// nodes around id are an LSTM cell update as lowering writes it.
func matchLSTMCell(g *ir.Graph, id int, exclude func(id int) bool) (*lstmCell, []int) {
	node := func(id int, op string) *ir.Node {
		n := g.Nodes[id]
		if n.Op != op || (exclude != nil && exclude(id)) {
			return nil
		}
		return n
	}
	h := node(id, ir.OpMul)
	if h == nil || h.Shape.Rank() != 2 || !h.Shape.Batched() || stepOf(h.Name) == "" {
		return nil, nil
	}
	hid := h.Shape[1]
	o, ca := node(h.Inputs[0], ir.OpSigmoid), node(h.Inputs[1], ir.OpTanh)
	if o == nil || ca == nil {
		return nil, nil
	}
	c := node(ca.Inputs[0], ir.OpAdd)
	if c == nil {
		return nil, nil
	}
	fc, ig := node(c.Inputs[0], ir.OpMul), node(c.Inputs[1], ir.OpMul)
	if fc == nil || ig == nil || fc.Inputs[0] == fc.Inputs[1] || ig.Inputs[0] == ig.Inputs[1] {
		return nil, nil
	}
	f, i, gg := node(fc.Inputs[0], ir.OpSigmoid), node(ig.Inputs[0], ir.OpSigmoid), node(ig.Inputs[1], ir.OpTanh)
	if f == nil || i == nil || gg == nil {
		return nil, nil
	}
	cell := &lstmCell{root: id, hid: hid, cPrev: fc.Inputs[1], c: c.ID, bias: -1}
	gates := -1
	var slicesOf []int
	for q, act := range []*ir.Node{i, f, gg, o} {
		s := node(act.Inputs[0], ir.OpSlice)
		if s == nil || s.Attrs.Axis != 1 || s.Attrs.Start != q*hid || s.Attrs.End != (q+1)*hid {
			return nil, nil
		}
		if gates >= 0 && s.Inputs[0] != gates {
			return nil, nil
		}
		gates = s.Inputs[0]
		slicesOf = append(slicesOf, s.ID)
	}
	gn := g.Nodes[gates]
	if !gn.Shape.Equal(ir.Shape{ir.Batch, 4 * hid}) || !g.Nodes[cell.cPrev].Shape.Equal(h.Shape) {
		return nil, nil
	}
	members := []int{i.ID, f.ID, gg.ID, o.ID, fc.ID, ig.ID, c.ID, ca.ID, h.ID}
	members = append(members, slicesOf...)
	cell.pre = gates
	if b := node(gates, ir.OpBiasAdd); b != nil && g.Nodes[b.Inputs[1]].Shape.Equal(ir.Shape{4 * hid}) && b.Inputs[0] != b.Inputs[1] {
		cell.pre, cell.bias = b.Inputs[0], b.Inputs[1]
		members = append(members, b.ID)
	}
	if !g.Nodes[cell.pre].Shape.Equal(gn.Shape) || g.Nodes[cell.pre].Attrs.DType == ir.Int {
		return nil, nil
	}
	for _, m := range members {
		if stepOf(g.Nodes[m].Name) != stepOf(h.Name) || slices.Contains([]int{cell.pre, cell.bias, cell.cPrev}, m) {
			return nil, nil
		}
	}
	cell.acts = [5]int{i.ID, f.ID, gg.ID, o.ID, ca.ID}
	return cell, members
}

// settle decides which results are stored and checks the group's other conditions
// (see the top of this file); it reports whether the group fuses.
func (c *lstmCell) settle(g *ir.Graph, members []int, readers [][]int, kept map[int]bool, pos map[int]int) bool {
	in := map[int]bool{}
	first := pos[c.root]
	for _, m := range members {
		if _, ok := pos[m]; !ok {
			return false
		}
		in[m] = true
		first = min(first, pos[m])
	}
	if pos[c.root] != first+len(members)-1 {
		return false // another node runs between the group's nodes
	}
	outside := func(id int) bool {
		if kept[id] {
			return true
		}
		for _, r := range readers[id] {
			if !in[r] {
				return true
			}
		}
		return false
	}
	var names []string
	for q, a := range c.acts {
		if !outside(a) {
			c.acts[q] = -1
			continue
		}
		_, _, what, _ := parseStep(g.Nodes[a].Name)
		names = append(names, what)
	}
	c.actNames = strings.Join(names, ", ")
	var ops []string
	for _, m := range members {
		if m == c.root || m == c.c || slices.Contains(c.acts[:], m) {
			continue
		}
		if outside(m) {
			return false // an inner value is read elsewhere
		}
		c.inner = append(c.inner, *g.Nodes[m])
	}
	slices.SortFunc(c.inner, func(a, b ir.Node) int { return pos[a.ID] - pos[b.ID] })
	for _, n := range c.inner {
		_, _, what, _ := parseStep(n.Name)
		ops = append(ops, what)
	}
	c.innerOps = strings.Join(ops, ", ")
	return true
}

// emitLSTMCell writes node id of a fused cell: the rt.LSTMCell call at the root, a
// comment at the other results.
func (p *program) emitLSTMCell(k *Kernel, c *lstmCell) {
	if k.Node.ID != c.root {
		k.Emit(jen.Comment(fmt.Sprintf("computed with %s by rt.LSTMCell", p.stepName(c.root))))
		return
	}
	opt := func(id int) jen.Code {
		if id < 0 {
			return jen.Nil()
		}
		return p.value(id).Slice()
	}
	stored := "c and h"
	if c.actNames != "" {
		stored = "c, h and " + c.actNames
	}
	k.Emit(jen.Comment(fmt.Sprintf("LSTM cell: %s in one pass, storing %s", c.innerOps, stored)),
		jen.Qual(rtPath, "LSTMCell").Call(jen.Id("n"), jen.Lit(c.hid), p.value(c.pre).Slice(), opt(c.bias), p.value(c.cPrev).Slice(),
			p.value(c.c).Slice(), p.value(c.root).Slice(), opt(c.acts[0]), opt(c.acts[1]), opt(c.acts[2]), opt(c.acts[3]), opt(c.acts[4])))
}

// stepName is a node's name as loop comments write it ("lstm/t[step]/h" in a loop).
func (p *program) stepName(id int) string {
	name := p.g.Nodes[id].Name
	if p.loop != nil {
		return p.loopComment(name + "")
	}
	return name
}
