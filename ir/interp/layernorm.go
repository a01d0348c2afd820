package interp

import (
	"math"

	"github.com/dlgen/dlgen/ir"
)

// Layer normalisation and its gradient-only ops, row by row in float64: a row is an
// index over the axes before the op's axis, its F elements those from the axis on.

// layerNormStats returns a row's mean and 1/√(σ² + eps), σ² the biased variance
// computed from the deviations (two passes: Σ x² - F·μ² would cancel badly when
// |μ| is large next to σ).
func layerNormStats(x []float64, eps float64) (mean, rstd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	variance := 0.0
	for _, v := range x {
		d := v - mean
		variance += d * d
	}
	variance /= float64(len(x))
	return mean, 1 / math.Sqrt(variance+eps)
}

// layerNormRows splits shape at axis into the number of rows and the row length.
func layerNormRows(shape []int, axis int) (rows, f int) {
	return prod(shape[:axis]), prod(shape[axis:])
}

func init() {
	register(ir.OpLayerNorm, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		x := in[0]
		rows, f := layerNormRows(x.Shape, n.Attrs.Axis)
		for r := 0; r < rows; r++ {
			xr, yr := x.Data[r*f:(r+1)*f], t.Data[r*f:(r+1)*f]
			mean, rstd := layerNormStats(xr, n.Attrs.Eps)
			for j, v := range xr {
				y := (v - mean) * rstd
				if len(in) > 1 {
					y *= in[1].Data[j]
				}
				if len(in) > 2 {
					y += in[2].Data[j]
				}
				yr[j] = y
			}
		}
		return t, nil
	})
	// dx = r·(g - mean(g) - x̂·mean(g·x̂)) with g = dy·γ: the derivative of
	// x̂_j = (x_j - μ)·r through μ (∂μ/∂x_i = 1/F) and r (∂r/∂x_i = -r³·(x_i - μ)/F).
	register(ir.OpLayerNormGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		x, dy := in[0], in[1]
		rows, f := layerNormRows(x.Shape, n.Attrs.Axis)
		g := make([]float64, f)
		for r := 0; r < rows; r++ {
			xr, dr, dx := x.Data[r*f:(r+1)*f], dy.Data[r*f:(r+1)*f], t.Data[r*f:(r+1)*f]
			mean, rstd := layerNormStats(xr, n.Attrs.Eps)
			sg, sgx := 0.0, 0.0
			for j, d := range dr {
				if len(in) > 2 {
					d *= in[2].Data[j]
				}
				g[j] = d
				sg += d
				sgx += d * (xr[j] - mean) * rstd
			}
			mg, mgx := sg/float64(f), sgx/float64(f)
			for j, v := range xr {
				dx[j] = rstd * (g[j] - mg - (v-mean)*rstd*mgx)
			}
		}
		return t, nil
	})
	// dγ_j = Σ_r dy[r, j]·x̂[r, j].
	register(ir.OpLayerNormWeightGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		x, dy := in[0], in[1]
		rows, f := layerNormRows(x.Shape, n.Attrs.Axis)
		for r := 0; r < rows; r++ {
			xr, dr := x.Data[r*f:(r+1)*f], dy.Data[r*f:(r+1)*f]
			mean, rstd := layerNormStats(xr, n.Attrs.Eps)
			for j, v := range xr {
				t.Data[j] += dr[j] * ((v - mean) * rstd)
			}
		}
		return t, nil
	})
	// dβ_j = Σ_r dy[r, j], rows in order.
	register(ir.OpLayerNormBiasGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		dy := in[0]
		rows, f := layerNormRows(dy.Shape, n.Attrs.Axis)
		for r := 0; r < rows; r++ {
			for j, v := range dy.Data[r*f : (r+1)*f] {
				t.Data[j] += v
			}
		}
		return t, nil
	})
}
