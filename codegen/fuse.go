package codegen

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Element-wise fusion.
//
// A chain of element-wise ops (BiasAdd → Relu after a layer; Add → Relu in a residual
// block; the Muls and the Add of an LSTM cell update; the Scale, AddScalar and Mul of
// a loss gradient) is computed by one loop that reads the chain's outside
// operands and writes only its last value: the intermediates live in registers, never
// in memory, which saves a pass over the activations for every op fused away.
//
// # Where it happens, and why there
//
// Fusion is decided per generated method (program), not as a graph pass, for two
// reasons. Whether a value may disappear depends on who reads it in that method: the
// logits of a classifier have two readers in the inference graph (Softmax for
// Predict, the loss for Loss) but one in each method. And a fused group is not an op
// of the IR: the interpreter, autodiff and every other pass keep seeing the ops the
// group is made of, so no pass needs rules for it and the tests that compare
// generated code with the interpreter check fusion like any other emitter.
//
// # Which nodes fuse
//
// A group is a tree of element-wise nodes of one shape (the ops of elementwise but
// those with a vector kernel, plus BiasAdd and ChannelMul, whose second operand is a
// per-channel vector) whose
// inner nodes each have exactly one reader in the method, the next node of the group,
// and are not results of the method (outputs, loss, gradients). Its root is the one
// node whose value is stored. Nodes of an unrolled recurrent step fuse only with nodes
// of the same step (so that loops.go still finds identical steps), and the sums of
// slice gradients that loops.go computes in place are left to it. In training,
// fusion keeps what backward needs by construction: a forward value that a gradient
// op reads has two readers, so it is a root and is stored.
//
// # The program graph
//
// For the planner and the loop analysis the group is one node: the program works on
// its own copy of the graph in which the root reads the group's outside operands (its
// leaves) directly, and the inner nodes leave the method's order. Everything that
// looks at a program node's inputs (liveness, memory planning, step families) then
// sees what the fused loop really reads. The root keeps its op, name and shape; its
// kernel is the fused loop.

// fusion is one group: the nodes a loop computes, as they were in the program's graph
// before fusion (so their inputs name inner nodes and leaves), and its leaves.
type fusion struct {
	root   int
	nodes  []ir.Node // the group's nodes in program order, root last
	leaves []int     // the outside values the loop reads, in order of first use
	// conv marks a convolution group (fuse_conv.go), computed by rt.Conv2DFused
	// rather than by a loop; its leaves are the image, the weights and the bias.
	// winners, if not 0, is the node whose storage receives the max pool's winners
	// (the activation's node, which is then not stored as such).
	conv    bool
	winners int
	// unpool marks MaxPool2DGrad with the activation gradient after it, computed
	// from the winners by rt.MaxUnpool2D; its leaves are the winners and dy.
	unpool bool
}

// channelOps are the per-channel ops fusion takes: operand 0 has the group's shape,
// operand 1 is a vector over axis 1 (BiasAddLast: over the last axis, vecAxis).
var channelOps = map[string]string{ir.OpBiasAdd: "+", ir.OpChannelMul: "*", ir.OpBiasAddLast: "+"}

// vecAxis is the axis along which a channel op's vector runs (1, or the last axis
// for BiasAddLast), or -1 for any other op. A group's vectors all run along one
// axis, which its loop indexes them by; on (N, C) BiasAdd and BiasAddLast agree.
func vecAxis(n *ir.Node) int {
	switch {
	case channelOps[n.Op] == "":
		return -1
	case n.Op == ir.OpBiasAddLast:
		return len(n.Shape) - 1
	}
	return 1
}

// fusable reports whether op can join a fused loop. Ops with a whole-tensor vector
// kernel (vectorized: Sigmoid, Tanh) stay out: inside a fused loop they would be a
// scalar call per element, and an LSTM step's Predict measured 2.6 times slower that
// way than with the vector kernels between fused Mul/Add loops (codegen/PERF.md).
// The smooth activations and their gradients (ownLoop) stay out for the same
// reason: their vector kernels are 11 to 24 times faster per value than the scalar
// functions a fused loop calls, far more than the extra pass over the tensor costs.
func fusable(op string) bool {
	_, e := elementwise[op]
	_, c := channelOps[op]
	_, v := vectorized[op]
	return (e || c) && !v && !ownLoop[op]
}

