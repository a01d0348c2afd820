package interp

import (
	"fmt"
	"math"

	"github.com/dlgen/dlgen/ir"
)

// The embedding lookup and its weight gradient. The ids arrive as float64 (the
// interpreter holds every tensor so) and must be integers in [0, V).

func init() {
	register(ir.OpEmbedding, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		ids, w := in[0], in[1]
		dim := w.Shape[1]
		rows, err := embeddingRows(ids, w.Shape[0])
		if err != nil {
			return nil, err
		}
		y := out(c, n)
		for i, r := range rows {
			copy(y.Data[i*dim:(i+1)*dim], w.Data[r*dim:(r+1)*dim])
		}
		return y, nil
	})
	register(ir.OpEmbeddingGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		ids, dy := in[0], in[1]
		vocab, dim := n.Attrs.Shape[0], n.Attrs.Shape[1]
		rows, err := embeddingRows(ids, vocab)
		if err != nil {
			return nil, err
		}
		pad, hasPad := ir.EmbeddingPad(n.Attrs)
		dw := NewTensor(vocab, dim)
		// Positions in row-major order, batch first, as the op documents.
		for i, r := range rows {
			if hasPad && r == pad {
				continue
			}
			for j := range dim {
				dw.Data[r*dim+j] += dy.Data[i*dim+j]
			}
		}
		return dw, nil
	})
}

// embeddingRows reads ids as row numbers of a vocab-row weight, or returns an
// inputError naming the first that is not one: its flat index and, when each item
// has several ids, its item and position.
func embeddingRows(ids *Tensor, vocab int) ([]int, error) {
	per := prod(ids.Shape[1:])
	rows := make([]int, len(ids.Data))
	for i, v := range ids.Data {
		if v != math.Trunc(v) || v < 0 || v >= float64(vocab) {
			msg := fmt.Sprintf("[%d] = %g is not an embedding index in [0, %d)", i, v, vocab)
			if per > 1 {
				msg += fmt.Sprintf(" (item %d, position %d of %d)", i/per, i%per, per)
			}
			return nil, &inputError{input: 0, msg: msg}
		}
		rows[i] = int(v)
	}
	return rows, nil
}
