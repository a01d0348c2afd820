package rt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Embedding copies the selected rows; EmbeddingGrad clears dw, adds the rows of dy
// of a repeated id together in order and leaves the padding row at zero.
func TestEmbeddingKernels(t *testing.T) {
	w := []float32{0, 1, 10, 11, 20, 21, 30, 31} // 4 rows of 2
	ids := []int32{3, 0, 3, 2, 0}
	y := make([]float32, 2*len(ids))
	Embedding(y, ids, w, 2)
	assert.Equal(t, []float32{30, 31, 0, 1, 30, 31, 20, 21, 0, 1}, y)

	dy := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	dw := []float32{-1, -1, -1, -1, -1, -1, -1, -1} // stale values are cleared
	EmbeddingGrad(dw, ids, dy, 2, -1)
	assert.Equal(t, []float32{3 + 9, 4 + 10, 0, 0, 7, 8, 1 + 5, 2 + 6}, dw)
	EmbeddingGrad(dw, ids, dy, 2, 3)
	assert.Equal(t, []float32{3 + 9, 4 + 10, 0, 0, 7, 8, 0, 0}, dw, "row 3 is the padding row")

	require.Zero(t, testing.AllocsPerRun(10, func() {
		Embedding(y, ids, w, 2)
		EmbeddingGrad(dw, ids, dy, 2, 0)
	}))
}

// A repeated id sums its rows from the first position to the last, the order the
// IR documents: in float32 that order shows in the result.
func TestEmbeddingGradSumsInPositionOrder(t *testing.T) {
	dy := []float32{1, 1e8, -1e8} // dim 1: ((0 + 1) + 1e8) - 1e8 = 0 in float32
	dw := make([]float32, 1)
	EmbeddingGrad(dw, []int32{0, 0, 0}, dy, 1, -1)
	assert.Equal(t, float32(0), dw[0])
	EmbeddingGrad(dw, []int32{0, 0, 0}, []float32{1e8, -1e8, 1}, 1, -1)
	assert.Equal(t, float32(1), dw[0])
}
