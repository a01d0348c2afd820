package rt_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/rt"
)

// gram returns the products of every pair of columns (rows ≥ cols) or rows of the
// rows×cols matrix a.
func gram(a []float64, rows, cols int) [][]float64 {
	n, m := cols, rows
	at := func(v, i int) float64 { return a[i*cols+v] } // element i of column v
	if rows < cols {
		n, m = rows, cols
		at = func(v, i int) float64 { return a[v*cols+i] } // element i of row v
	}
	g := make([][]float64, n)
	for p := range n {
		g[p] = make([]float64, n)
		for q := range n {
			for i := range m {
				g[p][q] += at(p, i) * at(q, i)
			}
		}
	}
	return g
}

func TestOrthogonalInitGivesOrthonormalVectors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rows, cols int
	}{
		{"a tall LSTM recurrent kernel has orthonormal columns", 4 * 6, 6},
		{"a wide matrix has orthonormal rows", 3, 8},
		{"a square matrix is orthogonal", 5, 5},
		{"a single column is a unit vector", 7, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := make([]float64, tc.rows*tc.cols)
			require.NoError(t, rt.InitParam(w, "orthogonal", tc.cols, tc.rows, 0, 1, "l.weight_hh_l0"))
			for p, row := range gram(w, tc.rows, tc.cols) {
				for q, v := range row {
					want := 0.0
					if p == q {
						want = 1
					}
					assert.InDelta(t, want, v, 1e-13, "vectors %d·%d", p, q)
				}
			}
			w32 := make([]float32, len(w))
			require.NoError(t, rt.InitParam(w32, "orthogonal", tc.cols, tc.rows, 0, 1, "l.weight_hh_l0"))
			for i := range w {
				assert.Equal(t, float32(w[i]), w32[i], "float32 is the float64 value rounded")
			}
		})
	}
}

func TestOrthogonalInitIsAFunctionOfSeedAndName(t *testing.T) {
	draw := func(seed uint64, name string) []float64 {
		w := make([]float64, 12)
		require.NoError(t, rt.InitParam(w, "orthogonal", 3, 4, 0, seed, name))
		return w
	}
	assert.Equal(t, draw(1, "a"), draw(1, "a"))
	assert.NotEqual(t, draw(1, "a"), draw(2, "a"))
	assert.NotEqual(t, draw(1, "a"), draw(1, "b"))
	for _, v := range draw(3, "c") {
		assert.False(t, math.IsNaN(v))
	}
}

func TestOrthogonalInitNeedsAFanInThatDividesTheMatrix(t *testing.T) {
	w := make([]float64, 12)
	assert.ErrorContains(t, rt.InitParam(w, "orthogonal", 0, 12, 0, 1, "w"), `orthogonal of "w" needs fan_in dividing its 12 elements, got 0`)
	assert.ErrorContains(t, rt.InitParam(w, "orthogonal", 5, 12, 0, 1, "w"), "got 5")
}
