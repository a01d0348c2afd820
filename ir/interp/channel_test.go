package interp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
)

func TestChannelOpsByHand(t *testing.T) {
	// x (2,2,2): batch 0 = [[1,2],[3,4]], batch 1 = [[5,6],[7,8]]; channel 0 holds
	// 1,2,5,6 and channel 1 holds 3,4,7,8.
	x := batched([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2)
	v := vec([]float64{10, -1}, 2)
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		in    []opsGoldenTensor
		want  []float64
	}{
		{"bias add adds each channel's value", ir.OpBiasAdd, ir.Attrs{}, []opsGoldenTensor{x, v}, []float64{11, 12, 2, 3, 15, 16, 6, 7}},
		{"channel mul scales each channel", ir.OpChannelMul, ir.Attrs{}, []opsGoldenTensor{x, v}, []float64{10, 20, -3, -4, 50, 60, -7, -8}},
		{"channel sum adds over batch and space", ir.OpChannelSum, ir.Attrs{}, []opsGoldenTensor{x}, []float64{14, 22}},
		{"channel mean divides by batch times space", ir.OpChannelMean, ir.Attrs{}, []opsGoldenTensor{x}, []float64{3.5, 5.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(tc.op, tc.attrs, tc.in...)
			require.NoError(t, err)
			assertClose(t, tc.want, got.Data, 1e-15)
		})
	}
	t.Run("channel broadcast with mean divides by the elements per channel", func(t *testing.T) {
		got, err := runOpBatch(2, ir.OpChannelBroadcast, ir.Attrs{Shape: ir.Shape{ir.Batch, 2, 2}, Mean: true}, v)
		require.NoError(t, err)
		assertClose(t, []float64{2.5, 2.5, -0.25, -0.25, 2.5, 2.5, -0.25, -0.25}, got.Data, 1e-15)
	})
}

// runningUpdateMachine is state (a parameter) updated from stat with x's shape.
func runningUpdateMachine(t *testing.T, unbiased bool, xShape ir.Shape) (*interp.Machine, int) {
	t.Helper()
	g := ir.NewGraph("bn")
	state, err := g.Add(ir.OpParam, "bn.running_var", "bn", ir.Attrs{Shape: ir.Shape{2}, Role: ir.RoleState, Init: &ir.Init{Kind: ir.InitOnes}})
	require.NoError(t, err)
	stat, err := g.Add(ir.OpInput, "stat", "bn", ir.Attrs{Shape: ir.Shape{2}, Role: ir.RoleData})
	require.NoError(t, err)
	x, err := g.Add(ir.OpInput, "x", "bn", ir.Attrs{Shape: xShape, Role: ir.RoleData})
	require.NoError(t, err)
	upd, err := g.Add(ir.OpRunningUpdate, "bn/update_var", "bn", ir.Attrs{Momentum: 0.1, Unbiased: unbiased}, state, stat, x)
	require.NoError(t, err)
	m, err := interp.New(g, 1)
	require.NoError(t, err)
	return m, upd
}

func TestRunningUpdateChangesTheParameterInPlace(t *testing.T) {
	m, upd := runningUpdateMachine(t, true, ir.Shape{ir.Batch, 2, 2})
	feeds := map[string]*interp.Tensor{
		"stat": interp.FromData([]float64{3, 0.5}, 2),
		"x":    interp.NewTensor(2, 2, 2), // 4 values per channel: Bessel's factor 4/3
	}
	vals, err := m.Run(feeds)
	require.NoError(t, err)
	want := []float64{0.9 + 0.1*3*4/3, 0.9 + 0.1*0.5*4/3}
	state := m.Param("bn.running_var")
	assertClose(t, want, state.Data, 1e-15, "state after one step")
	assertClose(t, want, vals[upd].Data, 1e-15, "returned value")

	vals[upd].Data[0] = 100
	assert.InDelta(t, want[0], state.Data[0], 1e-15, "the returned value aliases the state")

	_, err = m.Run(feeds)
	require.NoError(t, err)
	assertClose(t, []float64{0.9*want[0] + 0.1*3*4/3, 0.9*want[1] + 0.1*0.5*4/3}, state.Data, 1e-15, "state after two steps")
}

func TestRunningUpdateOfOneValuePerChannelIsAnError(t *testing.T) {
	m, _ := runningUpdateMachine(t, true, ir.Shape{ir.Batch, 2})
	_, err := m.Run(map[string]*interp.Tensor{"stat": interp.NewTensor(2), "x": interp.NewTensor(1, 2)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bn (RunningUpdate)")
	assert.Contains(t, err.Error(), "more than 1 value per channel")

	// The biased update (running mean) needs no correction and accepts it.
	m, _ = runningUpdateMachine(t, false, ir.Shape{ir.Batch, 2})
	_, err = m.Run(map[string]*interp.Tensor{"stat": interp.NewTensor(2), "x": interp.NewTensor(1, 2)})
	require.NoError(t, err)
}
