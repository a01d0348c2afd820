package interp

import "github.com/dlgen/dlgen/ir"

// The parametric ReLU and its gradients. α broadcasts over x's first axis, over its
// own axes of size 1 and over x's axes past its last; preluIndex maps each element of
// x to the α it uses.

// preluIndex returns, for each of the elements of one item of x (x's shape after
// its first axis, row-major), the index of its α in alpha's row-major storage.
func preluIndex(x, alpha []int) []int {
	item := x[1:]
	strides := make([]int, len(item)) // α's strides, 0 along its axes of size 1 and past its last
	s := 1
	for i := len(alpha) - 1; i >= 0; i-- {
		if alpha[i] != 1 {
			strides[i] = s
		}
		s *= alpha[i]
	}
	idx := make([]int, prod(item))
	at := make([]int, len(item)) // the multi-index of element e
	for e := range idx {
		a := 0
		for i, v := range at {
			a += v * strides[i]
		}
		idx[e] = a
		for i := len(at) - 1; i >= 0; i-- {
			if at[i]++; at[i] < item[i] {
				break
			}
			at[i] = 0
		}
	}
	return idx
}

func init() {
	// y = x where x > 0, else α·x.
	register(ir.OpPReLU, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		x, alpha := in[0], in[1]
		idx := preluIndex(x.Shape, alpha.Shape)
		for e, v := range x.Data {
			if v > 0 {
				t.Data[e] = v
			} else {
				t.Data[e] = alpha.Data[idx[e%len(idx)]] * v
			}
		}
		return t, nil
	})
	// dx = dy where x > 0, else α·dy (PyTorch's choice at x = 0).
	register(ir.OpPReLUGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		x, alpha, dy := in[0], in[1], in[2]
		idx := preluIndex(x.Shape, alpha.Shape)
		for e, v := range x.Data {
			if v > 0 {
				t.Data[e] = dy.Data[e]
			} else {
				t.Data[e] = alpha.Data[idx[e%len(idx)]] * dy.Data[e]
			}
		}
		return t, nil
	})
	// dα[a] = Σ dy·x over the elements e that use α[a] and have x ≤ 0, e in order.
	register(ir.OpPReLUAlphaGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		x, dy := in[0], in[1]
		idx := preluIndex(x.Shape, t.Shape)
		for e, v := range x.Data {
			if !(v > 0) { // NaN included, as PyTorch's x > 0 ? 0 : x·dy
				t.Data[idx[e%len(idx)]] += dy.Data[e] * v
			}
		}
		return t, nil
	})
}
