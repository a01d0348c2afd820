package rt

//go:noescape
func sumSquaresAVX512(x *float32, n int) float64

//go:noescape
func allFiniteAVX512(x *float32, n int) bool

//go:noescape
func reluGradAVX512(y, x, dy *float32, n int)

//go:noescape
func colSums64AVX512(acc *float64, x *float32, rows, cols, ldx int)

//go:noescape
func sgdAVX512(p, grad *float32, n int, lr, wd float32)

//go:noescape
func sgdMomentumAVX512(p, grad, b *float32, n int, lr, wd, mu, damp float32, first, nesterov bool)

// sumSquares is Σ x² in float64 (see sumSquaresGo for the order of the sum), with
// AVX-512 when the CPU has it.
func sumSquares(x []float32) float64 {
	if cpu.avx512 && len(x) > 0 {
		return sumSquaresAVX512(&x[0], len(x))
	}
	return sumSquaresGo(x)
}

// sgdStep is p = p - lr·(g + wd·p), with AVX-512 when the CPU has it.
func sgdStep(p, g []float32, lr, wd float32) {
	if cpu.avx512 && len(p) > 0 {
		_ = g[len(p)-1]
		sgdAVX512(&p[0], &g[0], len(p), lr, wd)
		return
	}
	sgdGo(p, g, lr, wd)
}

// sgdMomentumStep is sgdMomentumGo, with AVX-512 when the CPU has it.
func sgdMomentumStep(p, g, b []float32, lr, wd, mu, damp float32, first, nesterov bool) {
	if cpu.avx512 && len(p) > 0 {
		_, _ = g[len(p)-1], b[len(p)-1]
		sgdMomentumAVX512(&p[0], &g[0], &b[0], len(p), lr, wd, mu, damp, first, nesterov)
		return
	}
	sgdMomentumGo(p, g, b, lr, wd, mu, damp, first, nesterov)
}

// allFinite reports whether every value of x is finite, with AVX-512 when the CPU
// has it.
func allFinite(x []float32) bool {
	if cpu.avx512 && len(x) > 0 {
		return allFiniteAVX512(&x[0], len(x))
	}
	return allFiniteGo(x)
}

// ReluGrad sets y[i] = ReluGrad32(x[i], dy[i]) for every i < len(dy), with AVX-512
// when the CPU has it: the gradient of ReLU with respect to its input, given the
// input (or the output: both are positive at the same places) and the output's
// gradient.
func ReluGrad(y, x, dy []float32) {
	n := len(dy)
	if n == 0 {
		return
	}
	_, _ = y[n-1], x[n-1]
	if cpu.avx512 {
		reluGradAVX512(&y[0], &x[0], &dy[0], n)
		return
	}
	reluGradGo(y, x, dy)
}

// ColSums64 adds the columns of x (rows × cols, rows ldx apart) into acc in
// float64: acc[c] += x[r·ldx+c] for r = 0, 1, … in order, the channel sums of a
// bias gradient. With AVX-512 it sums 32 columns at a time; the result is the
// same bit for bit (each column is the same sequence of additions).
func ColSums64(acc []float64, x []float32, rows, cols, ldx int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	_, _ = acc[cols-1], x[(rows-1)*ldx+cols-1]
	if cpu.avx512 {
		colSums64AVX512(&acc[0], &x[0], rows, cols, ldx)
		return
	}
	colSums64Go(acc, x, rows, cols, ldx)
}
