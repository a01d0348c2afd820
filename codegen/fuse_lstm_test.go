package codegen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLSTMStepsAreOneCellCall checks which cell updates fuse into rt.LSTMCell (the
// generated packages of recurrentModels check that the fused code matches the
// interpreter): lstmwide's l1 (no bias) and l2 (bias) do, in Predict storing c and
// h only and in TrainStep also the activations backward reads; l3, with a ReLU cell
// activation, keeps its ops.
func TestLSTMStepsAreOneCellCall(t *testing.T) {
	model := recurrentModel(t, "lstmwide")
	g, err := model(5).Build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "lstmwide", MaxBatch: 4, Train: true})
	require.NoError(t, err)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	predict := src["predict.go"][:strings.Index(src["predict.go"], "func (m *Model) Loss(")]
	calls := regexp.MustCompile(`rt\.LSTMCell\(n, (\d+), [^\n]*`)
	t.Run("Predict calls it for step 0 and the loop of each tanh layer, storing c and h", func(t *testing.T) {
		got := calls.FindAllStringSubmatch(predict, -1)
		require.Len(t, got, 4)
		for i, c := range got {
			assert.Equal(t, []string{"16", "16", "17", "17"}[i], c[1])
			assert.True(t, strings.HasSuffix(c[0], "nil, nil, nil, nil, nil)"), c[0])
		}
		assert.Contains(t, got[0][0], "+n*64], nil, ", "l1 has no bias")
		assert.NotContains(t, got[2][0], "], nil, m.arena", "l2 has one")
	})
	t.Run("TrainStep stores the activations backward reads", func(t *testing.T) {
		got := calls.FindAllStringSubmatch(src["train.go"], -1)
		require.Len(t, got, 4)
		for _, c := range got {
			assert.NotContains(t, c[0], "nil, nil", c[0])
		}
	})
	t.Run("the ReLU layer keeps its gate slices and activations", func(t *testing.T) {
		assert.Contains(t, predict, "// l3/t[step]/i: Sigmoid N×3")
		assert.Contains(t, predict, "l3/t[step]/g (Relu)")
		assert.NotContains(t, predict, "// l1/t[step]/i: Sigmoid")
	})
}
