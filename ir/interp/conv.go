package interp

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// Kernels for 2-D convolution (NCHW activations, OIHW weights), its transpose and its
// filter gradient. Each is the defining sum written out as nested loops, so that it can
// be checked against the op's Doc by eye; speed is the generated code's business.

func init() {
	register(ir.OpConv2D, conv2D)
	register(ir.OpConv2DTranspose, conv2DTranspose)
	register(ir.OpConv2DFilterGrad, conv2DFilterGrad)
}

// geom is the geometry of a sliding window: kernel, strides, zero pads and the
// kernel's dilation (1 for pooling).
type geom struct {
	kh, kw                   int
	sh, sw                   int
	top, left, bottom, right int
	dh, dw                   int
}

// newGeom reads strides and pads from a and takes the kernel size from the caller
// (the weights for a convolution, the kernel attribute for pooling).
func newGeom(a ir.Attrs, kh, kw int) (geom, error) {
	if len(a.Strides) != 2 || a.Strides[0] < 1 || a.Strides[1] < 1 {
		return geom{}, fmt.Errorf("strides %v must be two positive values", a.Strides)
	}
	if len(a.Pads) != 4 || a.Pads[0] < 0 || a.Pads[1] < 0 || a.Pads[2] < 0 || a.Pads[3] < 0 {
		return geom{}, fmt.Errorf("pads %v must be four non-negative values {top, left, bottom, right}", a.Pads)
	}
	if kh < 1 || kw < 1 {
		return geom{}, fmt.Errorf("kernel %dx%d must be positive", kh, kw)
	}
	return geom{kh, kw, a.Strides[0], a.Strides[1], a.Pads[0], a.Pads[1], a.Pads[2], a.Pads[3], 1, 1}, nil
}

// newConvGeom is newGeom for a convolution, with its dilations (default {1, 1}).
func newConvGeom(a ir.Attrs, kh, kw int) (geom, error) {
	g, err := newGeom(a, kh, kw)
	if err != nil {
		return geom{}, err
	}
	if a.Dilations != nil {
		if len(a.Dilations) != 2 || a.Dilations[0] < 1 || a.Dilations[1] < 1 {
			return geom{}, fmt.Errorf("dilations %v must be two positive values {dh, dw}", a.Dilations)
		}
		g.dh, g.dw = a.Dilations[0], a.Dilations[1]
	}
	return g, nil
}

// kernelAttr returns the {kh, kw} kernel attribute of pooling and filter-gradient ops.
func kernelAttr(a ir.Attrs) (int, int, error) {
	if len(a.Kernel) != 2 {
		return 0, 0, fmt.Errorf("kernel %v must be {kh, kw}", a.Kernel)
	}
	return a.Kernel[0], a.Kernel[1], nil
}

// out returns the output size of the window sliding over h×w:
// floor((h+top+bottom-ekh)/sh)+1, and likewise for w, where ekh = (kh-1)·dh+1 is
// the extent of the dilated kernel.
func (g geom) out(h, w int) (int, int, error) {
	ph, pw := h+g.top+g.bottom, w+g.left+g.right
	ekh, ekw := (g.kh-1)*g.dh+1, (g.kw-1)*g.dw+1
	if ekh > ph || ekw > pw {
		if g.dh != 1 || g.dw != 1 {
			return 0, 0, fmt.Errorf("kernel %dx%d dilated by %dx%d spans %dx%d, larger than the padded input %dx%d", g.kh, g.kw, g.dh, g.dw, ekh, ekw, ph, pw)
		}
		return 0, 0, fmt.Errorf("kernel %dx%d is larger than the padded input %dx%d", g.kh, g.kw, ph, pw)
	}
	return (ph-ekh)/g.sh + 1, (pw-ekw)/g.sw + 1, nil
}

// rank4 checks that t is (N,C,H,W) and returns its dimensions.
func rank4(what string, t *Tensor) (int, int, int, int, error) {
	if len(t.Shape) != 4 {
		return 0, 0, 0, 0, fmt.Errorf("%s has shape %v, want 4 dimensions", what, t.Shape)
	}
	return t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3], nil
}

// at4 is the row-major offset of [a,b,c,d] in a tensor of shape s.
func at4(s []int, a, b, c, d int) int { return ((a*s[1]+b)*s[2]+c)*s[3] + d }

// conv2D: y[n,o,p,q] = Σ_c,i,j x[n,c,p·sh+i·dh-top,q·sw+j·dw-left]·w[o,c,i,j], where
// reads outside x are the zero padding.
func conv2D(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x, w := in[0], in[1]
	N, C, H, W, err := rank4("input", x)
	if err != nil {
		return nil, err
	}
	O, wc, KH, KW, err := rank4("weights", w)
	if err != nil {
		return nil, err
	}
	if wc != C {
		return nil, fmt.Errorf("input %v has %d channels, weights %v expect %d", x.Shape, C, w.Shape, wc)
	}
	g, err := newConvGeom(n.Attrs, KH, KW)
	if err != nil {
		return nil, err
	}
	Ho, Wo, err := g.out(H, W)
	if err != nil {
		return nil, err
	}
	y := NewTensor(N, O, Ho, Wo)
	for b := 0; b < N; b++ {
		for o := 0; o < O; o++ {
			for p := 0; p < Ho; p++ {
				for q := 0; q < Wo; q++ {
					s := 0.0
					for ch := 0; ch < C; ch++ {
						for i := 0; i < KH; i++ {
							h := p*g.sh + i*g.dh - g.top
							if h < 0 || h >= H {
								continue
							}
							for j := 0; j < KW; j++ {
								v := q*g.sw + j*g.dw - g.left
								if v < 0 || v >= W {
									continue
								}
								s += x.Data[at4(x.Shape, b, ch, h, v)] * w.Data[at4(w.Shape, o, ch, i, j)]
							}
						}
					}
					y.Data[at4(y.Shape, b, o, p, q)] = s
				}
			}
		}
	}
	return y, nil
}

