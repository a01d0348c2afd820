package interp_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

func scalarT(v float64) opsGoldenTensor { return opsGoldenTensor{Data: []float64{v}} }

func labelsT(v ...float64) opsGoldenTensor {
	return opsGoldenTensor{Shape: []int{len(v)}, Batched: true, DType: ir.Int, Data: v}
}

func TestLossesByHand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		p, t  opsGoldenTensor
		want  float64
	}{
		{"mse averages squared errors over every element", ir.OpMSELoss, ir.Attrs{},
			batched([]float64{1, 2, 3, 4}, 2, 2), batched([]float64{0, 2, 5, 4}, 2, 2), (1 + 0 + 4 + 0) / 4.0},
		{"mae averages absolute errors", ir.OpMAELoss, ir.Attrs{},
			batched([]float64{1, 2, 3, 4}, 2, 2), batched([]float64{0, 2, 5, 4}, 2, 2), (1 + 0 + 2 + 0) / 4.0},
		// d = 0.5 is inside delta 1 (½·0.25), d = -3 outside (1·(3-½)).
		{"huber is quadratic inside delta and linear outside", ir.OpHuberLoss, ir.Attrs{Alpha: 1},
			batched([]float64{0.5, -3}, 2, 1), batched([]float64{0, 0}, 2, 1), (0.125 + 2.5) / 2},
		{"huber is continuous at |d| = delta", ir.OpHuberLoss, ir.Attrs{Alpha: 2},
			batched([]float64{2, -2}, 2, 1), batched([]float64{0, 0}, 2, 1), 2},
		// Each wrong certainty costs the clamped -ln 0 = 100; right ones cost 0.
		{"bce clamps each log at -100 for p = 0 and 1", ir.OpBCELoss, ir.Attrs{},
			batched([]float64{0, 1, 0, 1}, 1, 4), batched([]float64{1, 0, 0, 1}, 1, 4), 50},
		{"bce with a soft target on a certain prediction", ir.OpBCELoss, ir.Attrs{},
			batched([]float64{0}, 1, 1), batched([]float64{0.5}, 1, 1), 50},
		{"bce with logits at 0 is ln 2", ir.OpBCEWithLogitsLoss, ir.Attrs{},
			batched([]float64{0, 0}, 1, 2), batched([]float64{0, 1}, 1, 2), math.Ln2},
		{"bce with logits of -1000 for target 1 is 1000, not infinity", ir.OpBCEWithLogitsLoss, ir.Attrs{},
			batched([]float64{-1000}, 1, 1), batched([]float64{1}, 1, 1), 1000},
		{"softmax cross-entropy of equal logits is ln C", ir.OpSoftmaxCELoss, ir.Attrs{},
			batched([]float64{7, 7, 7, 7}, 1, 4), batched([]float64{0, 0, 1, 0}, 1, 4), math.Log(4)},
		{"softmax cross-entropy of a huge wrong margin is the margin", ir.OpSoftmaxCELoss, ir.Attrs{},
			batched([]float64{1000, 0}, 1, 2), batched([]float64{0, 1}, 1, 2), 1000},
		{"sparse softmax cross-entropy averages over the batch", ir.OpSparseSoftmaxCELoss, ir.Attrs{},
			batched([]float64{0, 0, 1000, 0}, 2, 2), labelsT(1, 1), (math.Ln2 + 1000) / 2},
		// Row 0: p = (1, 0) against class 1 is clipped to 1e-7, costing -ln 1e-7.
		// Row 1: (2, 2) normalises to (½, ½), costing ln 2.
		{"categorical cross-entropy normalises and clips", ir.OpCategoricalCELoss, ir.Attrs{},
			batched([]float64{1, 0, 2, 2}, 2, 2), batched([]float64{0, 1, 1, 0}, 2, 2), (-math.Log(1e-7) + math.Ln2) / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(tc.op, tc.attrs, tc.p, tc.t)
			require.NoError(t, err)
			require.Len(t, got.Data, 1)
			assert.InEpsilon(t, tc.want, got.Data[0], 1e-14)
		})
	}
}

