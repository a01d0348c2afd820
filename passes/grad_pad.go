package passes

import "github.com/dlgen/dlgen/ir"

// The gradient of zero padding and cropping. Pad2D moves each element of x to a
// fixed place of y or drops it, so dx[h,w] = dy[h+top, w+left]: Pad2D of dy with the
// pads negated, which crops the rows and columns the forward added and puts zeros
// back where it cropped.
func init() {
	gradRule(ir.OpPad2D, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		p := n.Attrs.Pads
		d, err := b.Op(ir.OpPad2D, ir.Attrs{Pads: []int{-p[0], -p[1], -p[2], -p[3]}}, dy)
		return []int{d}, err
	})
}