// conv2DTranspose scatters instead of gathering: every x[n,c,h,v] adds
// x·w[c,o,i,j] to y[n,o,h·sh+i·dh-top,v·sw+j·dw-left] when that lies inside y. This is the
// exact adjoint of conv2D's gather, which is why the same strides and pads are used;
// out_pad only adds rows/columns at the bottom/right (PyTorch output_padding), which
// resolves the ambiguity of floor in Conv2D's output size.
func conv2DTranspose(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x, w := in[0], in[1]
	N, C, H, W, err := rank4("input", x)
	if err != nil {
		return nil, err
	}
	wc, O, KH, KW, err := rank4("weights", w)
	if err != nil {
		return nil, err
	}
	if wc != C {
		return nil, fmt.Errorf("input %v has %d channels, weights %v expect %d", x.Shape, C, w.Shape, wc)
	}
	g, err := newConvGeom(n.Attrs, KH, KW)
	if err != nil {
		return nil, err
	}
	op := n.Attrs.OutPad
	if op == nil {
		op = []int{0, 0}
	}
	if len(op) != 2 || op[0] < 0 || op[1] < 0 || op[0] >= g.sh || op[1] >= g.sw {
		return nil, fmt.Errorf("out_pad %v must be two values below the strides %v", op, n.Attrs.Strides)
	}
	Ho := (H-1)*g.sh - g.top - g.bottom + (KH-1)*g.dh + 1 + op[0]
	Wo := (W-1)*g.sw - g.left - g.right + (KW-1)*g.dw + 1 + op[1]
	if Ho <= 0 || Wo <= 0 {
		return nil, fmt.Errorf("output would be %dx%d", Ho, Wo)
	}
	y := NewTensor(N, O, Ho, Wo)
	for b := 0; b < N; b++ {
		for ch := 0; ch < C; ch++ {
			for h := 0; h < H; h++ {
				for v := 0; v < W; v++ {
					xv := x.Data[at4(x.Shape, b, ch, h, v)]
					for o := 0; o < O; o++ {
						for i := 0; i < KH; i++ {
							p := h*g.sh + i*g.dh - g.top
							if p < 0 || p >= Ho {
								continue
							}
							for j := 0; j < KW; j++ {
								q := v*g.sw + j*g.dw - g.left
								if q < 0 || q >= Wo {
									continue
								}
								y.Data[at4(y.Shape, b, o, p, q)] += xv * w.Data[at4(w.Shape, ch, o, i, j)]
							}
						}
					}
				}
			}
		}
	}
	return y, nil
}

// conv2DFilterGrad: dw[o,c,i,j] = Σ_n,p,q dy[n,o,p,q]·x[n,c,p·sh+i·dh-top,q·sw+j·dw-left],
// the derivative of conv2D's sum with respect to w[o,c,i,j].
func conv2DFilterGrad(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x, dy := in[0], in[1]
	N, C, H, W, err := rank4("x", x)
	if err != nil {
		return nil, err
	}
	dn, O, dh, dw, err := rank4("dy", dy)
	if err != nil {
		return nil, err
	}
	KH, KW, err := kernelAttr(n.Attrs)
	if err != nil {
		return nil, err
	}
	g, err := newConvGeom(n.Attrs, KH, KW)
	if err != nil {
		return nil, err
	}
	Ho, Wo, err := g.out(H, W)
	if err != nil {
		return nil, err
	}
	if dn != N || dh != Ho || dw != Wo {
		return nil, fmt.Errorf("dy %v does not match a %dx%d convolution of x %v, which gives %dx%d", dy.Shape, KH, KW, x.Shape, Ho, Wo)
	}
	g2 := NewTensor(O, C, KH, KW)
	for o := 0; o < O; o++ {
		for ch := 0; ch < C; ch++ {
			for i := 0; i < KH; i++ {
				for j := 0; j < KW; j++ {
					s := 0.0
					for b := 0; b < N; b++ {
						for p := 0; p < Ho; p++ {
							h := p*g.sh + i*g.dh - g.top
							if h < 0 || h >= H {
								continue
							}
							for q := 0; q < Wo; q++ {
								v := q*g.sw + j*g.dw - g.left
								if v < 0 || v >= W {
									continue
								}
								s += dy.Data[at4(dy.Shape, b, o, p, q)] * x.Data[at4(x.Shape, b, ch, h, v)]
							}
						}
					}
					g2.Data[at4(g2.Shape, o, ch, i, j)] = s
				}
			}
		}
	}
	return g2, nil
}