func TestLossGradientsByHand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sub   string
		alpha float64
		p, t  opsGoldenTensor
		dy    float64
		want  []float64
	}{
		{"mse gradient is 2(p-t)/M times dloss", ir.OpMSELoss, 0,
			batched([]float64{1, 2}, 1, 2), batched([]float64{0, 4}, 1, 2), 3, []float64{3, -6}},
		{"mae gradient is 0 where p = t", ir.OpMAELoss, 0,
			batched([]float64{1, 2, 3}, 1, 3), batched([]float64{0, 2, 5}, 1, 3), 3, []float64{1, 0, -1}},
		{"huber gradient is d inside delta and ±delta outside", ir.OpHuberLoss, 1,
			batched([]float64{0.5, -3, 3}, 1, 3), batched([]float64{0, 0, 0}, 1, 3), 3, []float64{0.5, -1, 1}},
		// PyTorch's backward divides p - t by max(p(1-p), eps): 0 for the right
		// certainties, ±1/eps for the wrong ones (the clamped formula's derivative
		// would give 1, 0, 0, -1).
		{"bce gradient where a log is clamped is PyTorch's", ir.OpBCELoss, 0,
			batched([]float64{0, 0, 1, 1}, 1, 4), batched([]float64{0, 1, 0, 1}, 1, 4), 4, []float64{0, -1 / ir.BCEEpsilon, 1 / ir.BCEEpsilon, 0}},
		// Near saturation, p(1-p) = 1e-13 < eps: PyTorch's gradient is (p-t)/eps, not
		// the derivative (p-t)/(p(1-p)), ten times larger (found by the random
		// PyTorch models: a sigmoid past 27.6 before BCE).
		{"bce gradient near saturation is PyTorch's", ir.OpBCELoss, 0,
			batched([]float64{1e-13, 0.5}, 1, 2), batched([]float64{1, 0.25}, 1, 2), 2, []float64{(1e-13 - 1) / ir.BCEEpsilon, 1}},
		{"bce with logits gradient is sigmoid(z) - t", ir.OpBCEWithLogitsLoss, 0,
			batched([]float64{0, -1000}, 1, 2), batched([]float64{1, 1}, 1, 2), 2, []float64{-0.5, -1}},
		{"softmax cross-entropy gradient is softmax - t over the batch", ir.OpSoftmaxCELoss, 0,
			batched([]float64{0, 0, 5, 5}, 2, 2), batched([]float64{1, 0, 0, 1}, 2, 2), 2, []float64{-0.5, 0.5, 0.5, -0.5}},
		{"sparse softmax cross-entropy gradient", ir.OpSparseSoftmaxCELoss, 0,
			batched([]float64{0, 0, 5, 5}, 2, 2), labelsT(0, 1), 2, []float64{-0.5, 0.5, 0.5, -0.5}},
		// q = (½, ½), t = (1, 0): g = (-2, 0), Σ g·q = -1, dp = (g + 1)/Σp = (-½, ½)/2.
		{"categorical cross-entropy gradient through the normalisation", ir.OpCategoricalCELoss, 0,
			batched([]float64{1, 1}, 1, 2), batched([]float64{1, 0}, 1, 2), 1, []float64{-0.5, 0.5}},
		{"categorical cross-entropy gradient is 0 through a clipped probability", ir.OpCategoricalCELoss, 0,
			batched([]float64{0, 1}, 1, 2), batched([]float64{1, 0}, 1, 2), 1, []float64{0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(ir.OpLossGrad, ir.Attrs{Sub: tc.sub, Alpha: tc.alpha}, tc.p, tc.t, scalarT(tc.dy))
			require.NoError(t, err)
			assertClose(t, tc.want, got.Data, 1e-15)
		})
	}
}

func TestSparseLabelsMustBeClassIndices(t *testing.T) {
	logits := batched([]float64{0, 1, 2, 3, 4, 5}, 2, 3)
	for _, tc := range []struct {
		name  string
		label float64
	}{
		{"a label equal to the class count", 3},
		{"a negative label", -1},
		{"a fractional label", 1.5},
	} {
		t.Run(tc.name+" is an error from the loss, naming the layer", func(t *testing.T) {
			_, err := runOp(ir.OpSparseSoftmaxCELoss, ir.Attrs{}, logits, labelsT(0, tc.label))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "layer (SparseSoftmaxCELoss)")
			assert.Contains(t, err.Error(), "row 1")
			assert.Contains(t, err.Error(), "not a class index in [0, 3)")
		})
		t.Run(tc.name+" is an error from its gradient", func(t *testing.T) {
			_, err := runOp(ir.OpLossGrad, ir.Attrs{Sub: ir.OpSparseSoftmaxCELoss}, logits, labelsT(0, tc.label), scalarT(1))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not a class index")
		})
	}
}

// Labels of shape (N, T): a bad one is an error from the loss (and from OneHot, for
// the probabilities' form) naming the layer, the flat row and its position.
func TestSparseLabelsPerStepMustBeClassIndices(t *testing.T) {
	logits := batched(seq(2*3*4), 2, 3, 4)
	labels := opsGoldenTensor{Shape: []int{2, 3}, Batched: true, DType: ir.Int, Data: []float64{0, 1, 2, 3, 0, 4}}
	want := "row 5 (position [1 2]): label 4 is not a class index in [0, 4)"
	_, err := runOp(ir.OpSparseSoftmaxCELoss, ir.Attrs{}, logits, labels)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "layer (SparseSoftmaxCELoss)")
	assert.Contains(t, err.Error(), want)
	_, err = runOp(ir.OpLossGrad, ir.Attrs{Sub: ir.OpSparseSoftmaxCELoss}, logits, labels, scalarT(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), want)
	_, err = runOp(ir.OpOneHot, ir.Attrs{Shape: ir.Shape{ir.Batch, 3, 4}}, labels)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "layer (OneHot)")
	assert.Contains(t, err.Error(), want)

	labels.Data[5] = 1.5
	_, err = runOp(ir.OpOneHot, ir.Attrs{Shape: ir.Shape{ir.Batch, 3, 4}}, labels)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "label 1.5 is not a class index in [0, 4)")

	labels.Data[5] = 3
	y, err := runOp(ir.OpOneHot, ir.Attrs{Shape: ir.Shape{ir.Batch, 3, 4}}, labels)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3, 4}, y.Shape)
	assert.Equal(t, []float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1}, y.Data)
}

func TestLossGradRefusesANonLoss(t *testing.T) {
	_, err := runOp(ir.OpLossGrad, ir.Attrs{Sub: ir.OpRelu}, batched([]float64{1}, 1, 1), batched([]float64{1}, 1, 1), scalarT(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a loss op")
}
