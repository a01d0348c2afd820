package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

func TestElementwiseMathAndReductionsComputeWhatTheySay(t *testing.T) {
	m := nn.New("math")
	a, b := m.Input("a", 3), m.Input("b", 3)
	q := nn.Div("q", a, b)
	m.Output("log", q.Log("log"))
	m.Output("exp", a.Exp("exp"))
	m.Loss(nn.Sum("sum", q))
	m.AddLoss(nn.Mean("mean", a), 2)
	g, err := m.Build()
	require.NoError(t, err)
	for name, op := range map[string]string{"q": ir.OpDiv, "log": ir.OpLog, "exp": ir.OpExp, "sum": ir.OpReduceSum, "mean": ir.OpReduceMean} {
		require.Equal(t, op, g.ByName(name).Op, name)
	}

	lg, err := passes.Lower(g, ir.ModeInfer)
	require.NoError(t, err)
	mc, err := interp.New(lg, 1)
	require.NoError(t, err)
	av := []float64{1, 2, 3, 4, 5, 6}
	bv := []float64{2, 2, 2, 8, 5, 1}
	vals, err := mc.Run(map[string]*interp.Tensor{"a": interp.FromData(av, 2, 3), "b": interp.FromData(bv, 2, 3)})
	require.NoError(t, err)
	sum, mean := 0.0, 0.0
	for i := range av {
		require.InDelta(t, math.Log(av[i]/bv[i]), vals[lg.Outputs[0].ID].Data[i], 1e-15)
		require.InDelta(t, math.Exp(av[i]), vals[lg.Outputs[1].ID].Data[i], 1e-12)
		sum += av[i] / bv[i]
		mean += av[i] / 6
	}
	require.InDelta(t, sum+2*mean, vals[lg.Loss].Data[0], 1e-12)
}

func TestDivOfDifferentShapesIsAnErrorNamingTheLayer(t *testing.T) {
	m := nn.New("bad")
	nn.Div("ratio", m.Input("a", 3), m.Input("b", 4))
	_, err := m.Build()
	require.ErrorContains(t, err, "ratio")
	require.ErrorContains(t, err, "differ")
}
