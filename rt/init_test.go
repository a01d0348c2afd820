package rt

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// "normal" draws std·N(0, 1) from the parameter's stream (PyTorch's nn.Embedding
// default with std 1, Keras' RandomNormal with its stddev): the same numbers as
// he_normal with the same standard deviation, and a sample standard deviation near
// std.
func TestNormalInit(t *testing.T) {
	const n, std = 20000, 0.5
	x := make([]float64, n)
	require.NoError(t, InitParam(x, "normal", 0, 0, std, 3, "emb.weight"))
	he := make([]float64, n)
	require.NoError(t, InitParam(he, "he_normal", 8, 0, 0, 3, "emb.weight")) // sqrt(2/8) = 0.5
	assert.Equal(t, he, x)
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	assert.InDelta(t, std, math.Sqrt(s/n), 0.01)
}
