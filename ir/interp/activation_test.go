package interp_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

func TestActivationsByHand(t *testing.T) {
	x := []float64{-2, -0.5, 0, 0.5, 3, -1000}
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		in    []opsGoldenTensor
		want  []float64
	}{
		{"relu clips negatives to zero", ir.OpRelu, ir.Attrs{}, []opsGoldenTensor{batched(x, 1, 6)}, []float64{0, 0, 0, 0.5, 3, 0}},
		{"leaky relu multiplies negatives by the slope", ir.OpLeakyRelu, ir.Attrs{Alpha: 0.1}, []opsGoldenTensor{batched(x, 1, 6)}, []float64{-0.2, -0.05, 0, 0.5, 3, -100}},
		{"sigmoid of 0 is a half and of -1000 is 0 without overflow", ir.OpSigmoid, ir.Attrs{}, []opsGoldenTensor{vec([]float64{0, -1000, 1000, math.Log(3)}, 4)}, []float64{0.5, 0, 1, 0.75}},
		{"tanh of ln 2 is 3/5", ir.OpTanh, ir.Attrs{}, []opsGoldenTensor{vec([]float64{math.Ln2, 0}, 2)}, []float64{0.6, 0}},
		{"relu gradient is 0 at 0", ir.OpReluGrad, ir.Attrs{}, []opsGoldenTensor{batched(x, 1, 6), batched([]float64{1, 1, 1, 1, 1, 1}, 1, 6)}, []float64{0, 0, 0, 1, 1, 0}},
		{"leaky relu gradient is the slope at and below 0", ir.OpLeakyReluGrad, ir.Attrs{Alpha: 0.1}, []opsGoldenTensor{batched(x, 1, 6), batched([]float64{2, 2, 2, 2, 2, 2}, 1, 6)}, []float64{0.2, 0.2, 0.2, 2, 2, 0.2}},
		{"sigmoid gradient from y", ir.OpSigmoidGrad, ir.Attrs{}, []opsGoldenTensor{vec([]float64{0.5, 0.25}, 2), vec([]float64{4, 2}, 2)}, []float64{1, 0.375}},
		{"tanh gradient from y", ir.OpTanhGrad, ir.Attrs{}, []opsGoldenTensor{vec([]float64{0.5, -1}, 2), vec([]float64{4, 2}, 2)}, []float64{3, 0}},
		// y = (½, ½), dy = (1, 0): Σ dy·y = ½, dx = y·(dy - ½) = (¼, -¼).
		{"softmax gradient", ir.OpSoftmaxGrad, ir.Attrs{}, []opsGoldenTensor{batched([]float64{0.5, 0.5}, 1, 2), batched([]float64{1, 0}, 1, 2)}, []float64{0.25, -0.25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(tc.op, tc.attrs, tc.in...)
			require.NoError(t, err)
			assertClose(t, tc.want, got.Data, 1e-15)
		})
	}
}

func TestSoftmaxOfExtremeLogits(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		want []float64
	}{
		{"equal huge logits share evenly", []float64{1e308, 1e308}, []float64{0.5, 0.5}},
		{"a logit 1000 above the rest takes everything", []float64{1000, 0}, []float64{1, 0}},
		{"shifting every logit changes nothing", []float64{1000.5, 1000}, []float64{1 / (1 + math.Exp(-0.5)), 1 / (1 + math.Exp(0.5))}},
		{"opposite extremes", []float64{-1e308, 1e308}, []float64{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(ir.OpSoftmax, ir.Attrs{}, batched(tc.x, 1, len(tc.x)))
			require.NoError(t, err)
			for _, v := range got.Data {
				require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "softmax overflowed: %v", got.Data)
			}
			assertClose(t, tc.want, got.Data, 1e-15)
		})
	}
}

// Softmax normalises each row of the last axis on its own.
func TestSoftmaxRowsSumToOne(t *testing.T) {
	x := []float64{1, 2, 3, -1, 0, 1, 100, 100, 100, 5, -5, 0}
	got, err := runOp(ir.OpSoftmax, ir.Attrs{}, batched(x, 2, 2, 3))
	require.NoError(t, err)
	for r := 0; r < 4; r++ {
		s := got.Data[3*r] + got.Data[3*r+1] + got.Data[3*r+2]
		assert.InDelta(t, 1, s, 1e-15, "row %d", r)
	}
	// Rows 0 and 1 are shifts of each other, so equal.
	assertClose(t, got.Data[0:3], got.Data[3:6], 1e-15)
}
