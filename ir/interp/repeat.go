package interp

import "github.com/dlgen/dlgen/ir"

// Repeat (Keras' RepeatVector) and its adjoint, the sum over the repeated axis.

func init() {
	// y[o, r, i] = x[o, i]: for each outer index, the block of x after the new axis
	// is copied once per repeat.
	register(ir.OpRepeat, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		x, a := in[0], n.Attrs
		outer, inner := prod(x.Shape[:a.Axis]), prod(x.Shape[a.Axis:])
		for o := 0; o < outer; o++ {
			src := x.Data[o*inner : (o+1)*inner]
			for r := 0; r < a.Repeats; r++ {
				copy(t.Data[(o*a.Repeats+r)*inner:], src)
			}
		}
		return t, nil
	})
	// dx[o, i] = Σ_r dy[o, r, i], summed r = 0, 1, … in order.
	register(ir.OpRepeatGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		outer, size, inner := axisDims(in[0].Shape, n.Attrs.Axis)
		dy := in[0].Data
		for o := 0; o < outer; o++ {
			dx := t.Data[o*inner : (o+1)*inner]
			for r := 0; r < size; r++ {
				for i, v := range dy[(o*size+r)*inner:][:inner] {
					dx[i] += v
				}
			}
		}
		return t, nil
	})
}
