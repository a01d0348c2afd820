//go:build !amd64

package rt

func allFinite(x []float32) bool { return allFiniteGo(x) }

func sumSquares(x []float32) float64 { return sumSquaresGo(x) }

func sgdStep(p, g []float32, lr, wd float32) { sgdGo(p, g, lr, wd) }

func sgdMomentumStep(p, g, b []float32, lr, wd, mu, damp float32, first, nesterov bool) {
	sgdMomentumGo(p, g, b, lr, wd, mu, damp, first, nesterov)
}

// ReluGrad sets y[i] = ReluGrad32(x[i], dy[i]) for every i < len(dy).
func ReluGrad(y, x, dy []float32) { reluGradGo(y, x, dy) }

// ColSums64 adds the columns of x (rows × cols, rows ldx apart) into acc in
// float64: acc[c] += x[r·ldx+c] for r = 0, 1, … in order.
func ColSums64(acc []float64, x []float32, rows, cols, ldx int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	colSums64Go(acc, x, rows, cols, ldx)
}
