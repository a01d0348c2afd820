package rt

// Embedding kernels: the lookup of rows of a weight matrix by id and its gradient,
// a sum of rows into the selected ones. The ids were checked to lie in [0, rows of
// w) on entry to the generated method (CheckIndices), so every row exists.

// Embedding sets row i of y (dim values) to row ids[i] of w, for every i: y holds
// len(ids) rows.
func Embedding(y []float32, ids []int32, w []float32, dim int) {
	for i, id := range ids {
		copy(y[i*dim:(i+1)*dim], w[int(id)*dim:(int(id)+1)*dim])
	}
}

// EmbeddingGrad sets dw to the gradient of an Embedding's weight: zero, then row i
// of dy added to row ids[i] for i = 0, 1, … in order (so a repeated id sums its
// rows in that order), except where ids[i] is pad (pad < 0: no padding row).
func EmbeddingGrad(dw []float32, ids []int32, dy []float32, dim, pad int) {
	clear(dw)
	for i, id := range ids {
		if int(id) == pad {
			continue
		}
		d := dw[int(id)*dim : (int(id)+1)*dim]
		for j, v := range dy[i*dim : (i+1)*dim] {
			d[j] += v
		}
	}
}
