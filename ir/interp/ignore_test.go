package interp_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

// ignore_index by hand: the ignored row counts neither in the sum nor in the
// divisor, and its gradient is 0; the others' gradient is divided by the rows kept.
func TestIgnoreIndexByHand(t *testing.T) {
	ig := ir.Attrs{Extra: []int{-100}}
	x := batched([]float64{1, -2, 3, 4, 5, -6, 7, 8, 9}, 3, 3)
	labels := labelsT(2, -100, 0)
	got, err := runOp(ir.OpNLLLoss, ig, x, labels)
	require.NoError(t, err)
	assertClose(t, []float64{-(3 + 7) / 2.0}, got.Data, 1e-15)
	g, err := runOp(ir.OpLossGrad, ir.Attrs{Sub: ir.OpNLLLoss, Extra: []int{-100}}, x, labels, scalarT(0.5))
	require.NoError(t, err)
	assertClose(t, []float64{0, 0, -0.25, 0, 0, 0, -0.25, 0, 0}, g.Data, 1e-15)

	// Cross-entropy of equal logits: ln 3 for each kept row, whatever the ignored
	// row holds; gradient (1/3 - onehot)/2 in the kept rows.
	z := batched([]float64{0, 0, 0, 50, -50, 9, 1, 1, 1}, 3, 3)
	ce := labelsT(1, -100, 2)
	got, err = runOp(ir.OpSparseSoftmaxCELoss, ig, z, ce)
	require.NoError(t, err)
	assertClose(t, []float64{math.Log(3)}, got.Data, 1e-15)
	g, err = runOp(ir.OpLossGrad, ir.Attrs{Sub: ir.OpSparseSoftmaxCELoss, Extra: []int{-100}}, z, ce, scalarT(1))
	require.NoError(t, err)
	third, kept := 1.0/3/2, (1.0/3-1)/2
	assertClose(t, []float64{third, kept, third, 0, 0, 0, third, third, kept}, g.Data, 1e-15)
}

// Every row ignored: the loss is 0/0 = NaN, as PyTorch 1.13's, and the gradient 0
// (no row has one), not NaN.
func TestIgnoringEveryRow(t *testing.T) {
	x := batched([]float64{1, 2, 3, 4}, 2, 2)
	for _, op := range []string{ir.OpNLLLoss, ir.OpSparseSoftmaxCELoss} {
		got, err := runOp(op, ir.Attrs{Extra: []int{-100}}, x, labelsT(-100, -100))
		require.NoError(t, err)
		assert.True(t, math.IsNaN(got.Data[0]), "%s: %v", op, got.Data)
		g, err := runOp(ir.OpLossGrad, ir.Attrs{Sub: op, Extra: []int{-100}}, x, labelsT(-100, -100), scalarT(1))
		require.NoError(t, err)
		assert.Equal(t, []float64{0, 0, 0, 0}, g.Data, op)
	}
}

// Only the ignore index is accepted besides the classes: another negative label is
// still an error, and -100 is one without an ignore index.
func TestIgnoreIndexAcceptsOnlyItself(t *testing.T) {
	x := batched([]float64{0, 1, 2, 3, 4, 5}, 2, 3)
	for _, op := range []string{ir.OpNLLLoss, ir.OpSparseSoftmaxCELoss} {
		for _, tc := range []struct {
			name  string
			attrs ir.Attrs
			label float64
		}{
			{"-99 with ignore index -100", ir.Attrs{Extra: []int{-100}}, -99},
			{"-100 with ignore index -1", ir.Attrs{Extra: []int{-1}}, -100},
			{"-100 without an ignore index", ir.Attrs{}, -100},
			{"3 with ignore index -100", ir.Attrs{Extra: []int{-100}}, 3},
		} {
			t.Run(op+": "+tc.name, func(t *testing.T) {
				_, err := runOp(op, tc.attrs, x, labelsT(0, tc.label))
				require.Error(t, err)
				assert.Contains(t, err.Error(), "row 1")
				assert.Contains(t, err.Error(), "not a class index in [0, 3)")
				_, err = runOp(ir.OpLossGrad, ir.Attrs{Sub: op, Extra: tc.attrs.Extra}, x, labelsT(0, tc.label), scalarT(1))
				require.Error(t, err)
				assert.Contains(t, err.Error(), "not a class index")
			})
		}
	}
}
