package passes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

func TestChannelGradients(t *testing.T) {
	img := gradcheck.Operand{Shape: batched(3, 2, 2)}
	dense := gradcheck.Operand{Shape: batched(3)}
	v := gradcheck.Operand{Shape: ir.Shape{3}, Param: true}
	runGradCases(t, []gradCase{
		{"bias add on NCHW", ir.OpBiasAdd, ir.Attrs{}, []gradcheck.Operand{img, v}},
		{"bias add on (N, C)", ir.OpBiasAdd, ir.Attrs{}, []gradcheck.Operand{dense, v}},
		{"channel mul on NCHW", ir.OpChannelMul, ir.Attrs{}, []gradcheck.Operand{img, v}},
		{"channel mul on (N, C)", ir.OpChannelMul, ir.Attrs{}, []gradcheck.Operand{dense, v}},
		{"channel sum", ir.OpChannelSum, ir.Attrs{}, []gradcheck.Operand{img}},
		{"channel mean", ir.OpChannelMean, ir.Attrs{}, []gradcheck.Operand{img}},
		{"channel broadcast", ir.OpChannelBroadcast, ir.Attrs{Shape: batched(3, 2, 2)}, []gradcheck.Operand{v}},
		{"channel broadcast with mean", ir.OpChannelBroadcast, ir.Attrs{Shape: batched(3, 2, 2), Mean: true}, []gradcheck.Operand{v}},
	})
}

// RunningUpdate's value depends on its inputs, but it is a state update, not part of
// the loss: its rule returns no gradient for any input, even when autodiff asks.
func TestRunningUpdatePassesNoGradient(t *testing.T) {
	g := ir.NewGraph("update")
	x, err := g.Add(ir.OpParam, "x", "bn", ir.Attrs{Shape: ir.Shape{2, 3}, Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitOnes}})
	require.NoError(t, err)
	state, err := g.Add(ir.OpParam, "state", "bn", ir.Attrs{Shape: ir.Shape{3}, Role: ir.RoleState, Init: &ir.Init{Kind: ir.InitZeros}})
	require.NoError(t, err)
	mean, err := g.Add(ir.OpChannelMean, "mean", "bn", ir.Attrs{}, x)
	require.NoError(t, err)
	upd, err := g.Add(ir.OpRunningUpdate, "update", "bn", ir.Attrs{Momentum: 0.1}, state, mean, x)
	require.NoError(t, err)
	// A (contrived) loss that reads the update, so that autodiff does call its rule.
	g.Loss, err = g.Add(ir.OpReduceSum, "loss", "bn", ir.Attrs{}, upd)
	require.NoError(t, err)
	dg, err := passes.Autodiff(g)
	require.NoError(t, err)
	gx := dg.Nodes[dg.GradOf(x)]
	assert.Equal(t, ir.OpFill, gx.Op, "a gradient flowed through the state update to x")
	assert.Zero(t, gx.Attrs.Alpha)
}
