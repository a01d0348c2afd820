package rt

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestArgumentChecks(t *testing.T) {
	nan := float32(0)
	nan /= nan
	cases := []struct {
		name string
		err  error
		want string // "" for no error
	}{
		{"a batch in range passes", CheckBatch("m.Predict", 3, 4), ""},
		{"a zero batch names n", CheckBatch("m.Predict", 0, 4), "m.Predict: n = 0 is outside [1, 4]"},
		{"a batch above the maximum names n", CheckBatch("m.Predict", 5, 4), "n = 5 is outside [1, 4]"},
		{"the right batched length passes", CheckLen("m.Predict", "image", 6, 2, 3, true), ""},
		{"a wrong batched length names the argument", CheckLen("m.Predict", "image", 5, 2, 3, true), "m.Predict: image has 5 values, want n×3 = 6 for n = 2"},
		{"a wrong unbatched length names the argument", CheckLen("m.Predict", "w", 5, 2, 3, false), "w has 5 values, want 3"},
		{"finite values pass", CheckFinite("m.Loss", "x", []float32{1, -2, 0}), ""},
		{"NaN names the argument and element", CheckFinite("m.Loss", "x", []float32{1, nan}), "m.Loss: x holds the non-finite value NaN at element 1"},
		{"labels in range pass", CheckLabels("m.Loss", "label", []int32{0, 9}, 10), ""},
		{"a label at the class count fails", CheckLabels("m.Loss", "label", []int32{0, 10}, 10), "m.Loss: label[1] = 10 is not a class index in [0, 10)"},
		{"a negative label fails", CheckLabels("m.Loss", "label", []int32{-1}, 10), "label[0] = -1"},
		{"step labels in range pass", CheckStepLabels("m.Loss", "tags", []int32{0, 3, 2, 1}, 2, 4), ""},
		{"a step label out of range names its item and position", CheckStepLabels("m.Loss", "tags", []int32{0, 1, 2, 3, 3, 4}, 3, 4),
			"m.Loss: tags[5] = 4 is not a class index in [0, 4) (item 1, position 2 of 3)"},
		{"labels and the ignore index pass", CheckLabelsIgnoring("m.Loss", "tags", []int32{0, -100, 3, -100}, 2, 4, -100), ""},
		{"a label beside the ignore index fails", CheckLabelsIgnoring("m.Loss", "tags", []int32{0, -100, -1, 3}, 2, 4, -100),
			"m.Loss: tags[2] = -1 is not a class index in [0, 4) or the ignore index -100 (item 1, position 0 of 2)"},
		{"a label at the class count fails with an ignore index", CheckLabelsIgnoring("m.Loss", "label", []int32{4}, 1, 4, -100),
			"m.Loss: label[0] = 4 is not a class index in [0, 4) or the ignore index -100"},
		{"an ignore index past the classes passes", CheckLabelsIgnoring("m.Loss", "label", []int32{7, 1}, 1, 4, 7), ""},
		{"ids in range pass", CheckIndices("m.Predict", "tokens", []int32{0, 49, 7, 3}, 2, 50), ""},
		{"an id at the vocabulary size names its item and position", CheckIndices("m.Predict", "tokens", []int32{0, 1, 2, 3, 50, 5}, 3, 50),
			"m.Predict: tokens[4] = 50 is not an embedding index in [0, 50) (item 1, position 1 of 3)"},
		{"a negative id of one per item names the element", CheckIndices("m.Predict", "word", []int32{2, -1}, 1, 50),
			"m.Predict: word[1] = -1 is not an embedding index in [0, 50)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.want == "" {
				require.NoError(t, c.err)
				return
			}
			require.ErrorContains(t, c.err, c.want)
			var ae *ArgError
			require.ErrorAs(t, c.err, &ae)
		})
	}
	inf := float32(1)
	for range 200 {
		inf *= 10
	}
	require.Error(t, CheckFinite("m", "x", []float32{0, inf}))
	require.Error(t, CheckFinite("m", "x", []float32{-inf}))
	// Every position of the fast path's unrolled loop and its tail.
	for n := 1; n <= 19; n++ {
		for at := 0; at < n; at++ {
			for _, bad := range []float32{nan, inf, -inf} {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(i) - 3.5
				}
				x[at] = bad
				err := CheckFinite("m", "x", x)
				require.ErrorContains(t, err, fmt.Sprintf("at element %d", at), "n=%d", n)
			}
		}
		require.NoError(t, CheckFinite("m", "x", make([]float32, n)))
	}
	require.Zero(t, testing.AllocsPerRun(10, func() {
		_ = CheckBatch("m", 1, 2)
		_ = CheckLen("m", "x", 2, 1, 2, true)
		_ = CheckFinite("m", "x", []float32{1, 2})
		_ = CheckLabels("m", "l", []int32{1}, 2)
		_ = CheckIndices("m", "l", []int32{1, 0}, 2, 2)
	}))
}
