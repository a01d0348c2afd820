package interp

import (
	"github.com/dlgen/dlgen/ir"
)

// Kernels for the constant source and matrix multiplication. Element-wise
// arithmetic lives in elementwise.go.

func init() {
	register(ir.OpFill, func(c *Ctx, n *ir.Node, _ []*Tensor) (*Tensor, error) {
		t := out(c, n)
		for i := range t.Data {
			t.Data[i] = n.Attrs.Alpha
		}
		return t, nil
	})
	register(ir.OpMatMul, matmul)
}

// matmul computes op(A)·op(B) by the textbook triple loop.
func matmul(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	a, b := in[0], in[1]
	// at(i, k) reads op(A)[i][k], bt(k, j) reads op(B)[k][j].
	ar, ac := a.Shape[0], a.Shape[1]
	at := func(i, k int) float64 { return a.Data[i*ac+k] }
	if n.Attrs.TransA {
		ar, ac = ac, ar
		at = func(i, k int) float64 { return a.Data[k*a.Shape[1]+i] }
	}
	bc := b.Shape[1]
	bt := func(k, j int) float64 { return b.Data[k*bc+j] }
	if n.Attrs.TransB {
		bc = b.Shape[0]
		bt = func(k, j int) float64 { return b.Data[j*b.Shape[1]+k] }
	}
	t := NewTensor(ar, bc)
	for i := 0; i < ar; i++ {
		for j := 0; j < bc; j++ {
			s := 0.0
			for k := 0; k < ac; k++ {
				s += at(i, k) * bt(k, j)
			}
			t.Data[i*bc+j] = s
		}
	}
	return t, nil
}
