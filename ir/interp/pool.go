package interp

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// Kernels for pooling and nearest-neighbour upsampling (NCHW), and their gradients.

func init() {
	register(ir.OpMaxPool2D, maxPool2D)
	register(ir.OpMaxPool2DGrad, maxPool2DGrad)
	register(ir.OpAvgPool2D, avgPool2D)
	register(ir.OpAvgPool2DGrad, avgPool2DGrad)
	register(ir.OpGlobalAvgPool2D, globalAvgPool2D)
	register(ir.OpGlobalAvgPool2DGrad, globalAvgPool2DGrad)
	register(ir.OpUpSample2D, upSample2D)
	register(ir.OpUpSample2DGrad, upSample2DGrad)
}

// poolGeom reads the window of a pooling op over an H×W input and returns it with the
// output size.
func poolGeom(a ir.Attrs, H, W int) (geom, int, int, error) {
	kh, kw, err := kernelAttr(a)
	if err != nil {
		return geom{}, 0, 0, err
	}
	g, err := newGeom(a, kh, kw)
	if err != nil {
		return geom{}, 0, 0, err
	}
	Ho, Wo, err := g.out(H, W)
	return g, Ho, Wo, err
}

// argmax returns the offset in plane (an H×W slice) of the first maximum, in
// row-major window order, of the window of output (p, q). Padding is skipped, which
// is the same as padding with -∞: it never wins. The first maximum is what PyTorch
// picks (it replaces the running max only on a strictly greater value), so ties send
// the whole gradient to one element.
func (g geom) argmax(plane []float64, H, W, p, q int) (int, error) {
	best := -1
	for i := 0; i < g.kh; i++ {
		h := p*g.sh + i - g.top
		if h < 0 || h >= H {
			continue
		}
		for j := 0; j < g.kw; j++ {
			v := q*g.sw + j - g.left
			if v < 0 || v >= W {
				continue
			}
			if k := h*W + v; best < 0 || plane[k] > plane[best] {
				best = k
			}
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("window (%d, %d) covers only padding", p, q)
	}
	return best, nil
}

func maxPool2D(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x := in[0]
	N, C, H, W, err := rank4("input", x)
	if err != nil {
		return nil, err
	}
	g, Ho, Wo, err := poolGeom(n.Attrs, H, W)
	if err != nil {
		return nil, err
	}
	y := NewTensor(N, C, Ho, Wo)
	for b := 0; b < N; b++ {
		for ch := 0; ch < C; ch++ {
			plane := x.Data[at4(x.Shape, b, ch, 0, 0):][:H*W]
			for p := 0; p < Ho; p++ {
				for q := 0; q < Wo; q++ {
					k, err := g.argmax(plane, H, W, p, q)
					if err != nil {
						return nil, err
					}
					y.Data[at4(y.Shape, b, ch, p, q)] = plane[k]
				}
			}
		}
	}
	return y, nil
}

// maxPool2DGrad: inputs (x, dy); each dy goes to its window's first maximum in x, and
// gradients of overlapping windows that share a maximum add up.
func maxPool2DGrad(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x, dy := in[0], in[1]
	N, C, H, W, err := rank4("x", x)
	if err != nil {
		return nil, err
	}
	g, Ho, Wo, err := poolGeom(n.Attrs, H, W)
	if err != nil {
		return nil, err
	}
	if !equalInts(dy.Shape, []int{N, C, Ho, Wo}) {
		return nil, fmt.Errorf("dy %v does not match the pooled shape %v", dy.Shape, []int{N, C, Ho, Wo})
	}
	dx := NewTensor(x.Shape...)
	for b := 0; b < N; b++ {
		for ch := 0; ch < C; ch++ {
			base := at4(x.Shape, b, ch, 0, 0)
			plane := x.Data[base:][:H*W]
			for p := 0; p < Ho; p++ {
				for q := 0; q < Wo; q++ {
					k, err := g.argmax(plane, H, W, p, q)
					if err != nil {
						return nil, err
					}
					dx.Data[base+k] += dy.Data[at4(dy.Shape, b, ch, p, q)]
				}
			}
		}
	}
	return dx, nil
}

// divisor is the count an average-pooling window divides by: the whole window
// (PyTorch count_include_pad=True; our windows never reach past the padding), or with
// exclude only the elements that lie inside the input (Keras/TensorFlow 'same').
func (g geom) divisor(exclude bool, H, W, p, q int) float64 {
	if !exclude {
		return float64(g.kh * g.kw)
	}
	h0, h1 := max(p*g.sh-g.top, 0), min(p*g.sh-g.top+g.kh, H)
	v0, v1 := max(q*g.sw-g.left, 0), min(q*g.sw-g.left+g.kw, W)
	return float64((h1 - h0) * (v1 - v0))
}

// window calls f with the in-input offsets (within an H×W plane) of window (p, q).
func (g geom) window(H, W, p, q int, f func(k int)) {
	for i := 0; i < g.kh; i++ {
		h := p*g.sh + i - g.top
		if h < 0 || h >= H {
			continue
		}
		for j := 0; j < g.kw; j++ {
			v := q*g.sw + j - g.left
			if v < 0 || v >= W {
				continue
			}
			f(h*W + v)
		}
	}
}

func avgPool2D(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x := in[0]
	N, C, H, W, err := rank4("input", x)
	if err != nil {
		return nil, err
	}
	g, Ho, Wo, err := poolGeom(n.Attrs, H, W)
	if err != nil {
		return nil, err
	}
	y := NewTensor(N, C, Ho, Wo)
	for b := 0; b < N; b++ {
		for ch := 0; ch < C; ch++ {
			plane := x.Data[at4(x.Shape, b, ch, 0, 0):][:H*W]
			for p := 0; p < Ho; p++ {
				for q := 0; q < Wo; q++ {
					d := g.divisor(n.Attrs.Exclude, H, W, p, q)
					if d == 0 {
						return nil, fmt.Errorf("window (%d, %d) covers only padding", p, q)
					}
					s := 0.0
					g.window(H, W, p, q, func(k int) { s += plane[k] })
					y.Data[at4(y.Shape, b, ch, p, q)] = s / d
				}
			}
		}
	}
	return y, nil
}

// avgPool2DGrad: input dy; each dy[n,c,p,q]/divisor is added to every input element
// of window (p, q). shape is x's full shape (its batch taken from dy).
func avgPool2DGrad(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	dy := in[0]
	s := n.Attrs.Shape
	if len(s) != 4 {
		return nil, fmt.Errorf("shape %v must be (N,C,H,W)", s)
	}
	N, C, Ho, Wo, err := rank4("dy", dy)
	if err != nil {
		return nil, err
	}
	xs := s.Concrete(N)
	H, W := xs[2], xs[3]
	g, ho, wo, err := poolGeom(n.Attrs, H, W)
	if err != nil {
		return nil, err
	}
	if xs[0] != N || xs[1] != C || ho != Ho || wo != Wo {
		return nil, fmt.Errorf("dy %v does not match the pooled shape of %v", dy.Shape, xs)
	}
	dx := NewTensor(xs...)
	for b := 0; b < N; b++ {
		for ch := 0; ch < C; ch++ {
			plane := dx.Data[at4(dx.Shape, b, ch, 0, 0):][:H*W]
			for p := 0; p < Ho; p++ {
				for q := 0; q < Wo; q++ {
					d := g.divisor(n.Attrs.Exclude, H, W, p, q)
					if d == 0 {
						return nil, fmt.Errorf("window (%d, %d) covers only padding", p, q)
					}
					v := dy.Data[at4(dy.Shape, b, ch, p, q)] / d
					g.window(H, W, p, q, func(k int) { plane[k] += v })
				}
			}
		}
	}
	return dx, nil
}

// globalAvgPool2D: y[n,c] = mean over h,w of x[n,c,h,w].
func globalAvgPool2D(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x := in[0]
	N, C, H, W, err := rank4("input", x)
	if err != nil {
		return nil, err
	}
	y := NewTensor(N, C)
	for i := range y.Data { // y[n,c] is plane i = n·C+c of x
		s := 0.0
		for _, v := range x.Data[i*H*W : (i+1)*H*W] {
			s += v
		}
		y.Data[i] = s / float64(H*W)
	}
	return y, nil
}

// globalAvgPool2DGrad: input dy (N,C); dx[n,c,h,w] = dy[n,c]/(H·W).
func globalAvgPool2DGrad(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	dy, s := in[0], n.Attrs.Shape
	if len(dy.Shape) != 2 || len(s) != 4 {
		return nil, fmt.Errorf("cannot spread dy %v over %v", dy.Shape, s)
	}
	xs := s.Concrete(dy.Shape[0])
	if xs[0] != dy.Shape[0] || xs[1] != dy.Shape[1] {
		return nil, fmt.Errorf("cannot spread dy %v over %v", dy.Shape, xs)
	}
	dx := NewTensor(xs...)
	hw := xs[2] * xs[3]
	for i, v := range dy.Data {
		for k := range hw {
			dx.Data[i*hw+k] = v / float64(hw)
		}
	}
	return dx, nil
}

func scaleAttr(a ir.Attrs) (int, int, error) {
	if len(a.Scale) != 2 || a.Scale[0] < 1 || a.Scale[1] < 1 {
		return 0, 0, fmt.Errorf("scale %v must be two positive factors", a.Scale)
	}
	return a.Scale[0], a.Scale[1], nil
}

// upSample2D: y[n,c,h,w] = x[n,c,h/sh,w/sw] with integer division (nearest neighbour).
func upSample2D(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x := in[0]
	N, C, H, W, err := rank4("input", x)
	if err != nil {
		return nil, err
	}
	sh, sw, err := scaleAttr(n.Attrs)
	if err != nil {
		return nil, err
	}
	y := NewTensor(N, C, H*sh, W*sw)
	for b := 0; b < N; b++ {
		for ch := 0; ch < C; ch++ {
			for h := 0; h < H*sh; h++ {
				for v := 0; v < W*sw; v++ {
					y.Data[at4(y.Shape, b, ch, h, v)] = x.Data[at4(x.Shape, b, ch, h/sh, v/sw)]
				}
			}
		}
	}
	return y, nil
}

// upSample2DGrad: dx[n,c,h,w] = Σ of dy over the sh×sw block x[n,c,h,w] was copied to.
func upSample2DGrad(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	dy := in[0]
	N, C, H, W, err := rank4("dy", dy)
	if err != nil {
		return nil, err
	}
	sh, sw, err := scaleAttr(n.Attrs)
	if err != nil {
		return nil, err
	}
	if H%sh != 0 || W%sw != 0 {
		return nil, fmt.Errorf("dy %v is not a multiple of scale %v", dy.Shape, n.Attrs.Scale)
	}
	dx := NewTensor(N, C, H/sh, W/sw)
	for b := 0; b < N; b++ {
		for ch := 0; ch < C; ch++ {
			for h := 0; h < H; h++ {
				for v := 0; v < W; v++ {
					dx.Data[at4(dx.Shape, b, ch, h/sh, v/sw)] += dy.Data[at4(dy.Shape, b, ch, h, v)]
				}
			}
		}
	}
	return dx, nil
}
