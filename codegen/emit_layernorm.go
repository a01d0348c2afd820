package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for layer normalisation and its gradients. A row is an index over the
// axes before the op's axis (an item's features, or one step of an (N, T, F)
// sequence), its F elements the normalised axes, contiguous in row-major storage.
// Each kernel is a loop over the rows calling the row kernels of rt/layernorm.go,
// which accumulate the statistics in float64 with interleaved partial sums. The
// forward and input-gradient kernels touch row r of their operands only, so a range
// of items runs them on its own rows (itemOps, segmentOps); the weight and bias
// gradients sum over every row, batch included, into the model's float64 scratch.

func init() {
	register(ir.OpLayerNorm, emitLayerNorm)
	register(ir.OpLayerNormGrad, emitLayerNormGrad)
	register(ir.OpLayerNormWeightGrad, emitLayerNormWeightGrad)
	register(ir.OpLayerNormBiasGrad, emitLayerNormBiasGrad)
}

// layerNormRows returns the number of rows of v (an expression, the batch written
// n) and their length F for a layer norm from axis on.
func layerNormRows(v Value, axis int) (*jen.Statement, int) {
	return v.Prod(0, axis), v.ConstProd(axis, len(v.Shape))
}

// rowOf is s[r·f : (r+1)·f], row r of a slice of rows of f elements.
func rowOf(s *jen.Statement, f int) *jen.Statement {
	return jen.Add(s).Index(jen.Id("r").Op("*").Lit(f), jen.Parens(jen.Id("r").Op("+").Lit(1)).Op("*").Lit(f))
}

// optionalIn binds operand i under name when the node has it, and is nil otherwise
// (the row kernels take a nil γ as 1 and a nil β as 0).
func optionalIn(k *Kernel, i int, name string) *jen.Statement {
	if i >= len(k.Node.Inputs) {
		return jen.Nil()
	}
	return k.Bind(name, k.In(i))
}

// emitLayerNorm emits, per row, y = (x - μ)·r·γ + β (rt.LayerNormRow).
func emitLayerNorm(k *Kernel) error {
	x, y := k.In(0), k.Out()
	a := k.Node.Attrs
	rows, f := layerNormRows(x, a.Axis)
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	gs := optionalIn(k, 1, "gamma")
	bs := optionalIn(k, 2, "beta")
	k.Emit(loop("r", rows, jen.Qual(rtPath, "LayerNormRow").Call(rowOf(ys, f), rowOf(xs, f), gs, bs, jen.Lit(a.Eps))))
	return nil
}

// emitLayerNormGrad emits, per row, dx = r·(g - mean(g) - x̂·mean(g·x̂)) with g = dy·γ
// (rt.LayerNormGradRow, which recomputes the row's statistics from x).
func emitLayerNormGrad(k *Kernel) error {
	x, dy, dx := k.In(0), k.In(1), k.Out()
	a := k.Node.Attrs
	rows, f := layerNormRows(x, a.Axis)
	xs := k.Bind("x", x)
	ds := k.Bind("dy", dy)
	gs := optionalIn(k, 2, "gamma")
	out := k.Bind("dx", dx)
	k.Emit(loop("r", rows, jen.Qual(rtPath, "LayerNormGradRow").Call(rowOf(out, f), rowOf(xs, f), rowOf(ds, f), gs, jen.Lit(a.Eps))))
	return nil
}

// emitLayerNormWeightGrad emits dγ = Σ_rows dy·x̂, accumulated in float64 row by row
// in order (rt.LayerNormWeightGradRow) and rounded once.
func emitLayerNormWeightGrad(k *Kernel) error {
	x, dy, dg := k.In(0), k.In(1), k.Out()
	a := k.Node.Attrs
	rows, f := layerNormRows(x, a.Axis)
	xs := k.Bind("x", x)
	ds := k.Bind("dy", dy)
	gs := k.BindArray("dgamma", dg)
	k.Emit(jen.Id("acc").Op(":=").Add(k.Scratch64(f)), jen.Clear(jen.Id("acc").Index(jen.Op(":"))))
	k.Emit(loop("r", rows, jen.Qual(rtPath, "LayerNormWeightGradRow").Call(jen.Id("acc").Index(jen.Op(":")), rowOf(xs, f), rowOf(ds, f), jen.Lit(a.Eps))))
	k.Emit(loop("j", jen.Lit(f), jen.Add(gs).Index(jen.Id("j")).Op("=").Add(f32(jen.Id("acc").Index(jen.Id("j"))))))
	return nil
}

// emitLayerNormBiasGrad emits dβ = Σ_rows dy: the column sums of dy as a rows × F
// matrix (rt.ColSums64, float64, rows in order, vectorised where the CPU allows).
func emitLayerNormBiasGrad(k *Kernel) error {
	dy, db := k.In(0), k.Out()
	rows, f := layerNormRows(dy, k.Node.Attrs.Axis)
	ds := k.Bind("dy", dy)
	bs := k.BindArray("dbeta", db)
	k.Emit(jen.Id("acc").Op(":=").Add(k.Scratch64(f)), jen.Clear(jen.Id("acc").Index(jen.Op(":"))))
	k.Emit(jen.Qual(rtPath, "ColSums64").Call(jen.Id("acc").Index(jen.Op(":")), ds, rows, jen.Lit(f), jen.Lit(f)))
	k.Emit(loop("j", jen.Lit(f), jen.Add(bs).Index(jen.Id("j")).Op("=").Add(f32(jen.Id("acc").Index(jen.Id("j"))))))
	return nil
}
