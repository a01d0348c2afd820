package passes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
)

func TestDCERemovesOnlyWhatNothingNeeds(t *testing.T) {
	g, err := passes.Lower(pipelineGraph(t), ir.ModeTrain)
	require.NoError(t, err)
	unused, err := g.Add(ir.OpParam, "unused.weight", "unused", ir.Attrs{Shape: ir.Shape{2}, Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitZeros}})
	require.NoError(t, err)
	g, err = passes.Autodiff(g)
	require.NoError(t, err)

	out, err := passes.DCE(g)
	require.NoError(t, err)
	require.NoError(t, ir.Verify(out))
	names := map[string]bool{}
	for i, n := range out.Nodes {
		require.Equal(t, i, n.ID)
		names[n.Name] = true
	}
	assert.False(t, names["dead"], "an unread node is removed")
	assert.True(t, names["unused.weight"], "parameters are the model's interface and stay")
	assert.True(t, names["t"], "inputs stay")
	assert.True(t, names["bn/update_mean"] && names["bn/update_var"], "effect ops stay though nothing reads them")
	assert.Less(t, len(out.Nodes), len(g.Nodes))
	require.Len(t, out.Grads, len(g.Grads))
	for i, gr := range g.Grads {
		assert.Equal(t, g.Nodes[gr.Of].Name, out.Nodes[out.Grads[i].Of].Name)
		assert.Equal(t, g.Nodes[gr.ID].Name, out.Nodes[out.Grads[i].ID].Name)
	}
	assert.Equal(t, "unused.weight", g.Nodes[unused].Name)

	// The same loss, gradients and running statistics, in the interpreter.
	run := func(g *ir.Graph) ([]*interp.Tensor, *interp.Machine) {
		m, err := interp.New(g, 5)
		require.NoError(t, err)
		feeds := map[string]*interp.Tensor{
			"x": interp.FromData([]float64{0.5, -1, 2, 0.25, 0.75, -0.5}, 2, 3),
			"t": interp.FromData([]float64{1, 0, -1, 0.5, 0.2, 0.3, 0.4, -0.5}, 2, 4),
		}
		vals, err := m.Run(feeds)
		require.NoError(t, err)
		return vals, m
	}
	want, wm := run(g)
	got, gm := run(out)
	assert.Equal(t, want[g.Loss].Data, got[out.Loss].Data)
	for i, gr := range g.Grads {
		assert.Equal(t, want[gr.ID].Data, got[out.Grads[i].ID].Data, "gradient of %s", g.Nodes[gr.Of].Name)
	}
	assert.Equal(t, wm.Param("bn.running_var").Data, gm.Param("bn.running_var").Data)
}
