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

// The sparse categorical cross-entropy with a label per row of the last axis, as nn
// builds it: from logits one SparseSoftmaxCELoss, on probabilities OneHot then Keras'
// CategoricalCELoss; on (N, C) with (N) labels and on a tagger's (N, T, C) with
// (N, T) labels. The gradient with respect to the prediction and, through a per-step
// Dense with a softmax, every weight and the input sequence, against central
// differences. The probabilities are kept inside the clip range [1e-7, 1-1e-7], where
// the loss is smooth.
func TestSparseCategoricalCrossEntropyGradients(t *testing.T) {
	const batch = gradcheck.BatchSize
	labels := func(n, classes int, seed uint64) []float64 {
		v := uniformValues(n, 0, float64(classes), seed)
		for i := range v {
			v[i] = math.Floor(v[i])
		}
		return v
	}
	for _, tc := range []struct {
		name   string
		steps  []int // the labels' dims after the batch
		logits bool
		dense  bool // the prediction comes from a Dense (softmax unless logits) on x
	}{
		{"from logits, (N, C) and (N)", nil, true, false},
		{"from logits, (N, T, C) and (N, T)", []int{4}, true, false},
		{"from logits, (N, A, B, C) and (N, A, B)", []int{2, 3}, true, false},
		{"probabilities, (N, C) and (N)", nil, false, false},
		{"probabilities, (N, T, C) and (N, T)", []int{4}, false, false},
		{"a per-step Dense with softmax, (N, T, C) and (N, T)", []int{4}, false, true},
		{"a per-step Dense, logits, (N, T, C) and (N, T)", []int{4}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const classes, features = 5, 3
			m := nn.New("scce")
			rows := batch
			for _, d := range tc.steps {
				rows *= d
			}
			y := m.Labels("y", tc.steps...)
			var x, p *nn.T
			var opts []nn.Option
			if tc.logits {
				opts = append(opts, nn.FromLogits)
			}
			xdims := append(append([]int(nil), tc.steps...), classes)
			lo, hi := -3.0, 3.0
			if tc.dense {
				xdims[len(xdims)-1] = features
				x = m.Input("x", xdims...)
				act := nn.Act("softmax")
				if tc.logits {
					act = nn.Act("linear")
				}
				p = x.Dense("d", classes, act, nn.BiasInit("uniform", 0.5))
			} else {
				x = m.Input("x", xdims...)
				p = x
				if !tc.logits {
					lo, hi = 0.05, 0.95 // unnormalised probabilities, inside the clip
				}
			}
			m.Output("p", p)
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", p, y, opts...))
			g, err := m.Build()
			require.NoError(t, err)
			lg, err := passes.Lower(g, ir.ModeTrain)
			require.NoError(t, err)
			mach, err := interp.New(lg, 13)
			require.NoError(t, err)
			xs := append([]int{batch}, xdims...)
			feeds := map[string]*interp.Tensor{
				"x": interp.FromData(uniformValues(elemsOf(xs), lo, hi, 21), xs...),
				"y": interp.FromData(labels(rows, classes, 22), append([]int{batch}, tc.steps...)...),
			}
			res, err := gradcheck.Check(lg, mach, feeds, "x")
			require.NoError(t, err)
			want := 1
			if tc.dense {
				want = 3 // d.weight, d.bias, x
			}
			require.Len(t, res, want)
			for _, r := range res {
				assert.Less(t, r.MaxRel, maxGradError, r.String())
			}
		})
	}
}