// findFusions groups the element-wise nodes of a program (nodes computed in order,
// values read after the end in keep). exclude, if not nil, names nodes some other
// mechanism computes. It returns the groups of two or more nodes, by root.
func findFusions(g *ir.Graph, order []int, keep []int, exclude func(id int) bool) map[int]*fusion {
	readers, kept := readersOf(g, order, nil), setOf(keep)
	candidate := func(id int) bool {
		n := g.Nodes[id]
		if !fusable(n.Op) || (exclude != nil && exclude(id)) {
			return false
		}
		for _, in := range n.Inputs {
			if g.Nodes[in].Attrs.DType == ir.Int {
				return false // class labels are int32; element-wise kernels read float32
			}
		}
		if _, ch := channelOps[n.Op]; ch && g.Nodes[n.Inputs[1]].Shape.Batched() {
			return false
		}
		return true
	}
	pos := map[int]int{}
	for i, id := range order {
		pos[id] = i
	}
	inGroup := map[int]bool{}
	out := map[int]*fusion{}
	// Walking backwards, each unclaimed candidate is the root of the largest group
	// that ends in it; its operands join while they qualify.
	for i := len(order) - 1; i >= 0; i-- {
		root := order[i]
		if inGroup[root] || !candidate(root) {
			continue
		}
		var members []int
		axis := vecAxis(g.Nodes[root]) // the axis of the group's vectors, once it has one
		var grow func(id int)
		grow = func(id int) {
			members = append(members, id)
			inGroup[id] = true
			n := g.Nodes[id]
			for j, in := range n.Inputs {
				if _, ch := channelOps[n.Op]; ch && j == 1 {
					continue // the vector operand
				}
				u := g.Nodes[in]
				if inGroup[in] || !candidate(in) || kept[in] || len(readers[in]) != 1 || readers[in][0] != id ||
					!u.Shape.Equal(n.Shape) || stepOf(u.Name) != stepOf(n.Name) {
					continue
				}
				if a := vecAxis(u); a >= 0 {
					if axis >= 0 && a != axis {
						continue // a vector along another axis than the group's
					}
					axis = a
				}
				grow(in)
			}
		}
		grow(root)
		if len(members) < 2 {
			delete(inGroup, root)
			continue
		}
		f := &fusion{root: root}
		member := map[int]bool{}
		for _, id := range members {
			member[id] = true
		}
		sortByPos(members, pos)
		seen := map[int]bool{}
		for _, id := range members {
			n := *g.Nodes[id]
			n.Inputs = append([]int(nil), n.Inputs...)
			f.nodes = append(f.nodes, n)
			for _, in := range n.Inputs {
				if !member[in] && !seen[in] {
					seen[in] = true
					f.leaves = append(f.leaves, in)
				}
			}
		}
		out[root] = f
	}
	return out
}

// readersOf maps each value to the nodes of order that read it, in order, leaving
// out the nodes in skip.
func readersOf(g *ir.Graph, order []int, skip map[int]bool) map[int][]int {
	readers := map[int][]int{}
	for _, id := range order {
		if skip[id] {
			continue
		}
		for _, in := range g.Nodes[id].Inputs {
			readers[in] = append(readers[in], id)
		}
	}
	return readers
}

