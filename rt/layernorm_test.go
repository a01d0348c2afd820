package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// refLayerNorm is the row formula in float64, written directly from its definition.
func refLayerNorm(x, gamma, beta []float32, eps float64) (y, xhat []float64, rstd float64) {
	n := float64(len(x))
	var mean float64
	for _, v := range x {
		mean += float64(v)
	}
	mean /= n
	var variance float64
	for _, v := range x {
		variance += (float64(v) - mean) * (float64(v) - mean)
	}
	rstd = 1 / math.Sqrt(variance/n+eps)
	for j, v := range x {
		h := (float64(v) - mean) * rstd
		xhat = append(xhat, h)
		if gamma != nil {
			h *= float64(gamma[j])
		}
		if beta != nil {
			h += float64(beta[j])
		}
		y = append(y, h)
	}
	return y, xhat, rstd
}

func TestLayerNormRowsEqualTheFormula(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 7, 64, 129} {
		for _, affine := range []string{"none", "gamma", "both"} {
			t.Run(fmt.Sprintf("%d values, affine %s", n, affine), func(t *testing.T) {
				x := filled(n, uint64(n))
				for i := range x {
					x[i] += 3 // a mean away from 0
				}
				dy := filled(n, uint64(n)+100)
				var gamma, beta []float32
				if affine != "none" {
					gamma = filled(n, uint64(n)+200)
				}
				if affine == "both" {
					beta = filled(n, uint64(n)+300)
				}
				const eps = 1e-5
				want, xhat, rstd := refLayerNorm(x, gamma, beta, eps)
				y := make([]float32, n)
				LayerNormRow(y, x, gamma, beta, eps)
				for j := range y {
					require.InDelta(t, want[j], float64(y[j]), 1e-7*(1+math.Abs(want[j])), "y[%d]", j)
				}
				// dx from the definition: the vector-Jacobian product of the row.
				g := make([]float64, n)
				var mg, mgx float64
				for j := range g {
					g[j] = float64(dy[j])
					if gamma != nil {
						g[j] *= float64(gamma[j])
					}
					mg += g[j] / float64(n)
					mgx += g[j] * xhat[j] / float64(n)
				}
				dx := make([]float32, n)
				LayerNormGradRow(dx, x, dy, gamma, eps)
				for j := range dx {
					w := rstd * (g[j] - mg - xhat[j]*mgx)
					require.InDelta(t, w, float64(dx[j]), 1e-5*(1+math.Abs(w)), "dx[%d]", j)
				}
				acc := make([]float64, n)
				acc[0] = 1 // it adds to what is there
				LayerNormWeightGradRow(acc, x, dy, eps)
				for j := range acc {
					w := float64(dy[j]) * xhat[j]
					if j == 0 {
						w++
					}
					require.InDelta(t, w, acc[j], 1e-9*(1+math.Abs(w)), "acc[%d]", j)
				}
			})
		}
	}
}

// A row far from zero keeps its variance: the two-pass statistics do not cancel.
func TestLayerNormStatsOfAnOffsetRow(t *testing.T) {
	x := []float32{1e4 + 1, 1e4 - 1, 1e4 + 1, 1e4 - 1, 1e4 + 1}
	mean, rstd := LayerNormStats(x, 0)
	require.InDelta(t, 1e4+0.2, mean, 1e-9)
	require.InDelta(t, 1/math.Sqrt(0.96), rstd, 1e-9)
	_, rstd = LayerNormStats([]float32{7, 7, 7}, 1e-5) // no variance: 1/√eps
	require.InDelta(t, 1/math.Sqrt(1e-5), rstd, 1e-6)
}

func TestLayerNormRowsDoNotAllocate(t *testing.T) {
	x, dy, g, b := filled(33, 1), filled(33, 2), filled(33, 3), filled(33, 4)
	y := make([]float32, 33)
	acc := make([]float64, 33)
	require.Zero(t, testing.AllocsPerRun(10, func() {
		LayerNormRow(y, x, g, b, 1e-5)
		LayerNormGradRow(y, x, dy, g, 1e-5)
		LayerNormWeightGradRow(acc, x, dy, 1e-5)
	}))
}
