package rt

import "fmt"

// GemmStepsP sets C (m×n, row stride ldc) to the sum over steps s = 0 … steps-1 of
// A_sᵀ·B_s, where A_s is the rows×m matrix at a[s·aStep:] (row stride lda) and B_s
// the rows×n matrix at b[s·bStep:] (row stride ldb). It is the weight gradient of a
// recurrent layer: the sum over its time steps of each step's gate gradients
// (transposed) times the inputs of that step.
//
// When the steps' rows follow each other in a and in b (aStep = rows·lda and
// bStep = rows·ldb, which generated code has whenever the batch is full), the sum is
// one product with k = steps·rows: C is read and written once instead of once per
// step, and the product splits across the pool's threads like any other. Otherwise
// it is one product per step, accumulated into C in step order. Either way the
// result is the same bits for every thread count (p nil is one thread).
func GemmStepsP(p *Pool, m, n, rows, steps int, a []float32, lda, aStep int, b []float32, ldb, bStep int, c []float32, ldc int) {
	if rows < 0 || steps < 0 || aStep < 0 || bStep < 0 {
		panic(fmt.Sprintf("rt.GemmStepsP: negative size rows=%d steps=%d aStep=%d bStep=%d", rows, steps, aStep, bStep))
	}
	if rows == 0 || steps == 0 {
		GemmP(p, true, false, m, n, 0, 1, nil, max(lda, m), nil, max(ldb, n), 0, c, ldc)
		return
	}
	if aStep == rows*lda && bStep == rows*ldb {
		GemmP(p, true, false, m, n, steps*rows, 1, a, lda, b, ldb, 0, c, ldc)
		return
	}
	for s := range steps {
		beta := float32(1)
		if s == 0 {
			beta = 0
		}
		GemmP(p, true, false, m, n, rows, 1, a[s*aStep:], lda, b[s*bStep:], ldb, beta, c, ldc)
	}
}

// ColSums64Steps adds the columns of every step's rows×cols block of x, the blocks
// step floats apart, into acc in float64: the bias gradient of a recurrent layer,
// summed over its items and time steps. It is one ColSums64 over steps·rows rows
// when the blocks follow each other (step = rows·cols), else one per step, in step
// order; the sums are the same either way (each column adds the same rows in the
// same order).
func ColSums64Steps(acc []float64, x []float32, rows, steps, cols, step int) {
	if rows <= 0 || steps <= 0 || cols <= 0 {
		return
	}
	if step == rows*cols {
		ColSums64(acc, x, steps*rows, cols, cols)
		return
	}
	for s := range steps {
		ColSums64(acc, x[s*step:], rows, cols, cols)
	}
}
