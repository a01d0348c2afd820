package passes_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// The weight gradient of an Embedding against finite differences, with ids that
// repeat (their rows add up), that hit the first and the last row, and that leave
// rows unselected (whose gradient is zero), for one id per item and for (N, T) ids.
// A padding row is not differentiated here: PyTorch's padding_idx withholds a
// gradient the function has (the forward reads that row), which the ops goldens and
// TestEmbeddingPaddingRowGetsNoGradient check instead.
func TestEmbeddingGradients(t *testing.T) {
	w := gradcheck.Operand{Shape: ir.Shape{6, 3}, Param: true, Lo: -2, Hi: 2}
	runGradCases(t, []gradCase{
		{"one id per item, repeated", ir.OpEmbedding, ir.Attrs{}, []gradcheck.Operand{
			{Shape: batched(), Int: true, Values: []float64{5, 0, 5}}, w}},
		{"(N, T) ids with repeats across items and steps, rows 0 and 5", ir.OpEmbedding, ir.Attrs{}, []gradcheck.Operand{
			{Shape: batched(4), Int: true, Values: []float64{0, 2, 2, 5, 3, 0, 5, 2, 2, 2, 0, 1}}, w}},
		{"(N, A, B) ids", ir.OpEmbedding, ir.Attrs{}, []gradcheck.Operand{
			{Shape: batched(2, 2), Int: true, Values: []float64{1, 1, 4, 0, 5, 3, 1, 1, 2, 0, 4, 4}}, w}},
		{"a padding row no id selects changes nothing", ir.OpEmbedding, ir.Attrs{Extra: []int{3}}, []gradcheck.Operand{
			{Shape: batched(2), Int: true, Values: []float64{0, 5, 5, 1, 2, 0}}, w}},
	})
}

// Autodiff gives an Embedding's weight an EmbeddingGrad of the ids and dy, with the
// weight's shape and the padding index.
func TestEmbeddingGradientRule(t *testing.T) {
	g, _, _, _, err := gradcheck.OpGraph(ir.OpEmbedding, ir.Attrs{Extra: []int{2}}, []gradcheck.Operand{
		{Shape: batched(4), Int: true, Values: make([]float64, 12)}, {Shape: ir.Shape{6, 3}, Param: true}}, 1)
	require.NoError(t, err)
	dg, err := passes.Autodiff(g)
	require.NoError(t, err)
	w := g.ByName("in1")
	d := dg.Nodes[dg.GradOf(w.ID)]
	require.Equal(t, ir.OpEmbeddingGrad, d.Op)
	require.Equal(t, ir.Shape{6, 3}, d.Attrs.Shape)
	require.Equal(t, []int{2}, d.Attrs.Extra)
	require.Equal(t, g.ByName("in0").ID, d.Inputs[0])
}
