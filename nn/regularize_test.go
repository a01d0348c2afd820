package nn_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// aeGolden is testdata/torch/ae_golden.json (written by ae_golden.py): penalties and
// their gradients computed by PyTorch 1.13 in float64.
type aeGolden struct {
	ContractiveEncoder struct {
		X, Weight, Bias, DX, DWeight, DBias aeTensor
		Lambda, Penalty                     float64
	} `json:"contractive_encoder"`
	KLNormal struct {
		Mu, Logvar, DMu, DLogvar aeTensor
		KL                       float64
	} `json:"kl_normal"`
	L1Activity struct {
		H, DH           aeTensor
		Lambda, Penalty float64
	} `json:"l1_activity"`
	KLSparsity struct {
		Z, DZ              aeTensor
		Rho, Beta, Penalty float64
	} `json:"kl_sparsity"`
}

type aeTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (a aeTensor) tensor() *interp.Tensor {
	return interp.FromData(append([]float64(nil), a.Data...), a.Shape...)
}

func loadAEGolden(t *testing.T) aeGolden {
	t.Helper()
	raw, err := os.ReadFile("../testdata/torch/ae_golden.json")
	require.NoError(t, err)
	var g aeGolden
	require.NoError(t, json.Unmarshal(raw, &g))
	require.NotEmpty(t, g.ContractiveEncoder.X.Data)
	return g
}

// trainLoss lowers m for training, sets the named parameters, and returns the loss
// and its gradients with respect to every weight and the named inputs (by name).
func trainLoss(t *testing.T, m *nn.Model, params, feeds map[string]*interp.Tensor, wrt ...string) (float64, map[string][]float64) {
	t.Helper()
	g, err := passes.Lower(build(t, m), ir.ModeTrain)
	require.NoError(t, err)
	dg, err := passes.Autodiff(g, wrt...)
	require.NoError(t, err)
	mach, err := interp.New(dg, 1)
	require.NoError(t, err)
	for name, v := range params {
		p := mach.Param(name)
		require.NotNil(t, p, name)
		require.Equal(t, p.Shape, v.Shape, name)
		copy(p.Data, v.Data)
	}
	vals, err := mach.Run(feeds)
	require.NoError(t, err)
	grads := map[string][]float64{}
	for _, gr := range dg.Grads {
		grads[dg.Nodes[gr.Of].Name] = vals[gr.ID].Data
	}
	return vals[dg.Loss].Data[0], grads
}

func assertAllNear(t *testing.T, want, got []float64, tol float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		assert.InDelta(t, want[i], got[i], tol, "%s element %d", what, i)
	}
}

func TestRegularizersMatchPyTorch(t *testing.T) {
	gold := loadAEGolden(t)
	t.Run("contractive penalty of a dense sigmoid encoder is λ‖J‖²_F, gradients included", func(t *testing.T) {
		c := gold.ContractiveEncoder
		m := nn.New("cae")
		x := m.Input("x", c.X.Shape[1])
		h := x.Dense("enc", c.Weight.Shape[0], nn.Act("sigmoid"))
		m.Output("code", h)
		m.AddLoss(nn.ContractivePenalty("contractive", h, c.Lambda), 1)
		loss, grads := trainLoss(t, m, map[string]*interp.Tensor{"enc.weight": c.Weight.tensor(), "enc.bias": c.Bias.tensor()},
			map[string]*interp.Tensor{"x": c.X.tensor()}, "x")
		assert.InDelta(t, c.Penalty, loss, 1e-12)
		assertAllNear(t, c.DX.Data, grads["x"], 1e-12, "dx")
		assertAllNear(t, c.DWeight.Data, grads["enc.weight"], 1e-12, "dweight")
		assertAllNear(t, c.DBias.Data, grads["enc.bias"], 1e-12, "dbias")
	})
	t.Run("l1 activity is λ·Σ|h| over the batch size, as tf.keras", func(t *testing.T) {
		c := gold.L1Activity
		m := nn.New("l1")
		h := m.Input("h", c.H.Shape[1])
		m.Output("h", h)
		m.AddLoss(nn.L1Activity("sparsity", h, c.Lambda), 1)
		loss, grads := trainLoss(t, m, nil, map[string]*interp.Tensor{"h": c.H.tensor()}, "h")
		assert.InDelta(t, c.Penalty, loss, 1e-14)
		assertAllNear(t, c.DH.Data, grads["h"], 1e-14, "dh")
	})
	t.Run("kl sparsity is β·Σ_j KL(ρ‖ρ̂_j) of sigmoid activations", func(t *testing.T) {
		c := gold.KLSparsity
		m := nn.New("kl")
		z := m.Input("z", c.Z.Shape[1])
		h := z.Sigmoid("code")
		m.Output("code", h)
		m.AddLoss(nn.KLSparsity("sparsity", h, c.Rho, c.Beta), 1)
		loss, grads := trainLoss(t, m, nil, map[string]*interp.Tensor{"z": c.Z.tensor()}, "z")
		assert.InDelta(t, c.Penalty, loss, 1e-12)
		assertAllNear(t, c.DZ.Data, grads["z"], 1e-12, "dz")
	})
}

