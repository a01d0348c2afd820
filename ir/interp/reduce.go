package interp

import "github.com/dlgen/dlgen/ir"

// Kernels for whole-tensor reductions and their adjoint.

func init() {
	register(ir.OpReduceSum, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := NewTensor()
		for _, v := range in[0].Data {
			t.Data[0] += v
		}
		return t, nil
	})
	register(ir.OpReduceMean, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := NewTensor()
		for _, v := range in[0].Data {
			t.Data[0] += v
		}
		t.Data[0] /= float64(len(in[0].Data))
		return t, nil
	})
	register(ir.OpBroadcast, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		v := in[0].Data[0]
		if n.Attrs.Mean {
			v /= float64(len(t.Data))
		}
		for i := range t.Data {
			t.Data[i] = v
		}
		return t, nil
	})
}
