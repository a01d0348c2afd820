package interp

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// Bilinear upsampling by integer factors and its gradient, written as PyTorch 1.13's
// CPU kernels compute them (upsample_bilinear2d with align_corners=False): each
// output index maps to a source coordinate with half-pixel centres, and reads the
// two inputs around it.

func init() {
	register(ir.OpUpSampleBilinear2D, upSampleBilinear2D)
	register(ir.OpUpSampleBilinear2DGrad, upSampleBilinear2DGrad)
}

// bilinearTap is where output index o of an axis upsampled by s from n inputs reads:
// inputs i0 and i1 with weights l0 and l1. The source coordinate (o + 0.5)/s - 0.5
// is clamped below at 0, as PyTorch does (at the top and left borders both taps then
// read input 0); at the bottom and right borders i1 is i0. An axis that keeps its
// size (s = 1) reads input o twice, with weights 1 and 0, as PyTorch's special case
// for equal sizes does.
func bilinearTap(o, s, n int) (i0, i1 int, l0, l1 float64) {
	if s == 1 {
		return o, o, 1, 0
	}
	src := (float64(o)+0.5)/float64(s) - 0.5
	if src < 0 {
		src = 0
	}
	i0 = int(src) // src ≥ 0: truncation is floor
	i1 = min(i0+1, n-1)
	l1 = src - float64(i0)
	return i0, i1, 1 - l1, l1
}

// upSampleBilinear2D: y[n,c,h,w] = lh0·(lw0·x[h0,w0] + lw1·x[h0,w1]) +
// lh1·(lw0·x[h1,w0] + lw1·x[h1,w1]) with the taps of h and w.
func upSampleBilinear2D(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	x := in[0]
	N, C, H, W, err := rank4("input", x)
	if err != nil {
		return nil, err
	}
	sh, sw, err := scaleAttr(n.Attrs)
	if err != nil {
		return nil, err
	}
	Ho, Wo := H*sh, W*sw
	y := NewTensor(N, C, Ho, Wo)
	for pl := 0; pl < N*C; pl++ {
		xp, yp := x.Data[pl*H*W:][:H*W], y.Data[pl*Ho*Wo:][:Ho*Wo]
		for h := 0; h < Ho; h++ {
			h0, h1, lh0, lh1 := bilinearTap(h, sh, H)
			for w := 0; w < Wo; w++ {
				w0, w1, lw0, lw1 := bilinearTap(w, sw, W)
				yp[h*Wo+w] = lh0*(lw0*xp[h0*W+w0]+lw1*xp[h0*W+w1]) + lh1*(lw0*xp[h1*W+w0]+lw1*xp[h1*W+w1])
			}
		}
	}
	return y, nil
}

// upSampleBilinear2DGrad: each dy[n,c,h,w] goes to the four inputs its output read,
// times the products of their weights, in PyTorch's order: outputs in row-major
// order, and for each the taps (h0,w0), (h0,w1), (h1,w0), (h1,w1).
func upSampleBilinear2DGrad(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	dy := in[0]
	N, C, Ho, Wo, err := rank4("dy", dy)
	if err != nil {
		return nil, err
	}
	sh, sw, err := scaleAttr(n.Attrs)
	if err != nil {
		return nil, err
	}
	if Ho%sh != 0 || Wo%sw != 0 {
		return nil, fmt.Errorf("dy %v is not a multiple of scale %v", dy.Shape, n.Attrs.Scale)
	}
	H, W := Ho/sh, Wo/sw
	dx := NewTensor(N, C, H, W)
	for pl := 0; pl < N*C; pl++ {
		gp, dp := dy.Data[pl*Ho*Wo:][:Ho*Wo], dx.Data[pl*H*W:][:H*W]
		for h := 0; h < Ho; h++ {
			h0, h1, lh0, lh1 := bilinearTap(h, sh, H)
			for w := 0; w < Wo; w++ {
				w0, w1, lw0, lw1 := bilinearTap(w, sw, W)
				g := gp[h*Wo+w]
				dp[h0*W+w0] += lh0 * lw0 * g
				dp[h0*W+w1] += lh0 * lw1 * g
				dp[h1*W+w0] += lh1 * lw0 * g
				dp[h1*W+w1] += lh1 * lw1 * g
			}
		}
	}
	return dx, nil
}
