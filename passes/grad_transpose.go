package passes

import "github.com/dlgen/dlgen/ir"

// Transpose only moves elements, so its gradient moves dy back: the transpose by
// the inverse permutation.
func init() {
	gradRule(ir.OpTranspose, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpTranspose, ir.Attrs{Perm: ir.InversePerm(n.Attrs.Perm)}, dy)
		return []int{d}, err
	})
}
