package interp

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// Kernels for the constant source, matrix multiplication and the bias of a dense
// layer on the last axis. Element-wise arithmetic lives in elementwise.go.

func init() {
	register(ir.OpFill, func(c *Ctx, n *ir.Node, _ []*Tensor) (*Tensor, error) {
		t := out(c, n)
		for i := range t.Data {
			t.Data[i] = n.Attrs.Alpha
		}
		return t, nil
	})
	register(ir.OpMatMul, matmul)
	register(ir.OpBiasAddLast, biasAddLast)
	register(ir.OpBiasAddLastGrad, biasAddLastGrad)
}

// matmul computes op(A)·op(B) by the textbook triple loop. An operand of rank ≥ 3
// is read as the matrix of its leading axes flattened into rows (its row-major
// layout): (d0, …, dk, K) is (d0·…·dk)×K. Without trans_a the result keeps A's
// leading axes, (d0, …, dk, M); with trans_a the product contracts over them (the
// op table checks that A and B share them).
func matmul(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	a, b := in[0], in[1]
	am, ak := asMatrix(a.Shape)
	bm, bk := asMatrix(b.Shape)
	// at(i, k) reads op(A)[i][k], bt(k, j) reads op(B)[k][j].
	ar, ac := am, ak
	at := func(i, k int) float64 { return a.Data[i*ak+k] }
	if n.Attrs.TransA {
		ar, ac = ak, am
		at = func(i, k int) float64 { return a.Data[k*ak+i] }
	}
	bc := bk
	bt := func(k, j int) float64 { return b.Data[k*bk+j] }
	if n.Attrs.TransB {
		bc = bm
		bt = func(k, j int) float64 { return b.Data[j*bk+k] }
	}
	t := out(c, n)
	if len(t.Data) != ar*bc {
		return nil, fmt.Errorf("a %d×%d product does not fill %v", ar, bc, t.Shape)
	}
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

// asMatrix views a concrete shape (d0, …, dk, K) as rows×cols with rows = d0·…·dk
// and cols = K: a matrix is itself, a stack of rows is flattened.
func asMatrix(shape []int) (rows, cols int) {
	last := len(shape) - 1
	return prod(shape[:last]), shape[last]
}

// biasAddLast is y[..., c] = x[..., c] + b[c]: x as rows of C values, b added to
// every row.
func biasAddLast(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x, b := in[0], in[1]
	rows, ch := asMatrix(x.Shape)
	t := NewTensor(x.Shape...)
	for r := 0; r < rows; r++ {
		for k := 0; k < ch; k++ {
			t.Data[r*ch+k] = x.Data[r*ch+k] + b.Data[k]
		}
	}
	return t, nil
}

// biasAddLastGrad is db[c] = Σ over the rows of dy (every axis but the last) of
// dy[..., c].
func biasAddLastGrad(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	dy := in[0]
	rows, ch := asMatrix(dy.Shape)
	t := NewTensor(ch)
	for r := 0; r < rows; r++ {
		for k := 0; k < ch; k++ {
			t.Data[k] += dy.Data[r*ch+k]
		}
	}
	return t, nil
}
