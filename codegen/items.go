package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Predict split by items. A recurrent model's Predict runs a loop of small
// products (16 rows × 256 for the LSTM workload) that are far below what is worth
// splitting across threads one at a time: each split costs a hand-over and a wait,
// 64 of them per call. But the items of a batch are independent from the first step
// to the last, so with several threads Predict gives each thread a contiguous range
// of items and runs the whole computation for it (rt.Pool.Items), its products
// single-threaded, with no synchronisation until the end. Each range has an arena of
// its own (the first the Model's, the others in predictArenas, each the size of
// Predict's plan, which is much smaller than TrainStep's that sizes the Model's
// arena), laid out by the same memory plan: the plan lets values of different widths share storage one after the
// other, which ranges running at their own pace in one arena would overwrite. Every
// element is computed as in one thread (the same per-row products and loops), so the
// results are the same bits.
//
// It applies to a Predict that has a recurrent loop and whose every node computes
// each item's rows from that item's rows alone: the ops below, and products of a
// batch by a weight (on (N, F), or on the last axis of (N, T, F), whose n·T rows are
// each item's T rows in turn). Anything else (convolutions, which split by items on
// their own; reductions over the batch; values without a batch dimension) keeps
// Predict whole.

// itemOps are the ops whose result rows depend on the same rows of their batched
// operands only (the weights and other unbatched operands are shared).
var itemOps = map[string]bool{
	ir.OpFill: true, ir.OpSlice: true, ir.OpConcat: true, ir.OpReshape: true,
	ir.OpBiasAdd: true, ir.OpBiasAddLast: true, ir.OpAdd: true, ir.OpSub: true, ir.OpMul: true, ir.OpDiv: true,
	ir.OpScale: true, ir.OpAddScalar: true, ir.OpSigmoid: true, ir.OpTanh: true,
	ir.OpRelu: true, ir.OpLeakyRelu: true, ir.OpReluMax: true, ir.OpSoftmax: true /* over the last axis */, ir.OpExp: true,
	ir.OpLog: true, ir.OpSquare: true,
	ir.OpElu: true, ir.OpSelu: true, ir.OpSoftplus: true, ir.OpGelu: true, ir.OpSilu: true,
	// An item's rows of the weight it selects (the weight is shared); its gradient
	// sums over the batch and is not batched, so segments end before it.
	ir.OpEmbedding: true,
	// An item's block with its axes reordered (Permute), the batch first.
	ir.OpTranspose: true,
	// Copies of an item's block along a new axis after the batch (RepeatVector).
	ir.OpRepeat: true,
	// Over the last axis, as Softmax.
	ir.OpLogSoftmax: true,
	// Over the axes from its axis on, never the batch: each item's rows alone.
	ir.OpLayerNorm: true,
	// Each item's elements with the shared α.
	ir.OpPReLU: true,
}

// findItemSplit sets p.itemSplit when Predict can run by ranges of items.
func (p *program) findItemSplit() {
	if p.method != "Predict" || len(p.loops.runs) == 0 {
		return
	}
	for _, id := range p.order {
		n := p.g.Nodes[id]
		if !n.Shape.Batched() {
			return
		}
		switch {
		case n.Op == ir.OpMatMul:
			a, b := p.g.Nodes[n.Inputs[0]], p.g.Nodes[n.Inputs[1]]
			if n.Attrs.TransA || !a.Shape.Batched() || b.Shape.Batched() {
				return
			}
		case !itemOps[n.Op] || alongBatch(n):
			return
		}
	}
	p.itemSplit = true
}

// arenaRef is the arena values live in: the Model's, or the range's own (the local
// arena) inside a range of items.
func (p *program) arenaRef() *jen.Statement {
	if p.rows {
		return jen.Id("arena")
	}
	return jen.Id("m").Dot("arena")
}

// pool is the pool argument of the rt calls this program makes: the model's, or
// none inside a range of items (the pool is running the ranges).
func (p *program) pool() *jen.Statement {
	if p.rows || p.shift {
		return jen.Nil()
	}
	return pooled()
}

// itemNames are the Model fields and method of an item-split Predict.
type itemNames struct {
	fn, method, arena string
	args              []string // one per input, then per output: the call's slices
}

// itemFields are the Model's fields for an item-split Predict.
func (p *program) itemFields() []jen.Code {
	if p == nil || !p.itemSplit {
		return nil
	}
	fields := []jen.Code{
		jen.Id(p.items.fn).Func().Params(jen.Id("part"), jen.Id("b0"), jen.Id("b1").Int()).Comment(p.items.method + ", made once (rt.Pool.Items)"),
		jen.Id(p.items.arena).Index().Float32().Comment(fmt.Sprintf("the arenas of the item ranges after the first, %d values (Predict's plan) per further thread", p.plan.Size)),
	}
	for i, a := range append(append([]*arg{}, p.inputs...), p.outs...) {
		fields = append(fields, jen.Id(p.items.args[i]).Add(a.goType()).Comment(fmt.Sprintf("%s of the Predict call running by items", a.id)))
	}
	return fields
}

