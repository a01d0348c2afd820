package passes

import "github.com/dlgen/dlgen/ir"

// Repeat copies x to every index of a new axis, so each element of x reaches the
// loss through all its copies: its gradient is the sum of dy over that axis.
func init() {
	gradRule(ir.OpRepeat, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpRepeatGrad, ir.Attrs{Axis: n.Attrs.Axis}, dy)
		return []int{d}, err
	})
}
