package interp

import "github.com/dlgen/dlgen/ir"

// Transpose (Keras' Permute): y's elements in order, each read from x through x's
// strides taken in the permuted order.
func init() {
	register(ir.OpTranspose, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		x, p := in[0], n.Attrs.Perm
		rank := len(p)
		// xStride[a] is the distance in x between neighbours along x's axis a, and
		// step[i] the same for y's axis i, which is x's axis p[i].
		xStride := make([]int, rank)
		for a, s := rank-1, 1; a >= 0; a-- {
			xStride[a] = s
			s *= x.Shape[a]
		}
		step := make([]int, rank)
		for i, a := range p {
			step[i] = xStride[a]
		}
		idx := make([]int, rank) // y's multi-index, advanced like an odometer
		at := 0                  // x's offset of idx
		for k := range t.Data {
			t.Data[k] = x.Data[at]
			for i := rank - 1; i >= 0; i-- {
				idx[i]++
				at += step[i]
				if idx[i] < t.Shape[i] {
					break
				}
				at -= idx[i] * step[i]
				idx[i] = 0
			}
		}
		return t, nil
	})
}