func TestRegularizerNodes(t *testing.T) {
	m := nn.New("ae")
	x := m.Input("x", 6)
	h := x.Dense("enc", 4, nn.Act("sigmoid"))
	m.Output("code", h)
	m.AddLoss(nn.L1Activity("l1", h, 0.5), 1)
	m.AddLoss(nn.KLSparsity("kl", h, 0.05, 1), 1)
	m.AddLoss(nn.ContractivePenalty("cae", h, 0.1), 1)
	g := build(t, m)
	for name, op := range map[string]string{
		"l1/abs": ir.OpAbs, "l1/mean": ir.OpReduceMean, "l1": ir.OpScale, "l1/scaled": ir.OpScale,
		"kl": ir.OpKLSparsity, "cae": ir.OpContractivePenalty, "cae/scaled": ir.OpScale,
	} {
		assert.Equal(t, op, node(t, g, name).Op, name)
	}
	t.Run("l1 turns the mean into a sum per example", func(t *testing.T) {
		assert.Equal(t, 4.0, node(t, g, "l1").Attrs.Alpha)
		assert.Equal(t, 0.5, node(t, g, "l1/scaled").Attrs.Alpha)
	})
	t.Run("a strength of 1 adds no scaling node", func(t *testing.T) {
		assert.Nil(t, g.ByName("kl/scaled"))
		assert.Equal(t, 0.05, node(t, g, "kl").Attrs.Alpha)
	})
	t.Run("the contractive penalty reads the encoder's sigmoid output and weight", func(t *testing.T) {
		cae := node(t, g, "cae")
		assert.Equal(t, []int{node(t, g, "enc/sigmoid").ID, node(t, g, "enc.weight").ID}, cae.Inputs)
	})
	t.Run("a dense sigmoid encoder without bias is accepted", func(t *testing.T) {
		m := nn.New("ae")
		h := m.Input("x", 6).Dense("enc", 4, nn.Act("sigmoid"), nn.NoBias)
		m.Output("code", h)
		m.AddLoss(nn.ContractivePenalty("cae", h, 0.1), 1)
		g := build(t, m)
		assert.Equal(t, node(t, g, "enc.weight").ID, node(t, g, "cae").Inputs[1])
	})
}

func TestRegularizersReportBadUse(t *testing.T) {
	sigmoidCode := func(m *nn.Model) *nn.T { return m.Input("x", 6).Dense("enc", 4, nn.Act("sigmoid")) }
	for _, tc := range []struct {
		name string
		term func(m *nn.Model) *nn.T
		msg  string
	}{
		{"l1 with a zero strength", func(m *nn.Model) *nn.T { return nn.L1Activity("l1", sigmoidCode(m), 0) },
			"l1 (L1Activity) on input N×4: lambda 0 must be positive and finite"},
		{"kl sparsity with a target of 1", func(m *nn.Model) *nn.T { return nn.KLSparsity("kl", sigmoidCode(m), 1, 3) },
			"kl (KLSparsity) on input N×4: target activation rho 1 must be in (0, 1)"},
		{"kl sparsity with a negative beta", func(m *nn.Model) *nn.T { return nn.KLSparsity("kl", sigmoidCode(m), 0.1, -3) },
			"beta -3 must be positive and finite"},
		{"kl sparsity of relu activations", func(m *nn.Model) *nn.T {
			return nn.KLSparsity("kl", m.Input("x", 6).Dense("enc", 4, nn.Act("relu")), 0.1, 3)
		}, `needs sigmoid activations in (0, 1), not the output of Relu (add Act("sigmoid") to the code layer)`},
		{"a contractive penalty of a relu encoder", func(m *nn.Model) *nn.T {
			return nn.ContractivePenalty("cae", m.Input("x", 6).Dense("enc", 4, nn.Act("relu")), 0.1)
		}, `"enc/relu" is not the output of a Dense layer with Act("sigmoid")`},
		{"a contractive penalty of a sigmoid after a convolution", func(m *nn.Model) *nn.T {
			h := m.Input("x", 1, 4, 4).Conv2D("conv", 2, nn.K(3), nn.Act("sigmoid")).Flatten("flat").Sigmoid("sig")
			return nn.ContractivePenalty("cae", h, 0.1)
		}, `"sig" is not the output of a Dense layer`},
		{"a penalty of a loss", func(m *nn.Model) *nn.T {
			x := m.Input("x", 4)
			return nn.L1Activity("l1", nn.MSE("mse", x, x), 0.1)
		}, "is a scalar (a loss)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			term := tc.term(m)
			m.AddLoss(term, 1)
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	t.Run("nil tensors do not panic", func(t *testing.T) {
		assert.Nil(t, nn.L1Activity("l1", nil, 1))
		assert.Nil(t, nn.KLSparsity("kl", nil, 0.1, 1))
		assert.Nil(t, nn.ContractivePenalty("cae", nil, 1))
	})
}
