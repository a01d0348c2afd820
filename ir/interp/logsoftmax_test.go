package interp_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

// LogSoftmax where ln(softmax) would underflow: a logit 1000 below the maximum has
// log-probability -1000 exactly (to rounding), not -inf; equal huge logits do not
// overflow.
func TestLogSoftmaxOfExtremeLogits(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		want []float64
	}{
		{"a logit 1000 below the other", []float64{1000, 0}, []float64{-math.Log1p(math.Exp(-1000)), -1000}},
		{"equal huge logits", []float64{1e308, 1e308, 1e308, 1e308}, []float64{-math.Log(4), -math.Log(4), -math.Log(4), -math.Log(4)}},
		{"three classes by hand", []float64{0, math.Log(2), math.Log(5)}, []float64{-math.Log(8), math.Log(2) - math.Log(8), math.Log(5) - math.Log(8)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(ir.OpLogSoftmax, ir.Attrs{}, batched(tc.x, 1, len(tc.x)))
			require.NoError(t, err)
			assertClose(t, tc.want, got.Data, 1e-15)
		})
	}
}

// NLL by hand: the mean of -x at each row's label, whatever x holds, and the
// gradient -dloss/R at the labels and 0 elsewhere.
func TestNLLByHand(t *testing.T) {
	x := batched([]float64{1, -2, 3, 4, 5, -6}, 2, 3)
	got, err := runOp(ir.OpNLLLoss, ir.Attrs{}, x, labelsT(2, 1))
	require.NoError(t, err)
	assertClose(t, []float64{-(3 + 5) / 2.0}, got.Data, 1e-15)
	g, err := runOp(ir.OpLossGrad, ir.Attrs{Sub: ir.OpNLLLoss}, x, labelsT(2, 1), scalarT(0.5))
	require.NoError(t, err)
	assertClose(t, []float64{0, 0, -0.25, 0, -0.25, 0}, g.Data, 1e-15)
}

func TestNLLLabelsMustBeClassIndices(t *testing.T) {
	x := batched([]float64{0, 1, 2, 3, 4, 5}, 2, 3)
	for _, tc := range []struct {
		name  string
		label float64
	}{
		{"a label equal to the class count", 3},
		{"a negative label (PyTorch's ignore_index -100 is not supported)", -100},
		{"a fractional label", 1.5},
	} {
		t.Run(tc.name+" is an error from the loss, naming the layer", func(t *testing.T) {
			_, err := runOp(ir.OpNLLLoss, ir.Attrs{}, x, labelsT(0, tc.label))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "layer (NLLLoss)")
			assert.Contains(t, err.Error(), "row 1")
			assert.Contains(t, err.Error(), "not a class index in [0, 3)")
		})
		t.Run(tc.name+" is an error from its gradient", func(t *testing.T) {
			_, err := runOp(ir.OpLossGrad, ir.Attrs{Sub: ir.OpNLLLoss}, x, labelsT(0, tc.label), scalarT(1))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not a class index")
		})
	}
	labels := opsGoldenTensor{Shape: []int{2, 3}, Batched: true, DType: ir.Int, Data: []float64{0, 1, 2, 3, 0, 4}}
	_, err := runOp(ir.OpNLLLoss, ir.Attrs{}, batched(seq(2*3*4), 2, 3, 4), labels)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "row 5 (position [1 2]): label 4 is not a class index in [0, 4)")
}
