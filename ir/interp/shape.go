package interp

import "github.com/dlgen/dlgen/ir"

// Kernels for ops that move elements without changing them: reshaping, joining and
// slicing along an axis, and the adjoint of slicing.

func init() {
	register(ir.OpReshape, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		// Row-major order is unchanged, so the data is copied as it is.
		return FromData(append([]float64(nil), in[0].Data...), n.Shape.Concrete(c.N)...), nil
	})
	register(ir.OpConcat, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		ax := n.Attrs.Axis
		outer, _, inner := axisDims(t.Shape, ax)
		// Each outer index holds, in order, one block of every input: size[ax]·inner
		// contiguous elements.
		dst := 0
		for o := 0; o < outer; o++ {
			for _, x := range in {
				block := x.Shape[ax] * inner
				copy(t.Data[dst:dst+block], x.Data[o*block:(o+1)*block])
				dst += block
			}
		}
		return t, nil
	})
	register(ir.OpSlice, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		a := n.Attrs
		outer, size, inner := axisDims(in[0].Shape, a.Axis)
		block := (a.End - a.Start) * inner
		for o := 0; o < outer; o++ {
			src := (o*size + a.Start) * inner
			copy(t.Data[o*block:(o+1)*block], in[0].Data[src:src+block])
		}
		return t, nil
	})
	register(ir.OpSliceGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		a := n.Attrs
		outer, size, inner := axisDims(t.Shape, a.Axis)
		block := in[0].Shape[a.Axis] * inner
		for o := 0; o < outer; o++ {
			dst := (o*size + a.Start) * inner
			copy(t.Data[dst:dst+block], in[0].Data[o*block:(o+1)*block])
		}
		return t, nil
	})
}

// axisDims views a concrete shape as (outer, shape[axis], inner): the products of the
// axes before and after axis.
func axisDims(shape []int, axis int) (outer, size, inner int) {
	return prod(shape[:axis]), shape[axis], prod(shape[axis+1:])
}
