package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for the embedding lookup and its weight gradient: calls of rt's row
// copy and row sum. The ids were checked against [0, V) on entry to the method
// (rt.CheckIndices), so every id selects a row.

func init() {
	register(ir.OpEmbedding, emitEmbedding)
	register(ir.OpEmbeddingGrad, emitEmbeddingGrad)
}

// emitEmbedding copies, for every id, the row of the weight it selects.
func emitEmbedding(k *Kernel) error {
	ids, w, y := k.In(0), k.In(1), k.Out()
	if ids.DType != ir.Int {
		return k.Errorf("ids must be an int input, not %s", ids.DType)
	}
	is := k.Bind("ids", ids)
	ws := k.Bind("w", w)
	ys := k.Bind("y", y)
	k.Emit(jen.Qual(rtPath, "Embedding").Call(ys, is, ws, jen.Lit(w.Shape[1])))
	return nil
}

// emitEmbeddingGrad sums the rows of dy into the rows of dw their ids select, in
// the order of the positions, and leaves the padding row (if any) at zero.
func emitEmbeddingGrad(k *Kernel) error {
	ids, dy, dw := k.In(0), k.In(1), k.Out()
	if ids.DType != ir.Int {
		return k.Errorf("ids must be an int input, not %s", ids.DType)
	}
	pad := -1
	if p, ok := ir.EmbeddingPad(k.Node.Attrs); ok {
		pad = p
	}
	is := k.Bind("ids", ids)
	ds := k.Bind("dy", dy)
	ws := k.Bind("dw", dw)
	k.Emit(jen.Qual(rtPath, "EmbeddingGrad").Call(ws, is, ds, jen.Lit(dw.Shape[1]), jen.Lit(pad)))
	return nil
}
