package passes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
)

func TestAutoencoderRegularizerGradients(t *testing.T) {
	s := batched(4)
	acts := gradcheck.Operand{Shape: s, Lo: 0.05, Hi: 0.95} // sigmoid outputs
	runGradCases(t, []gradCase{
		{"abs away from its kink at 0", ir.OpAbs, ir.Attrs{}, []gradcheck.Operand{{Shape: s, Values: awayFrom(elems(s), 0, 0.05, 3)}}},
		{"kl sparsity with a small target", ir.OpKLSparsity, ir.Attrs{Alpha: 0.05}, []gradcheck.Operand{acts}},
		{"kl sparsity with a target of 0.6", ir.OpKLSparsity, ir.Attrs{Alpha: 0.6}, []gradcheck.Operand{acts}},
		{"kl sparsity over the units of a feature map", ir.OpKLSparsity, ir.Attrs{Alpha: 0.2}, []gradcheck.Operand{{Shape: batched(2, 3, 2), Lo: 0.05, Hi: 0.95}}},
		{"contractive penalty with respect to h and w", ir.OpContractivePenalty, ir.Attrs{},
			[]gradcheck.Operand{acts, {Shape: ir.Shape{4, 5}, Param: true}}},
	})
}

// The contractive penalty reads the encoder weight twice: directly, and through h.
// Autodiff must add the two paths; checked against finite differences of the whole
// encoder + penalty, with respect to x, W and b.
func TestContractivePenaltyThroughASigmoidEncoder(t *testing.T) {
	g := ir.NewGraph("cae")
	add := func(op, name string, a ir.Attrs, in ...int) int {
		id, err := g.Add(op, name, name, a, in...)
		require.NoError(t, err)
		return id
	}
	param := func(name string, s ir.Shape) int {
		return add(ir.OpParam, name, ir.Attrs{Shape: s, Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitUniform, Value: 0.8}})
	}
	x := add(ir.OpInput, "x", ir.Attrs{Shape: batched(5), Role: ir.RoleData})
	w := param("enc.weight", ir.Shape{4, 5})
	b := param("enc.bias", ir.Shape{4})
	z := add(ir.OpMatMul, "enc", ir.Attrs{TransB: true}, x, w)
	z = add(ir.OpBiasAdd, "enc/bias", ir.Attrs{}, z, b)
	h := add(ir.OpSigmoid, "enc/sigmoid", ir.Attrs{}, z)
	g.Loss = add(ir.OpContractivePenalty, "penalty", ir.Attrs{}, h, w)

	m, err := interp.New(g, 5)
	require.NoError(t, err)
	feeds := map[string]*interp.Tensor{"x": interp.FromData(uniformValues(3*5, 0, 1, 9), 3, 5)}
	res, err := gradcheck.Check(g, m, feeds, "x")
	require.NoError(t, err)
	require.Len(t, res, 3, "weight, bias and input")
	for _, r := range res {
		assert.Less(t, r.MaxRel, maxGradError, r.String())
	}

	t.Run("both gradient rules of the penalty appear", func(t *testing.T) {
		dg, err := passes.Autodiff(g, "x")
		require.NoError(t, err)
		ops := map[string]int{}
		for _, n := range dg.Nodes {
			ops[n.Op]++
		}
		assert.Equal(t, 1, ops[ir.OpContractivePenaltyGradH])
		assert.Equal(t, 1, ops[ir.OpContractivePenaltyGradW])
	})
}

func TestAbsGradientIsZeroAtZero(t *testing.T) {
	// PyTorch's convention, sign(0) = 0, checked exactly where gradcheck cannot look.
	g, m, feeds, wrt, err := gradcheck.OpGraph(ir.OpAbs, ir.Attrs{}, []gradcheck.Operand{{Shape: batched(2), Values: []float64{0, 1, -1, 0, 2, -2}}}, 1)
	require.NoError(t, err)
	dg, err := passes.Autodiff(g, wrt...)
	require.NoError(t, err)
	vals, err := (&interp.Machine{G: dg, Params: m.Params}).Run(feeds)
	require.NoError(t, err)
	d := vals[dg.Grads[0].ID].Data
	r := feeds["r"].Data
	assert.Equal(t, []float64{0, r[1], -r[2], 0, r[4], -r[5]}, d)
}
