package interp

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// Zero padding and cropping of the rows and columns of images (Pad2D).

func init() {
	register(ir.OpPad2D, pad2D)
}

// pad2D: y[n,c,h,w] = x[n,c,h-top,w-left] where that is inside x, else 0 (negative
// pads crop). It reads x at every output position, so it is written from the
// definition rather than as copies of rows.
func pad2D(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x := in[0]
	N, C, H, W, err := rank4("input", x)
	if err != nil {
		return nil, err
	}
	p := n.Attrs.Pads
	if len(p) != 4 {
		return nil, fmt.Errorf("pads %v must be {top, left, bottom, right}", p)
	}
	Ho, Wo := H+p[0]+p[2], W+p[1]+p[3]
	if Ho < 1 || Wo < 1 {
		return nil, fmt.Errorf("pads %v leave a %dx%d output of %dx%d", p, Ho, Wo, H, W)
	}
	y := NewTensor(N, C, Ho, Wo)
	for pl := 0; pl < N*C; pl++ {
		xp, yp := x.Data[pl*H*W:][:H*W], y.Data[pl*Ho*Wo:][:Ho*Wo]
		for h := 0; h < Ho; h++ {
			i := h - p[0]
			if i < 0 || i >= H {
				continue
			}
			for w := 0; w < Wo; w++ {
				if j := w - p[1]; j >= 0 && j < W {
					yp[h*Wo+w] = xp[i*W+j]
				}
			}
		}
	}
	return y, nil
}
