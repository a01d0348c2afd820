package passes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
)

// pairAwayFrom returns prediction and target values whose differences d = p - t keep
// gap away from every kink in kinks (and from -kink), so no finite-difference step
// crosses one.
func pairAwayFrom(n int, kinks []float64, gap float64, seed uint64) (p, t []float64) {
	t = uniformValues(n, -1, 1, seed)
	p = make([]float64, n)
	d := uniformValues(n, -3, 3, seed+1)
	for i := range d {
		for again := true; again; {
			again = false
			for _, k := range kinks {
				for _, kk := range []float64{k, -k} {
					if d[i] > kk-gap && d[i] < kk+gap {
						d[i] = kk + gap + 0.01 // step past it, and check again
						again = true
					}
				}
			}
		}
		p[i] = t[i] + d[i]
	}
	return p, t
}

// The regression losses are differentiated with respect to both prediction and
// target.
func TestRegressionLossGradients(t *testing.T) {
	s := batched(4)
	n := elems(s)
	mp, mt := pairAwayFrom(n, []float64{0}, 0.05, 1)
	hp, ht := pairAwayFrom(n, []float64{0, 1}, 0.05, 2) // delta 1: |d| stays 0.05 away from 1
	for _, tc := range []gradCase{
		{"mse", ir.OpMSELoss, ir.Attrs{}, []gradcheck.Operand{{Shape: s}, {Shape: s}}},
		{"mae away from p = t", ir.OpMAELoss, ir.Attrs{}, []gradcheck.Operand{{Shape: s, Values: mp}, {Shape: s, Values: mt}}},
		{"huber on both sides of delta, away from it", ir.OpHuberLoss, ir.Attrs{Alpha: 1}, []gradcheck.Operand{{Shape: s, Values: hp}, {Shape: s, Values: ht}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := gradcheck.CheckOp(tc.op, tc.attrs, tc.operands, 7)
			require.NoError(t, err)
			require.Len(t, res, 2, "prediction and target")
			for _, r := range res {
				assert.Less(t, r.MaxRel, maxGradError, r.String())
			}
		})
	}
	t.Run("huber data really straddles delta", func(t *testing.T) {
		in, out := 0, 0
		for i := range hp {
			if d := hp[i] - ht[i]; d > -1 && d < 1 {
				in++
			} else {
				out++
			}
		}
		assert.Positive(t, in)
		assert.Positive(t, out)
	})
}

// The cross-entropy losses are differentiated with respect to the prediction only.
func TestCrossEntropyLossGradients(t *testing.T) {
	s := batched(4)
	labels := []float64{2, 0, 3} // one per batch item (gradcheck.BatchSize of them)
	require.Len(t, labels, gradcheck.BatchSize)
	for _, tc := range []gradCase{
		{"bce with probabilities in [0.05, 0.95]", ir.OpBCELoss, ir.Attrs{}, []gradcheck.Operand{{Shape: s, Lo: 0.05, Hi: 0.95}, {Shape: s, Lo: 0, Hi: 1}}},
		{"bce with logits", ir.OpBCEWithLogitsLoss, ir.Attrs{}, []gradcheck.Operand{{Shape: s, Lo: -4, Hi: 4}, {Shape: s, Lo: 0, Hi: 1}}},
		{"softmax cross-entropy with soft labels", ir.OpSoftmaxCELoss, ir.Attrs{}, []gradcheck.Operand{{Shape: s, Lo: -3, Hi: 3}, {Shape: s, Lo: 0, Hi: 1}}},
		{"softmax cross-entropy on a rank-3 prediction", ir.OpSoftmaxCELoss, ir.Attrs{}, []gradcheck.Operand{{Shape: batched(2, 3)}, {Shape: batched(2, 3), Lo: 0, Hi: 1}}},
		{"sparse softmax cross-entropy", ir.OpSparseSoftmaxCELoss, ir.Attrs{}, []gradcheck.Operand{{Shape: s, Lo: -3, Hi: 3}, {Shape: batched(), Int: true, Values: labels}}},
		{"categorical cross-entropy on unnormalised probabilities", ir.OpCategoricalCELoss, ir.Attrs{}, []gradcheck.Operand{{Shape: s, Lo: 0.05, Hi: 0.95}, {Shape: s, Lo: 0, Hi: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, m, feeds, _, err := gradcheck.OpGraph(tc.op, tc.attrs, tc.operands, 11)
			require.NoError(t, err)
			res, err := gradcheck.Check(g, m, feeds, "in0")
			require.NoError(t, err)
			require.Len(t, res, 1)
			assert.Less(t, res[0].MaxRel, maxGradError, res[0].String())
		})
		if tc.op == ir.OpSparseSoftmaxCELoss {
			continue // integer labels cannot be differentiated at all; autodiff says so itself
		}
		t.Run(tc.name+": a gradient for the target is an error naming the layer", func(t *testing.T) {
			_, err := gradcheck.CheckOp(tc.op, tc.attrs, tc.operands, 11)
			require.Error(t, err)
			var ie *ir.Error
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, "op", ie.Layer)
			assert.Contains(t, err.Error(), "gradient with respect to the target of a cross-entropy loss is not supported")
		})
	}
}
