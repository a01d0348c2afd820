package passes_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// LogSoftmax through LogSoftmaxGrad, against central differences: rows of the last
// axis of ranks 2 and 3, an unbatched parameter, and logits 40 apart (where the
// softmax of the smallest is about 4e-18: ln of it would lose every digit).
func TestLogSoftmaxGradients(t *testing.T) {
	runGradCases(t, []gradCase{
		{"log-softmax over the last axis", ir.OpLogSoftmax, ir.Attrs{}, []gradcheck.Operand{{Shape: batched(4)}}},
		{"log-softmax of a rank-3 tensor", ir.OpLogSoftmax, ir.Attrs{}, []gradcheck.Operand{{Shape: batched(2, 5), Lo: -4, Hi: 4}}},
		{"log-softmax of an unbatched parameter", ir.OpLogSoftmax, ir.Attrs{}, []gradcheck.Operand{{Shape: ir.Shape{5}, Param: true}}},
		{"log-softmax of logits 40 apart", ir.OpLogSoftmax, ir.Attrs{}, []gradcheck.Operand{{Shape: batched(3), Lo: -20, Hi: 20}}},
	})
}

// NLLLoss with respect to its input (any values, not only log-probabilities), and
// LogSoftmax → NLLLoss as nn builds it after a per-step Dense, with (N), (N, T) and
// (N, A, B) labels: every weight and the input against central differences.
func TestNLLLossGradients(t *testing.T) {
	const batch = gradcheck.BatchSize
	labels := func(n, classes int, seed uint64) []float64 {
		v := uniformValues(n, 0, float64(classes), seed)
		for i := range v {
			v[i] = math.Floor(v[i])
		}
		return v
	}
	t.Run("nll of arbitrary values", func(t *testing.T) {
		g, m, feeds, _, err := gradcheck.OpGraph(ir.OpNLLLoss, ir.Attrs{}, []gradcheck.Operand{
			{Shape: batched(4), Lo: -3, Hi: 3}, {Shape: batched(), Int: true, Values: labels(batch, 4, 5)}}, 11)
		require.NoError(t, err)
		res, err := gradcheck.Check(g, m, feeds, "in0")
		require.NoError(t, err)
		require.Len(t, res, 1)
		assert.Less(t, res[0].MaxRel, maxGradError, res[0].String())
	})
	for _, tc := range []struct {
		name  string
		steps []int
	}{
		{"(N, C) and (N)", nil},
		{"(N, T, C) and (N, T)", []int{4}},
		{"(N, A, B, C) and (N, A, B)", []int{2, 3}},
	} {
		t.Run("a Dense with log_softmax, "+tc.name, func(t *testing.T) {
			const classes, features = 5, 3
			m := nn.New("nll")
			rows := batch
			for _, d := range tc.steps {
				rows *= d
			}
			y := m.Labels("y", tc.steps...)
			xdims := append(append([]int(nil), tc.steps...), features)
			x := m.Input("x", xdims...)
			lp := x.Dense("d", classes, nn.Act("log_softmax"), nn.BiasInit("uniform", 0.5))
			m.Output("lp", lp)
			m.Loss(nn.NLLLoss("loss", lp, y))
			g, err := m.Build()
			require.NoError(t, err)
			lg, err := passes.Lower(g, ir.ModeTrain)
			require.NoError(t, err)
			mach, err := interp.New(lg, 13)
			require.NoError(t, err)
			xs := append([]int{batch}, xdims...)
			feeds := map[string]*interp.Tensor{
				"x": interp.FromData(uniformValues(elemsOf(xs), -3, 3, 21), xs...),
				"y": interp.FromData(labels(rows, classes, 22), append([]int{batch}, tc.steps...)...),
			}
			res, err := gradcheck.Check(lg, mach, feeds, "x")
			require.NoError(t, err)
			require.Len(t, res, 3) // d.weight, d.bias, x
			for _, r := range res {
				assert.Less(t, r.MaxRel, maxGradError, r.String())
			}
		})
	}
}
