package codegen

import (
	"fmt"
	"slices"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// TrainStep split by items.
//
// A recurrent model's TrainStep spends most of its time in two loops over time
// steps, forward and backward, each a chain of small products and element-wise
// kernels on n rows. With the weight and bias gradients summed after the loops
// (stepprod.go), every node of both loops computes an item's rows from that item's
// rows alone, as Predict's do (items.go). So TrainStep runs each maximal stretch of
// such nodes that holds a whole recurrent sequence, a segment, as one rt.Pool.Items
// call: each thread runs the segment, loops included, for its own range of items,
// its products single-threaded, with no synchronisation until the segment ends; the
// nodes between segments (the loss, the sums over the batch, the update) run as
// before.
//
// Unlike Predict's ranges, a segment's ranges share the Model's arena: item b's row
// of a value is where one thread would put it (rows b0 … b1-1 start b0 rows into the
// value's storage), so the nodes after the segment find every item's values where
// they expect them. The memory plan normally lets a value take the place of one that
// died before it, and ranges running at their own pace would then overwrite each
// other's rows whenever the two values differ in width. So every value a segment
// reads or writes is held until the segment's end (planArena): nothing inside a
// segment shares storage with anything else the segment touches. Values of one
// family share their slots between steps, but every member has the same width, so
// ranges only ever touch their own rows of a slot.
//
// Loss, the same forward pass, runs its loop by items the same way (lossItemsK).
//
// Every element is computed by the same instructions in the same order whatever the
// range (products per row as rt.Gemm computes them, element-wise kernels per
// element), so the results are the same bits for every thread count, and one thread
// runs the same code as a single range.

// segment is a stretch of TrainStep (or Loss) run by ranges of items.
type segment struct {
	first, last int    // positions in the program order, inclusive
	method, fn  string // the per-range method and the Model field holding its value
	args        []*arg // the method arguments it reads
}

// segmentOps are the ops, beyond itemOps, whose batched results are computed row by
// row from the same rows of their batched operands.
var segmentOps = map[string]bool{
	ir.OpSliceGrad: true, ir.OpSigmoidGrad: true, ir.OpTanhGrad: true, ir.OpReluGrad: true,
	ir.OpLeakyReluGrad: true, ir.OpReluMaxGrad: true,
	// The smooth activations' gradients, which read x.
	ir.OpEluGrad: true, ir.OpSeluGrad: true, ir.OpSoftplusGrad: true, ir.OpGeluGrad: true, ir.OpSiluGrad: true,
	// The sum over a repeated axis after the batch, within each item.
	ir.OpRepeatGrad: true,
	// Layer norm's input gradient, row by row as its forward kernel.
	ir.OpLayerNormGrad: true,
	// PReLU's input gradient, item by item as its forward kernel (its α gradient
	// sums over the batch and ends a segment).
	ir.OpPReLUGrad: true,
}

// itemLocal reports whether node id computes each item's rows from the same items'
// rows only, or computes nothing at all where it stands.
func (p *program) itemLocal(id int, root []int) bool {
	g, ls := p.g, p.loops
	n := g.Nodes[id]
	if sp := ls.stepProd[id]; sp != nil {
		return id != sp.emit
	}
	if ss := ls.stepSum[id]; ss != nil {
		return id != ss.final
	}
	if c := ls.chainOf[id]; c != nil && c.role[id] == roleSum {
		return true
	}
	if !n.Shape.Batched() || p.storeOut[root[id]] != nil {
		return false
	}
	// Views must cover their storage's rows: the same elements per item.
	for _, v := range append([]int{id}, n.Inputs...) {
		vn, rn := g.Nodes[v], g.Nodes[root[v]]
		if vn.Shape.Batched() && (!rn.Shape.Batched() || vn.Shape.Elems() != rn.Shape.Elems()) {
			return false
		}
	}
	if ls.cells[id] != nil {
		return true
	}
	if f := p.fused[id]; f != nil {
		if f.conv || f.unpool {
			return false
		}
		for _, m := range f.nodes {
			if _, ok := elementwise[m.Op]; !ok && channelOps[m.Op] == "" {
				return false
			}
		}
		return true
	}
	switch n.Op {
	case ir.OpMatMul:
		a, b := g.Nodes[n.Inputs[0]], g.Nodes[n.Inputs[1]]
		return !n.Attrs.TransA && a.Shape.Batched() && !b.Shape.Batched()
	case ir.OpConcat:
		// A Concat of one family's steps is a gather over the family's block
		// (emitGather), which addresses rows from the block's start.
		f := ls.fam[root[n.Inputs[0]]]
		gather := true
		for _, in := range n.Inputs {
			gather = gather && (in == n.Inputs[0] || (f != nil && ls.fam[root[in]] == f))
		}
		return (!gather || len(n.Inputs) < 2) && !alongBatch(n)
	}
	if _, ok := elementwise[n.Op]; ok {
		return true
	}
	return (itemOps[n.Op] || segmentOps[n.Op]) && !alongBatch(n)
}

// alongBatch reports whether n slices or concatenates along the batch axis, which
// moves rows between items.
func alongBatch(n *ir.Node) bool {
	switch n.Op {
	case ir.OpSlice, ir.OpSliceGrad, ir.OpConcat:
		return n.Attrs.Axis == 0
	}
	return false
}

// findSegments finds the segments of TrainStep or Loss: maximal stretches of
// item-local nodes that hold at least two whole steps of a sequence (so that a loop
// may run inside).
// A segment may begin or end inside a sequence, where its first or last steps are
// computed by the nodes around it; the steps at its edges are then kept out of the
// loops (loopState.edge), so that no loop crosses an edge.
func (p *program) findSegments(root []int) {
	if (p.method != "TrainStep" && p.method != "Loss") || len(p.loops.seqs) == 0 {
		return
	}
	pos := map[int]int{}
	for i, id := range p.order {
		pos[id] = i
	}
	for i := 0; i < len(p.order); {
		if !p.itemLocal(p.order[i], root) {
			i++
			continue
		}
		j := i
		for j+1 < len(p.order) && p.itemLocal(p.order[j+1], root) {
			j++
		}
		steps := 0
		for _, s := range p.loops.seqs {
			whole := 0
			for _, gr := range s.groups {
				inside := true
				for _, id := range gr.nodes {
					inside = inside && pos[id] >= i && pos[id] <= j
				}
				if inside {
					whole++
				}
			}
			steps = max(steps, whole)
		}
		if steps >= 2 {
			p.segments = append(p.segments, &segment{first: i, last: j})
			// An edge between two steps of one sequence (or inside a step) keeps
			// both steps out of the loops.
			for _, at := range [][2]int{{i - 1, i}, {j, j + 1}} {
				if at[0] < 0 || at[1] >= len(p.order) {
					continue
				}
				a, b := p.loops.groupOf[p.order[at[0]]], p.loops.groupOf[p.order[at[1]]]
				if a != nil && b != nil && a.seq == b.seq {
					p.loops.edge[a], p.loops.edge[b] = true, true
				}
			}
		}
		i = j + 1
	}
}

// holds lists, per segment, the nodes whose storage must outlive it: every value
// its nodes read or write (planArena holds them to its last position).
func (p *program) holds(seg *segment) []int {
	var ids []int
	for _, id := range p.order[seg.first : seg.last+1] {
		ids = append(ids, id)
		ids = append(ids, p.g.Nodes[id].Inputs...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// nameSegments names each segment's method and fields, and finds the arguments it
// reads.
func (p *program) nameSegments() {
	m := p.model
	for i, seg := range p.segments {
		seg.method = m.fields.name(fmt.Sprintf("%s items %d", p.method, i), false)
		seg.fn = m.fields.name(fmt.Sprintf("%s items %d fn", p.method, i), false)
		for _, id := range p.holds(seg) {
			if a := p.argOf[p.plan.Root[id]]; a != nil && !slices.Contains(seg.args, a) {
				seg.args = append(seg.args, a)
			}
		}
		for _, a := range seg.args {
			if p.segArgs[a] == "" {
				p.segArgs[a] = m.fields.name(p.method+" arg "+a.id, false)
			}
		}
	}
}

// segmentFields are the Model's fields for TrainStep's segments.
func (p *program) segmentFields() []jen.Code {
	if p == nil || len(p.segments) == 0 {
		return nil
	}
	var fields []jen.Code
	for _, seg := range p.segments {
		fields = append(fields, jen.Id(seg.fn).Func().Params(jen.Id("part"), jen.Id("b0"), jen.Id("b1").Int()).Comment(seg.method+", made once (rt.Pool.Items)"))
	}
	for _, a := range p.inputs {
		if f := p.segArgs[a]; f != "" {
			fields = append(fields, jen.Id(f).Add(a.goType()).Comment(fmt.Sprintf("%s of the %s call running by items", a.id, p.method)))
		}
	}
	return fields
}

// segmentsNew are New's statements keeping the segments' method values.
func (p *program) segmentsNew() []jen.Code {
	if p == nil {
		return nil
	}
	var code []jen.Code
	for _, seg := range p.segments {
		code = append(code, jen.Id("m").Dot(seg.fn).Op("=").Id("m").Dot(seg.method))
	}
	return code
}

// segmentCall is TrainStep's code for a segment: its ranges on the pool's threads.
func (p *program) segmentCall(seg *segment) []jen.Code {
	g := p.g
	code := []jen.Code{jen.Comment(fmt.Sprintf("%s … %s: each thread computes its own range of items (%s)",
		g.Nodes[p.order[seg.first]].Name, g.Nodes[p.order[seg.last]].Name, seg.method))}
	for _, a := range seg.args {
		code = append(code, jen.Id("m").Dot(p.segArgs[a]).Op("=").Id(a.id))
	}
	code = append(code, jen.Id("m").Dot("pool").Dot("Items").Call(jen.Id("n"), jen.Id("m").Dot(seg.fn)))
	for _, a := range seg.args {
		code = append(code, jen.Id("m").Dot(p.segArgs[a]).Op("=").Nil())
	}
	return code
}

// emitSegments writes each segment's method: the segment's nodes for items b0 …
// b1-1.
func (p *program) emitSegments(f *jen.File) error {
	for _, seg := range p.segments {
		p.shift = true
		body := []jen.Code{jen.Id("n").Op(":=").Id("b1").Op("-").Id("b0")}
		for _, a := range seg.args {
			e := a.shape.Elems()
			src := jen.Id("m").Dot(p.segArgs[a])
			if a.shape.Batched() {
				src = src.Index(jen.Id("b0").Op("*").Lit(e), jen.Id("b1").Op("*").Lit(e))
			}
			body = append(body, jen.Id(a.id).Op(":=").Add(src))
		}
		code, err := p.kernelsIn(seg.first, seg.last+1)
		p.shift = false
		if err != nil {
			return err
		}
		body = append(body, code...)
		comment(f, fmt.Sprintf("%s computes %s … %s of %s for items b0 … b1-1 of the call\nwhose slices %s left in the Model, as a range of Pool.Items: those items'\nrows of every value, its products on the calling thread.",
			seg.method, p.g.Nodes[p.order[seg.first]].Name, p.g.Nodes[p.order[seg.last]].Name, p.method, p.method))
		f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id(seg.method).Params(jen.Id("_"), jen.Id("b0"), jen.Id("b1").Int()).Block(body...)
		f.Line()
	}
	return nil
}
