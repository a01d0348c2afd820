package rt

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrepareGradsClipsInPyTorchsOrder(t *testing.T) {
	fresh := func() [][]float32 {
		return [][]float32{{3, -4, 0.5}, {12, -0.25}, {}}
	}
	// Independently: the norms of the gradients as given.
	raw := fresh()
	var total float64
	want := make([]float64, len(raw))
	for i, g := range raw {
		for _, v := range g {
			want[i] += float64(v) * float64(v)
		}
		total += want[i]
		want[i] = math.Sqrt(want[i])
	}
	total = math.Sqrt(total)

	for _, tc := range []struct {
		name    string
		value   float32
		maxNorm float64
		expect  func(v float64) float64 // what becomes of one element
	}{
		{"without clipping it only measures", 0, 0, func(v float64) float64 { return v }},
		{"clipping by value clamps each element", 2, 0, func(v float64) float64 { return math.Max(-2, math.Min(2, v)) }},
		{"clipping by norm scales everything to the norm", 0, 1.5, func(v float64) float64 { return v * 1.5 / (total + 1e-6) }},
		{"a norm above the gradients' changes nothing", 0, 100, func(v float64) float64 { return v }},
		{"both clamp first, then scale the clamped values", 2, 1, func(v float64) float64 {
			// Clamped: {2, -2, 0.5}, {2, -0.25}: norm sqrt(12.3125).
			return math.Max(-2, math.Min(2, v)) / (math.Sqrt(12.3125) + 1e-6)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			grads := fresh()
			norms := make([]float64, len(grads))
			norm, tensor, index := PrepareGrads(grads, norms, tc.value, tc.maxNorm)
			assert.Equal(t, -1, tensor)
			assert.Equal(t, -1, index)
			assert.InDelta(t, total, norm, 1e-12, "the global norm before clipping")
			for i := range norms {
				assert.InDelta(t, want[i], norms[i], 1e-12, "norm of tensor %d before clipping", i)
			}
			for i, g := range grads {
				for j, v := range g {
					assert.InDelta(t, tc.expect(float64(raw[i][j])), float64(v), 1e-6, "tensor %d element %d", i, j)
				}
			}
		})
	}

	t.Run("a non-finite gradient is located and nothing is clipped", func(t *testing.T) {
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
			grads := fresh()
			grads[1][1] = bad
			norm, tensor, index := PrepareGrads(grads, nil, 1, 1)
			assert.False(t, norm < math.Inf(1), "norm %g", norm)
			assert.Equal(t, 1, tensor)
			assert.Equal(t, 1, index)
			assert.Equal(t, float32(12), grads[1][0], "left as it was")
		}
	})

	t.Run("it allocates nothing", func(t *testing.T) {
		grads, norms := fresh(), make([]float64, 3)
		assert.Zero(t, testing.AllocsPerRun(100, func() { PrepareGrads(grads, norms, 1, 1) }))
	})

	t.Run("its error names the weight and says the step was skipped", func(t *testing.T) {
		var err error = &NonFiniteError{Method: "lstm.TrainStep", Param: "fc.weight", Index: 3, Value: float32(math.Inf(1))}
		var nf *NonFiniteError
		require.True(t, errors.As(err, &nf))
		assert.Equal(t, "lstm.TrainStep: the gradient of fc.weight is not finite (element 3 is +Inf); the step was skipped", err.Error())
	})
}
