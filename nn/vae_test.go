package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/rt"
)

func TestKLNormalMatchesPyTorch(t *testing.T) {
	c := loadAEGolden(t).KLNormal
	m := nn.New("vae")
	mu := m.Input("mu", c.Mu.Shape[1])
	logvar := m.Input("logvar", c.Logvar.Shape[1])
	m.Output("mu", mu)
	m.AddLoss(nn.KLNormal("kl", mu, logvar), 1)
	loss, grads := trainLoss(t, m, nil, map[string]*interp.Tensor{"mu": c.Mu.tensor(), "logvar": c.Logvar.tensor()}, "mu", "logvar")
	assert.InDelta(t, c.KL, loss, 1e-14)
	assertAllNear(t, c.DMu.Data, grads["mu"], 1e-14, "dmu")
	assertAllNear(t, c.DLogvar.Data, grads["logvar"], 1e-14, "dlogvar")
}

func TestSample(t *testing.T) {
	sample := func(opts ...nn.Option) *ir.Node {
		m := nn.New("vae", nn.Seed(3))
		h := m.Input("x", 6)
		z := nn.Sample("z", h.Dense("z_mean", 2), h.Dense("z_log_var", 2), opts...)
		m.Output("z", z)
		return node(t, build(t, m), "z")
	}
	t.Run("it is a SampleNormal of mu and logvar with a seed from the model seed and name", func(t *testing.T) {
		n := sample()
		assert.Equal(t, ir.OpSampleNormal, n.Op)
		assert.Equal(t, ir.Shape{N, 2}, n.Shape)
		assert.Equal(t, rt.Bits(3, rt.NameStream("z"), 0), n.Attrs.Seed)
		assert.Empty(t, n.Attrs.Sub, "inference returns mu")
	})
	t.Run("options set the seed and sampling at inference", func(t *testing.T) {
		n := sample(nn.Seed(9), nn.SampleAtInference)
		assert.Equal(t, uint64(9), n.Attrs.Seed)
		assert.Equal(t, ir.SampleAtInference, n.Attrs.Sub)
		assert.Equal(t, "nn.SampleAtInference", nn.SampleAtInference.String())
	})
	for _, tc := range []struct {
		name  string
		build func(m *nn.Model) *nn.T
		msg   string
	}{
		{"codes of different sizes", func(m *nn.Model) *nn.T {
			return nn.Sample("z", m.Input("mu", 2), m.Input("logvar", 3))
		}, "z (Sample) on input N×2, N×3: mu N×2 and logvar N×3 must have the same shape"},
		{"an unknown sample mode", func(m *nn.Model) *nn.T {
			return nn.Sample("z", m.Input("mu", 2), m.Input("logvar", 2), nn.SampleMode(7))
		}, "option nn.SampleMode(7) does not apply to this layer"},
		{"a KL of codes of different sizes", func(m *nn.Model) *nn.T {
			kl := nn.KLNormal("kl", m.Input("mu", 2), m.Input("logvar", 3))
			m.AddLoss(kl, 1)
			return m.Input("x", 1)
		}, "kl (KLNormal) on input N×2, N×3: mu N×2 and logvar N×3 must have the same shape"},
		{"sampling at inference given to another layer", func(m *nn.Model) *nn.T {
			return m.Input("x", 2).GaussianNoise("noise", 0.1, nn.SampleAtInference)
		}, "option nn.SampleAtInference does not apply to this layer"},
	} {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", tc.build(m))
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	t.Run("nil tensors do not panic", func(t *testing.T) {
		assert.Nil(t, nn.Sample("z", nil, nil))
		assert.Nil(t, nn.KLNormal("kl", nil, nil))
	})
}
