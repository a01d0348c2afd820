package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

func TestSpatialDropoutIsTheDropoutMacroWithItsVariant(t *testing.T) {
	m := nn.New("m")
	img := m.Input("img", 3, 6, 6).SpatialDropout2D("cd", 0.3)
	seq := m.Indices("words", 5).Embedding("embed", 10, 4, nn.MaskZero).SpatialDropout1D("fd", 0.2)
	m.Output("y", img)
	m.Output("s", seq.LSTM("lstm", 3)) // the mask passes SpatialDropout1D, as in Keras
	g := build(t, m)
	cd, fd := node(t, g, "cd"), node(t, g, "fd")
	assert.Equal(t, ir.OpDropout, cd.Op)
	assert.Equal(t, ir.DropoutChannels, cd.Attrs.Sub)
	assert.Equal(t, 0.3, cd.Attrs.Rate)
	assert.Equal(t, ir.DropoutFeatures, fd.Attrs.Sub)

	for _, tc := range []struct {
		make func(m *nn.Model) *nn.T
		want string
	}{
		{func(m *nn.Model) *nn.T { return m.Input("x", 8).SpatialDropout2D("d", 0.5) }, "d (SpatialDropout2D) on input N×8: needs an (N, C, H, W) or (N, C, L) input"},
		{func(m *nn.Model) *nn.T { return m.Input("x", 3, 4, 4).SpatialDropout1D("d", 0.5) }, "d (SpatialDropout1D) on input N×3×4×4: needs an (N, T, F) sequence"},
		{func(m *nn.Model) *nn.T { return m.Input("x", 3, 4).SpatialDropout1D("d", 1) }, "rate 1 must be in [0, 1)"},
	} {
		m := nn.New("m")
		m.Output("y", tc.make(m))
		_, err := m.Build()
		require.ErrorContains(t, err, tc.want)
	}
}
