package rt

import "math"

// Row kernels of layer normalisation (ir.OpLayerNorm and its gradients), one row of
// the normalised axes per call. Statistics and reductions accumulate in float64 with
// four interleaved partial sums (as Sum64: four independent chains keep the adder
// busy where one running sum would wait on each addition), so a row's mean and
// variance keep float32 precision however long the row. Nothing here allocates.

// LayerNormStats returns the mean of x and 1/√(σ² + eps), σ² the biased variance
// Σ (x - mean)²/len(x), computed from the deviations in a second pass (the one-pass
// Σ x² - n·mean² cancels when |mean| is large next to σ).
func LayerNormStats(x []float32, eps float64) (mean, rstd float64) {
	n := len(x)
	mean = Sum64(x) / float64(n)
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= n; i += 4 {
		v := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(v[0])-mean, float64(v[1])-mean, float64(v[2])-mean, float64(v[3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < n; i++ {
		d := float64(x[i]) - mean
		s0 += d * d
	}
	variance := ((s0 + s1) + (s2 + s3)) / float64(n)
	return mean, 1 / math.Sqrt(variance+eps)
}

// LayerNormRow writes y = (x - mean)·rstd·gamma + beta for one row; gamma and beta
// may be nil (1 and 0). Each element is computed in float64 and rounded once: the
// loop is scalar either way, and float32's rounding of the mean would otherwise cost
// |mean|/σ ulps in a row whose mean is large next to its spread. y may not overlap
// x except as the same slice.
func LayerNormRow(y, x, gamma, beta []float32, eps float64) {
	mean, rstd := LayerNormStats(x, eps)
	y = y[:len(x)]
	switch {
	case gamma == nil:
		for j, v := range x {
			y[j] = float32((float64(v) - mean) * rstd)
		}
	case beta == nil:
		gamma = gamma[:len(x)]
		for j, v := range x {
			y[j] = float32((float64(v) - mean) * rstd * float64(gamma[j]))
		}
	default:
		gamma, beta = gamma[:len(x)], beta[:len(x)]
		for j, v := range x {
			y[j] = float32((float64(v)-mean)*rstd*float64(gamma[j]) + float64(beta[j]))
		}
	}
}

// LayerNormGradRow writes one row of LayerNorm's input gradient,
// dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) with x̂ = (x - mean)·rstd and g = dy·gamma
// (dy when gamma is nil), the row statistics recomputed from x. g is formed twice
// rather than stored, so the kernel needs no buffer.
func LayerNormGradRow(dx, x, dy, gamma []float32, eps float64) {
	n := len(x)
	mean, rstd := LayerNormStats(x, eps)
	dx, dy = dx[:n], dy[:n]
	if gamma != nil {
		gamma = gamma[:n]
	}
	var sg0, sg1, sgx0, sgx1 float64
	j := 0
	for ; j+2 <= n; j += 2 {
		g0, g1 := float64(dy[j]), float64(dy[j+1])
		if gamma != nil {
			g0, g1 = g0*float64(gamma[j]), g1*float64(gamma[j+1])
		}
		sg0 += g0
		sg1 += g1
		sgx0 += g0 * (float64(x[j]) - mean)
		sgx1 += g1 * (float64(x[j+1]) - mean)
	}
	for ; j < n; j++ {
		g := float64(dy[j])
		if gamma != nil {
			g *= float64(gamma[j])
		}
		sg0 += g
		sgx0 += g * (float64(x[j]) - mean)
	}
	// mean(g·x̂) = rstd·Σ g·(x - mean)/n; the x̂ of each element is (x - mean)·rstd,
	// so its term is (x - mean)·rstd²·Σ g·(x - mean)/n.
	mg := (sg0 + sg1) / float64(n)
	c := rstd * rstd * (sgx0 + sgx1) / float64(n)
	for j, v := range x {
		g := float64(dy[j])
		if gamma != nil {
			g *= float64(gamma[j])
		}
		dx[j] = float32(rstd * (g - mg - (float64(v)-mean)*c))
	}
}

// LayerNormWeightGradRow adds one row's dy·x̂ into acc, the float64 accumulators of
// LayerNorm's weight gradient (summed over the rows in order by the caller).
func LayerNormWeightGradRow(acc []float64, x, dy []float32, eps float64) {
	mean, rstd := LayerNormStats(x, eps)
	acc, dy = acc[:len(x)], dy[:len(x)]
	for j, v := range x {
		acc[j] += float64(dy[j]) * ((float64(v) - mean) * rstd)
	}
}
