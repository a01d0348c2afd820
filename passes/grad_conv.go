package passes

import "github.com/dlgen/dlgen/ir"

// Gradient rules for convolution and transposed convolution.
//
// Conv2D is linear in each operand. Written as y = A_w·x, with A_w the gather
// y[n,o,p,q] = Σ x[n,c,p·sh+i·dh-top,q·sw+j·dw-left]·w[o,c,i,j], the input gradient
// is the adjoint A_wᵀ·dy, which is exactly Conv2DTranspose with the same w, strides,
// pads and dilations (ops.go defines it so). The filter gradient is the same sum
// differentiated with respect to w, Conv2DFilterGrad.

func init() {
	gradRule(ir.OpConv2D, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		x, w := b.G.Nodes[n.Inputs[0]].Shape, b.G.Nodes[n.Inputs[1]].Shape
		a := n.Attrs
		out := []int{-1, -1}
		var err error
		if need[0] {
			// Conv2D's output size floors (H+top+bottom-K)/sh, K the dilated
			// kernel's extent, so several input heights give the same Ho; out_pad
			// restores the rows and columns that the last stride skipped, which
			// always number fewer than the stride.
			y := b.G.Nodes[n.ID].Shape
			dh, dw := ir.Dilation(a)
			outPad := []int{
				x[2] + a.Pads[0] + a.Pads[2] - ir.DilatedKernel(w[2], dh) - (y[2]-1)*a.Strides[0],
				x[3] + a.Pads[1] + a.Pads[3] - ir.DilatedKernel(w[3], dw) - (y[3]-1)*a.Strides[1],
			}
			out[0], err = b.Op(ir.OpConv2DTranspose, ir.Attrs{Strides: copyAttrInts(a.Strides), Pads: copyAttrInts(a.Pads), OutPad: outPad, Dilations: copyDilations(a)}, dy, n.Inputs[1])
			if err != nil {
				return nil, err
			}
		}
		if need[1] {
			out[1], err = b.Op(ir.OpConv2DFilterGrad, ir.Attrs{Kernel: []int{w[2], w[3]}, Strides: copyAttrInts(a.Strides), Pads: copyAttrInts(a.Pads), Dilations: copyDilations(a)}, n.Inputs[0], dy)
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	})

	// y = Conv2DTranspose(x, w) = A_wᵀ·x, where A_w is the Conv2D above with w read as
	// OIHW: O = the transpose's input channels, I = its output channels. Hence
	//   dx = A_w·dy = Conv2D(dy, w), with the same strides, pads and dilations, and
	//   dw: Σ dy·(A_wᵀ x) = Σ (A_w dy)·x, a Conv2D of dy whose output is paired with x,
	//       so dw = Conv2DFilterGrad(dy, x): it plays "x" = dy (C_out channels) and
	//       "dy" = x (C_in channels) and returns (C_in, C_out, KH, KW), w's own layout.
	// Conv2D over dy gives back exactly x's size because out_pad < stride.
	gradRule(ir.OpConv2DTranspose, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		w := b.G.Nodes[n.Inputs[1]].Shape
		a := n.Attrs
		out := []int{-1, -1}
		var err error
		if need[0] {
			out[0], err = b.Op(ir.OpConv2D, ir.Attrs{Strides: copyAttrInts(a.Strides), Pads: copyAttrInts(a.Pads), Dilations: copyDilations(a)}, dy, n.Inputs[1])
			if err != nil {
				return nil, err
			}
		}
		if need[1] {
			out[1], err = b.Op(ir.OpConv2DFilterGrad, ir.Attrs{Kernel: []int{w[2], w[3]}, Strides: copyAttrInts(a.Strides), Pads: copyAttrInts(a.Pads), Dilations: copyDilations(a)}, dy, n.Inputs[0])
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

// copyAttrInts copies an attribute slice so that gradient nodes never share memory with
// their forward node (a later pass may edit one of them in place).
func copyAttrInts(s []int) []int { return append([]int(nil), s...) }

// copyDilations copies a convolution's dilations for its gradient nodes, nil
// (undilated) staying nil so that the gradient graphs of undilated convolutions are
// unchanged.
func copyDilations(a ir.Attrs) []int {
	if a.Dilations == nil {
		return nil
	}
	return copyAttrInts(a.Dilations)
}