// nameItems names the fields and method, once Predict is known to split.
func (p *program) nameItems() {
	if !p.itemSplit {
		return
	}
	m := p.model
	p.items.method = m.fields.name("predict items", false)
	p.items.fn = m.fields.name("predict items fn", false)
	p.items.arena = m.fields.name("predict arenas", false)
	for _, a := range append(append([]*arg{}, p.inputs...), p.outs...) {
		p.items.args = append(p.items.args, m.fields.name("predict arg "+a.id, false))
	}
}

// itemsNew is New's statement keeping the method value.
func (p *program) itemsNew() []jen.Code {
	if p == nil || !p.itemSplit {
		return nil
	}
	return []jen.Code{jen.Id("m").Dot(p.items.fn).Op("=").Id("m").Dot(p.items.method)}
}

// itemsThreads are the statements of New and SetThreads that size the further
// ranges' arenas for the pool's threads.
func (p *program) itemsThreads() []jen.Code {
	if p == nil || !p.itemSplit {
		return nil
	}
	return []jen.Code{jen.Id("m").Dot(p.items.arena).Op("=").Make(jen.Index().Float32(),
		jen.Parens(jen.Id("m").Dot("pool").Dot("Threads").Call().Op("-").Lit(1)).Op("*").Lit(p.plan.Size))}
}

// itemsCall is Predict's branch that runs it by items on several threads.
func (p *program) itemsCall() []jen.Code {
	if !p.itemSplit {
		return nil
	}
	all := append(append([]*arg{}, p.inputs...), p.outs...)
	var set, unset []jen.Code
	for i, a := range all {
		set = append(set, jen.Id("m").Dot(p.items.args[i]).Op("=").Id(a.id))
		unset = append(unset, jen.Id("m").Dot(p.items.args[i]).Op("=").Nil())
	}
	body := append(set, jen.Id("m").Dot("pool").Dot("Items").Call(jen.Id("n"), jen.Id("m").Dot(p.items.fn)))
	body = append(body, unset...)
	body = append(body, jen.Return(jen.Nil()))
	return []jen.Code{
		jen.Comment("Several threads: each runs every step for its own range of items (" + p.items.method + ")."),
		jen.If(jen.Id("m").Dot("pool").Op("!=").Nil().Op("&&").Id("m").Dot("pool").Dot("Threads").Call().Op(">").Lit(1).Op("&&").Id("n").Op(">").Lit(1)).Block(body...),
	}
}

// emitItems writes the method that computes Predict for items b0 … b1-1.
func (p *program) emitItems(f *jen.File) error {
	if !p.itemSplit {
		return nil
	}
	p.rows = true
	defer func() { p.rows = false }()
	body := []jen.Code{
		jen.Id("n").Op(":=").Id("b1").Op("-").Id("b0"),
		jen.Id("arena").Op(":=").Id("m").Dot("arena").Index(jen.Op(":")),
		jen.If(jen.Id("part").Op(">").Lit(0)).Block(jen.Id("arena").Op("=").Id("m").Dot(p.items.arena).Index(
			jen.Parens(jen.Id("part").Op("-").Lit(1)).Op("*").Lit(p.plan.Size), jen.Id("part").Op("*").Lit(p.plan.Size))),
	}
	for i, a := range append(append([]*arg{}, p.inputs...), p.outs...) {
		e := a.shape.Elems()
		body = append(body, jen.Id(a.id).Op(":=").Id("m").Dot(p.items.args[i]).Index(jen.Id("b0").Op("*").Lit(e), jen.Id("b1").Op("*").Lit(e)))
	}
	kernels, err := p.kernels()
	if err != nil {
		return err
	}
	body = append(body, kernels...)
	for i, a := range p.outs {
		if p.storeOut[p.plan.Root[p.outIDs[i]]] != a {
			body = append(body, jen.Copy(jen.Id(a.id), p.value(p.outIDs[i]).Slice()))
		}
	}
	comment(f, fmt.Sprintf("%s computes Predict for items b0 … b1-1 of the call whose slices Predict left in\nthe Model, as range part of Pool.Items: in the arena of that part, its products on\nthe calling thread.", p.items.method))
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id(p.items.method).Params(jen.Id("part"), jen.Id("b0"), jen.Id("b1").Int()).Block(body...)
	f.Line()
	return nil
}
