package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/rt"
)

func TestNoiseLayers(t *testing.T) {
	layer := func(modelSeed uint64, build func(x *nn.T) *nn.T) *ir.Node {
		m := nn.New("m", nn.Seed(modelSeed))
		y := build(m.Input("x", 4))
		m.Output("y", y)
		g, err := m.Build()
		require.NoError(t, err)
		return g.ByName(y.Name())
	}
	t.Run("gaussian noise carries its deviation and a seed from the model seed and name", func(t *testing.T) {
		n := layer(7, func(x *nn.T) *nn.T { return x.GaussianNoise("noise", 0.2) })
		assert.Equal(t, ir.OpGaussianNoise, n.Op)
		assert.Equal(t, 0.2, n.Attrs.Alpha)
		assert.Equal(t, rt.Bits(7, rt.NameStream("noise"), 0), n.Attrs.Seed)
	})
	t.Run("masking noise carries its rate and a seed from the model seed and name", func(t *testing.T) {
		n := layer(7, func(x *nn.T) *nn.T { return x.MaskingNoise("mask", 0.3) })
		assert.Equal(t, ir.OpMaskingNoise, n.Op)
		assert.Equal(t, 0.3, n.Attrs.Rate)
		assert.Equal(t, rt.Bits(7, rt.NameStream("mask"), 0), n.Attrs.Seed)
	})
	t.Run("an explicit seed wins", func(t *testing.T) {
		assert.Equal(t, uint64(42), layer(7, func(x *nn.T) *nn.T { return x.GaussianNoise("noise", 0.2, nn.Seed(42)) }).Attrs.Seed)
		assert.Equal(t, uint64(43), layer(7, func(x *nn.T) *nn.T { return x.MaskingNoise("mask", 0.2, nn.Seed(43)) }).Attrs.Seed)
	})
	for _, tc := range []struct {
		name  string
		layer func(x *nn.T) *nn.T
		msg   string
	}{
		{"a zero deviation", func(x *nn.T) *nn.T { return x.GaussianNoise("noise", 0) },
			"noise (GaussianNoise) on input N×4: standard deviation 0 must be positive and finite"},
		{"a masking rate of 1", func(x *nn.T) *nn.T { return x.MaskingNoise("mask", 1) },
			"mask (MaskingNoise) on input N×4: rate 1 must be in [0, 1)"},
		{"an option the layer does not take", func(x *nn.T) *nn.T { return x.GaussianNoise("noise", 0.1, nn.K(3)) },
			"option nn.K(3) does not apply to this layer"},
	} {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", tc.layer(m.Input("x", 4)))
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	t.Run("a nil tensor does not panic", func(t *testing.T) {
		var x *nn.T
		assert.Nil(t, x.GaussianNoise("noise", 0.1))
		assert.Nil(t, x.MaskingNoise("mask", 0.1))
	})
}
