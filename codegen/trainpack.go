package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// Weights packed once per TrainStep. deriveParams packs the B operands of
// Predict's products once per weight change (derived.go); TrainStep changes the
// weights at its end, so it cannot use those, and a recurrent layer's products
// (two per step, forward and backward, by the same weight) used to pack their B
// on every call: 64 packs of the same matrix per step of a 32-step LSTM. A B
// operand that holds parameters alone and that two or more of TrainStep's
// products read the same way is packed into a Model field right after it is
// computed (at the start, for a parameter itself), and those products read the
// packed copy.

// trainPack is one such operand and how it is packed.
type trainPack struct {
	b      int  // B's node in the training graph
	transB bool // op(B) = Bᵀ
	field  string
	after  int // the order position after which B is complete, or -1: the start
}

type trainPackKey struct {
	b      int
	transB bool
}

// findTrainPacks fills p.trainPacks for TrainStep: after the loops are found
// (findRuns), since an operand computed inside a loop is not the same in every
// step and is never packed.
func (p *program) findTrainPacks() {
	g := p.g
	paramOnly := stableParamOnly(g)
	root := passes.StorageRoots(g)
	inLoop := map[int]bool{}
	for i, r := range p.loops.runs {
		n := 0
		for _, gr := range r.groups {
			n += len(gr.nodes)
		}
		for j := i; j < i+n && j < len(p.order); j++ {
			inLoop[p.order[j]] = true
		}
	}
	pos := map[int]int{}
	for i, id := range p.order {
		pos[id] = i
	}
	uses := map[trainPackKey]int{}
	var keys []trainPackKey
	for _, id := range p.order {
		n := g.Nodes[id]
		if n.Op != ir.OpMatMul || p.fused[id] != nil {
			continue
		}
		b := n.Inputs[1]
		r := root[b]
		// As derived.go: B's storage holds exactly B's elements, row-major, and it
		// is a parameter or a value TrainStep computes outside every loop.
		if !paramOnly[b] || g.Nodes[b].Shape.Batched() || g.Nodes[b].Shape.Rank() != 2 ||
			g.Nodes[b].Shape.Elems() != g.Nodes[r].Shape.Elems() || inLoop[r] ||
			(g.Nodes[r].Op != ir.OpParam && p.param[r] == nil && !containsInt(p.order, r)) {
			continue
		}
		k := trainPackKey{b, n.Attrs.TransB}
		if uses[k] == 0 {
			keys = append(keys, k)
		}
		uses[k]++
	}
	for _, k := range keys {
		if uses[k] < 2 {
			continue
		}
		r := root[k.b]
		after := -1
		if g.Nodes[r].Op != ir.OpParam {
			after = pos[r]
		}
		how := "transposed"
		if !k.transB {
			how = "as stored"
		}
		tp := &trainPack{b: k.b, transB: k.transB, after: after,
			field: p.model.fields.name(fmt.Sprintf("%s packed for training (%s)", g.Nodes[k.b].Name, how), false)}
		if p.trainPacks == nil {
			p.trainPacks = map[trainPackKey]*trainPack{}
		}
		p.trainPacks[k] = tp
		p.trainPackList = append(p.trainPackList, tp)
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// trainPackFor returns the packed operand a MatMul node of TrainStep reads, or nil.
func (p *program) trainPackFor(n *ir.Node) *trainPack {
	if p.trainPacks == nil {
		return nil
	}
	return p.trainPacks[trainPackKey{n.Inputs[1], n.Attrs.TransB}]
}

// packCode is the statement packing tp from B's storage.
func (p *program) packCode(tp *trainPack) jen.Code {
	b := p.value(tp.b)
	k, n := b.Shape[0], b.Shape[1]
	if tp.transB {
		k, n = n, k
	}
	return jen.Id("m").Dot(tp.field).Dot("Pack").Call(jen.Lit(tp.transB), jen.Lit(k), jen.Lit(n), b.Slice(), jen.Lit(b.Shape[1]))
}

// packsAfter returns the packing statements due after order position i (-1: the
// start of the method).
func (p *program) packsAfter(i int) []jen.Code {
	var code []jen.Code
	for _, tp := range p.trainPackList {
		if tp.after == i {
			code = append(code, jen.Comment(fmt.Sprintf("%s, packed once for this step's products by it", p.g.Nodes[tp.b].Name)), p.packCode(tp))
		}
	}
	return code
}

// trainPackFields are the Model's fields for the packed operands of TrainStep.
func (p *program) trainPackFields() []jen.Code {
	if p == nil {
		return nil
	}
	var fields []jen.Code
	for _, tp := range p.trainPackList {
		fields = append(fields, jen.Id(tp.field).Qual(rtPath, "PackedB").Comment(fmt.Sprintf("%s, packed for TrainStep's products", p.g.Nodes[tp.b].Name)))
	}
	return fields
}
