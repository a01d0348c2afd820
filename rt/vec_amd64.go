package rt

//go:noescape
func sumSquaresAVX512(x *float32, n int) float64

//go:noescape
func allFiniteAVX512(x *float32, n int) bool

//go:noescape
func reluGradAVX512(y, x, dy *float32, n int)

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