func setOf(ids []int) map[int]bool {
	set := make(map[int]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

func sortByPos(ids []int, pos map[int]int) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && pos[ids[j]] < pos[ids[j-1]]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// stepOf is "P/t<k>" for a node of step k of recurrent layer P (forward, or "d.P/t<k>"
// backward), and "" for every other node.
func stepOf(name string) string {
	prefix, k, _, ok := parseStep(name)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s/t%d", prefix, k)
}

// applyFusions returns the program graph in which every group's root reads the
// group's leaves, and the order without the inner nodes. g is not modified.
func applyFusions(g *ir.Graph, order []int, fused map[int]*fusion) (*ir.Graph, []int) {
	if len(fused) == 0 {
		return g, order
	}
	g = g.Clone()
	inner := map[int]bool{}
	for root, f := range fused {
		g.Nodes[root].Inputs = append([]int(nil), f.leaves...)
		for _, n := range f.nodes[:len(f.nodes)-1] {
			inner[n.ID] = true
		}
	}
	var out []int
	for _, id := range order {
		if !inner[id] {
			out = append(out, id)
		}
	}
	return g, out
}

// describe is the kernel comment of a fused group: the root as usual, then the nodes
// computed with it.
func (f *fusion) describe(g *ir.Graph) string {
	var parts []string
	for _, n := range f.nodes[:len(f.nodes)-1] {
		parts = append(parts, fmt.Sprintf("%s (%s)", n.Name, n.Op))
	}
	return describe(g, g.Nodes[f.root]) + ", fused with " + strings.Join(parts, ", ")
}

// vecAxis is the axis of the group's vectors (findFusions makes them agree).
func (f *fusion) vecAxis() int {
	for i := range f.nodes {
		if a := vecAxis(&f.nodes[i]); a >= 0 {
			return a
		}
	}
	return 1
}

// ops lists the group's ops, first to last ("BiasAdd+Relu"); the kernel method is
// named after it (biasAddRelu).
func (f *fusion) ops() string {
	var ops []string
	for _, n := range f.nodes {
		ops = append(ops, n.Op)
	}
	return strings.Join(ops, "+")
}

// signature describes the group's computation independently of node IDs (ops,
// attributes, and which member or leaf each operand is), so that loops.go can tell
// whether two steps fuse alike.
func (f *fusion) signature() string {
	index := map[int]string{}
	for i, id := range f.leaves {
		index[id] = fmt.Sprintf("l%d", i)
	}
	var b strings.Builder
	for j, n := range f.nodes {
		attrs, _ := json.Marshal(n.Attrs)
		fmt.Fprintf(&b, "%s%s(", n.Op, attrs)
		for _, in := range n.Inputs {
			b.WriteString(index[in] + ",")
		}
		b.WriteString(");")
		index[n.ID] = fmt.Sprintf("m%d", j)
	}
	return b.String()
}

// emitFused writes the loop of a fused group: bind the leaves and the result, then
// for every element load the leaves, compute the nodes in order into locals, and
// store the root. Groups with a per-channel op loop over (item, channel, position),
// reading each vector element once per channel; others are one flat loop.
func emitFused(k *Kernel, f *fusion) error {
	k.method = f.ops()
	y := k.Out()
	k.Bind("y", y)
	full := []string{"y"}     // the bound slices of the result and the full-size leaves
	local := map[int]string{} // leaf → the local holding its element
	var vecNames []string
	for _, id := range f.leaves {
		v := k.prog.value(id)
		if v.Shape.Equal(y.Shape) {
			name := fmt.Sprintf("x%d", len(full))
			k.Bind(name, v)
			full = append(full, name)
			local[id] = fmt.Sprintf("a%d", len(full)-1)
		} else {
			name := fmt.Sprintf("v%d", len(vecNames)+1)
			k.BindArray(name, v)
			vecNames = append(vecNames, name)
			local[id] = name + "c"
		}
	}

	// body computes one element; at(name) indexes a full slice at the element.
	body := func(at func(name string) *jen.Statement) []jen.Code {
		var code []jen.Code
		for i, name := range full[1:] {
			code = append(code, jen.Id(fmt.Sprintf("a%d", i+1)).Op(":=").Add(at(name)))
		}
		for j, n := range f.nodes {
			in := make([]*jen.Statement, len(n.Inputs))
			for i, id := range n.Inputs {
				in[i] = jen.Id(local[id])
			}
			last := j == len(f.nodes)-1
			dst := at("y")
			if !last {
				local[n.ID] = fmt.Sprintf("t%d", j+1)
				dst = jen.Id(local[n.ID])
			}
			define := func(val jen.Code) jen.Code {
				if last {
					return jen.Add(dst).Op("=").Add(val)
				}
				return jen.Add(dst).Op(":=").Add(val)
			}
			if op, ok := channelOps[n.Op]; ok {
				code = append(code, define(jen.Add(in[0]).Op(op).Add(in[1])))
				continue
			}
			r := elementwise[n.Op]
			switch {
			case r.value != nil:
				code = append(code, define(r.value(n.Attrs, in)))
			case last:
				code = append(code, r.assign(n.Attrs, in, dst))
			default:
				code = append(code, jen.Var().Add(dst).Float32(), r.assign(n.Attrs, in, dst))
			}
		}
		return code
	}

	if len(vecNames) == 0 {
		// One flat loop; reslicing every operand to len(y) drops the bounds checks.
		for _, name := range full[1:] {
			k.Emit(jen.Id(name).Op("=").Id(name).Index(jen.Empty(), jen.Len(jen.Id("y"))))
		}
		k.Emit(jen.For(jen.Id("i").Op(":=").Range().Id("y")).Block(
			body(func(name string) *jen.Statement { return jen.Id(name).Index(jen.Id("i")) })...))
		return nil
	}
	// (o, c, i) over (outer, channels, inner), as channelVec does: rows and channel
	// blocks are array pointers of constant size, so the loops check no bounds. The
	// channels are the axis of the group's vectors: 1, or the last for BiasAddLast.
	outer, ch, inner := vecDims(y, f.vecAxis())
	block := ch * inner
	var rows, blocks, vals []jen.Code
	for _, name := range full {
		rows = append(rows, jen.Id(name+"r").Op(":=").Add(row(jen.Id(name), jen.Id("o"), block)))
		blocks = append(blocks, jen.Id(name+"c").Op(":=").Add(row(jen.Id(name+"r"), jen.Id("c"), inner)))
	}
	for _, name := range vecNames {
		vals = append(vals, jen.Id(name+"c").Op(":=").Id(name).Index(jen.Id("c")))
	}
	var perChannel []jen.Code
	if inner == 1 {
		perChannel = append(vals, body(func(name string) *jen.Statement { return jen.Id(name + "r").Index(jen.Id("c")) })...)
	} else {
		perChannel = append(append(vals, blocks...), jen.For(jen.Id("i").Op(":=").Range().Id("yc")).Block(
			body(func(name string) *jen.Statement { return jen.Id(name + "c").Index(jen.Id("i")) })...))
	}
	k.Emit(loop("o", outer, append(rows, loop("c", jen.Lit(ch), perChannel...))...))
	return nil
}

// fuse finds the program's groups and rewires its graph and order (see the top of
// this file). Sums that loops.go computes in place are not fused.
func (p *program) fuse(keep []int) {
	// Values stored in Model fields (deriveParams' results) are results too.
	for r := range p.fields {
		keep = append(keep, r)
	}
	chained := func(id int) bool { return p.loops.chainOf[id] != nil }
	chained = p.fuseLSTMCells(keep, chained)    // fuse_lstm.go; no other group takes a cell's nodes
	inConv := p.fuseConvolutions(keep, chained) // fuse_conv.go
	for root, f := range findFusions(p.g, p.order, keep, func(id int) bool { return chained(id) || inConv[id] }) {
		p.fused[root] = f
	}
	p.g, p.order = applyFusions(p.g, p.order, p.fused)
	p.placeWinners()

	// Element-wise kernels read element i of each operand before they write element
	// i of the result, and nothing else: the result may take the place of an operand
	// of its size that nothing reads later (the planner decides; views keep their
	// root alive). A BiasAdd's or ChannelMul's vector is not such an operand.
	p.inPlace = map[int][]int{}
	for _, id := range p.order {
		n := p.g.Nodes[id]
		_, ew := elementwise[n.Op]
		_, ch := channelOps[n.Op]
		if (!ew && !ch && p.fused[id] == nil) || (p.fused[id] != nil && (p.fused[id].conv || p.fused[id].unpool)) || p.winnersOf[id] != 0 {
			continue // a convolution reads its image around the position it writes
		}
		for i, in := range n.Inputs {
			if (ch && p.fused[id] == nil && i == 1) || !p.g.Nodes[in].Shape.Equal(n.Shape) || slices.Contains(p.inPlace[id], in) {
				continue
			}
			p.inPlace[id] = append(p.inPlace[id], in)
		}
	}
}
