package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for pooling and upsampling. Each maps onto one gradient-only op whose
// kernel holds the routing: max pooling needs x to find each window's maximum again;
// the linear ops need only x's shape.

func init() {
	// The gradient goes to the first maximum of each window (PyTorch's choice);
	// the maximum is recomputed from x rather than stored as indices, which keeps the
	// forward op a plain value.
	gradRule(ir.OpMaxPool2D, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		a := n.Attrs
		d, err := b.Op(ir.OpMaxPool2DGrad, ir.Attrs{Kernel: copyAttrInts(a.Kernel), Strides: copyAttrInts(a.Strides), Pads: copyAttrInts(a.Pads)}, n.Inputs[0], dy)
		return []int{d}, err
	})
	gradRule(ir.OpAvgPool2D, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		a := n.Attrs
		d, err := b.Op(ir.OpAvgPool2DGrad, ir.Attrs{
			Shape:   b.G.Nodes[n.Inputs[0]].Shape.Clone(),
			Kernel:  copyAttrInts(a.Kernel),
			Strides: copyAttrInts(a.Strides),
			Pads:    copyAttrInts(a.Pads),
			Exclude: a.Exclude,
		}, dy)
		return []int{d}, err
	})
	gradRule(ir.OpGlobalAvgPool2D, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpGlobalAvgPool2DGrad, ir.Attrs{Shape: b.G.Nodes[n.Inputs[0]].Shape.Clone()}, dy)
		return []int{d}, err
	})
	gradRule(ir.OpUpSample2D, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpUpSample2DGrad, ir.Attrs{Scale: copyAttrInts(n.Attrs.Scale)}, dy)
		return []int{d}, err
	})
	// Bilinear upsampling is linear in x with weights fixed by the shapes: its
	// gradient is its adjoint, from dy alone.
	gradRule(ir.OpUpSampleBilinear2D, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		d, err := b.Op(ir.OpUpSampleBilinear2DGrad, ir.Attrs{Scale: copyAttrInts(n.Attrs.Scale)}, dy)
		return []int{d}, err
	})
}
