package interp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

// ids returns (N, T) int ids (T = 0: one per item, (N)).
func ids(data []float64, n, t int) opsGoldenTensor {
	if t == 0 {
		return opsGoldenTensor{Shape: []int{n}, Batched: true, DType: ir.Int, Data: data}
	}
	return opsGoldenTensor{Shape: []int{n, t}, Batched: true, DType: ir.Int, Data: data}
}

func TestEmbeddingByHand(t *testing.T) {
	w := vec([]float64{0, 1, 10, 11, 20, 21}, 3, 2)
	y, err := runOp(ir.OpEmbedding, ir.Attrs{}, ids([]float64{2, 0, 2, 1}, 2, 2), w)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2, 2}, y.Shape)
	assert.Equal(t, []float64{20, 21, 0, 1, 20, 21, 10, 11}, y.Data)

	dy := batched([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2)
	dw, err := runOp(ir.OpEmbeddingGrad, ir.Attrs{Shape: ir.Shape{3, 2}}, ids([]float64{2, 0, 2, 1}, 2, 2), dy)
	require.NoError(t, err)
	assert.Equal(t, []int{3, 2}, dw.Shape)
	assert.Equal(t, []float64{3, 4, 7, 8, 1 + 5, 2 + 6}, dw.Data)

	// The padding row is read by the forward and gets no gradient.
	y, err = runOp(ir.OpEmbedding, ir.Attrs{Extra: []int{2}}, ids([]float64{2, 0, 2, 1}, 2, 2), w)
	require.NoError(t, err)
	assert.Equal(t, []float64{20, 21, 0, 1, 20, 21, 10, 11}, y.Data)
	dw, err = runOp(ir.OpEmbeddingGrad, ir.Attrs{Shape: ir.Shape{3, 2}, Extra: []int{2}}, ids([]float64{2, 0, 2, 1}, 2, 2), dy)
	require.NoError(t, err)
	assert.Equal(t, []float64{3, 4, 7, 8, 0, 0}, dw.Data)
}

// An id outside [0, V) or not an integer is an error naming the layer, the input
// node (the model's ids argument), the flat index and, for several ids per item,
// the item and position; from the gradient too.
func TestEmbeddingIdsMustBeRowsOfTheWeight(t *testing.T) {
	w := vec([]float64{0, 1, 10, 11, 20, 21}, 3, 2)
	dy := batched(make([]float64, 8), 2, 2, 2)
	for _, tc := range []struct {
		name string
		ids  opsGoldenTensor
		want string
	}{
		{"one past the last row", ids([]float64{0, 1, 2, 3}, 2, 2), `in0[3] = 3 is not an embedding index in [0, 3) (item 1, position 1 of 2)`},
		{"a negative id", ids([]float64{0, -1, 2, 2}, 2, 2), `in0[1] = -1 is not an embedding index in [0, 3) (item 0, position 1 of 2)`},
		{"a fraction", ids([]float64{0, 1.5, 2, 2}, 2, 2), `in0[1] = 1.5 is not an embedding index in [0, 3)`},
		{"one id per item", ids([]float64{0, 0, 3, 0}, 4, 0), `in0[2] = 3 is not an embedding index in [0, 3)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runOp(ir.OpEmbedding, ir.Attrs{}, tc.ids, w)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "layer (Embedding): "+tc.want)
			if tc.ids.Shape[0] == 2 {
				_, err = runOp(ir.OpEmbeddingGrad, ir.Attrs{Shape: ir.Shape{3, 2}}, tc.ids, dy)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "layer (EmbeddingGrad): "+tc.want)
			}
		})
	}
	_, err := runOp(ir.OpEmbedding, ir.Attrs{}, ids([]float64{0, 0, 3, 0}, 4, 0), w)
	assert.NotContains(t, err.Error(), "item", "one id per item: the flat index is the item")
}
