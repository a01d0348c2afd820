package passes_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

// The sparse losses with an ignore index against central differences: labels with
// every third row (or step) -100, so that the divisor is the count of the others and
// the ignored rows' gradient is 0. Autodiff must carry the ignore index to LossGrad:
// without it the ignored rows would be read as labels (an error) or the divisor
// would be every row.
func TestIgnoreIndexGradients(t *testing.T) {
	const batch = gradcheck.BatchSize
	labels := func(n, classes int, seed uint64) []float64 {
		v := uniformValues(n, 0, float64(classes), seed)
		for i := range v {
			v[i] = math.Floor(v[i])
			if i%3 == 1 {
				v[i] = -100
			}
		}
		return v
	}
	for _, op := range []string{ir.OpNLLLoss, ir.OpSparseSoftmaxCELoss} {
		for _, tc := range []struct {
			name  string
			steps []int
		}{
			{"(N, C) and (N)", nil},
			{"(N, T, C) and (N, T)", []int{4}},
		} {
			t.Run(op+" ignoring -100, "+tc.name, func(t *testing.T) {
				rows := batch
				for _, d := range tc.steps {
					rows *= d
				}
				g, m, feeds, _, err := gradcheck.OpGraph(op, ir.Attrs{Extra: []int{-100}}, []gradcheck.Operand{
					{Shape: batched(append(append([]int(nil), tc.steps...), 4)...), Lo: -3, Hi: 3},
					{Shape: batched(tc.steps...), Int: true, Values: labels(rows, 4, 5)}}, 11)
				require.NoError(t, err)
				res, err := gradcheck.Check(g, m, feeds, "in0")
				require.NoError(t, err)
				require.Len(t, res, 1)
				assert.Less(t, res[0].MaxRel, maxGradError, res[0].String())
			})
		}
	}
}
