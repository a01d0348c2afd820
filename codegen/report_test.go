package codegen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
)

// The brief's bar for memory planning: for the inference of W2 (LeNet) and W4
// (ConvDAE), the planned arena is at most half the sum of all intermediates (every
// value of the inference graph in its own buffer: the unfused program without
// planning). Planning alone must reach that; fusion must shrink both the values
// stored and the arena; LeNet's dense layers must use in-place results.
func TestInferenceArenasAreAtMostHalfTheirIntermediates(t *testing.T) {
	for _, c := range []struct {
		name    string
		model   func() *nn.Model
		inPlace bool
	}{{"LeNet", models.LeNet, true}, {"ConvDAE", models.ConvDAE, false}} {
		t.Run(c.name, func(t *testing.T) {
			g, err := c.model().Build()
			require.NoError(t, err)
			plans := map[bool]MethodPlan{}
			for _, noFusion := range []bool{true, false} {
				r, err := Plans(g, Options{MaxBatch: 64, Train: true, NoFusion: noFusion})
				require.NoError(t, err)
				require.Equal(t, "Predict", r.Methods[0].Method)
				plans[noFusion] = r.Methods[0]
				assert.GreaterOrEqual(t, r.Arena, r.Methods[0].Arena, "one arena serves every method")
			}
			fused, unfused := plans[false], plans[true]
			assert.LessOrEqual(t, 2*unfused.Arena, unfused.Unplanned, "planning alone: %d of %d", unfused.Arena, unfused.Unplanned)
			assert.LessOrEqual(t, 2*fused.Arena, unfused.Unplanned, "fused and planned: %d of %d", fused.Arena, unfused.Unplanned)
			assert.Less(t, fused.Unplanned, unfused.Unplanned, "fusion stores fewer values")
			assert.Less(t, fused.Arena, unfused.Arena, "fusion and in-place results need a smaller arena")
			if c.inPlace {
				assert.Positive(t, fused.InPlace)
			}
			assert.Zero(t, unfused.InPlace+unfused.Fused)
			assert.Equal(t, fused.Heuristics[fused.Strategy], fused.Arena)
		})
	}
}
