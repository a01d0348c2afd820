package nn_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

func TestPermuteIsOneTransposeWithTheBatchFirst(t *testing.T) {
	m := nn.New("m")
	x := m.Input("img", 28, 28, 3)     // channels-last
	h := x.Permute("to_nchw", 3, 1, 2) // (N, 3, 28, 28)
	m.Output("y", h.Conv2D("conv", 4, nn.K(3)))
	g := build(t, m)
	n := node(t, g, "to_nchw")
	assert.Equal(t, ir.OpTranspose, n.Op)
	assert.Equal(t, "to_nchw", n.Layer)
	assert.Equal(t, ir.Attrs{Perm: []int{0, 3, 1, 2}}, n.Attrs)
	assert.Equal(t, []int{node(t, g, "img").ID}, n.Inputs)
	assert.Equal(t, ir.Shape{N, 3, 28, 28}, h.Shape())
}

func TestPermuteErrorsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []int
		dims []int
		want string
	}{
		{"too few dims", []int{5, 4}, []int{1}, "p (Permute) on input N×5×4: dims (1) must be a permutation of the axes after the batch, 1 to 2"},
		{"too many dims", []int{5, 4}, []int{2, 1, 3}, "dims (2, 1, 3) must be a permutation"},
		{"the batch axis", []int{5, 4}, []int{0, 1}, "dims (0, 1) must be a permutation"},
		{"a repeated axis", []int{5, 4, 3}, []int{1, 1, 2}, "dims (1, 1, 2) must be a permutation of the axes after the batch, 1 to 3"},
		{"no dims", []int{5, 4}, nil, "dims () must be a permutation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", m.Input("x", tc.in...).Permute("p", tc.dims...))
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie))
			assert.Equal(t, "p", ie.Layer)
		})
	}
}

// Keras' mask does not pass a Permute: the refusal names the layer.
func TestPermuteRefusesAMaskedTensor(t *testing.T) {
	m := nn.New("m")
	h := m.Indices("words", 6).Embedding("embed", 10, 4, nn.MaskZero).Permute("p", 2, 1)
	m.Output("y", h.GlobalAvgPool1D("pool"))
	_, err := m.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `p (Permute)`)
	assert.Contains(t, err.Error(), `carries the step mask of Embedding "embed"`)
}
