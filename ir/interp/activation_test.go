package interp_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
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

// The smooth activations at points whose values are known in closed form, and the
// branches PyTorch takes at 0 and at softplus' threshold.
func TestSmoothActivationsByHand(t *testing.T) {
	ones := batched([]float64{1, 1, 1, 1}, 1, 4)
	x := batched([]float64{-math.Ln2, 0, 1, 21}, 1, 4)
	phi1 := 0.5 * math.Erfc(-1/math.Sqrt2) // Φ(1)
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		in    []opsGoldenTensor
		want  []float64
	}{
		{"elu of -ln 2 is -alpha/2", ir.OpElu, ir.Attrs{Alpha: 0.5}, []opsGoldenTensor{x}, []float64{-0.25, 0, 1, 21}},
		{"elu's derivative is alpha at 0, as PyTorch's", ir.OpEluGrad, ir.Attrs{Alpha: 0.5}, []opsGoldenTensor{x, ones}, []float64{0.25, 0.5, 1, 1}},
		{"selu scales elu", ir.OpSelu, ir.Attrs{}, []opsGoldenTensor{x}, []float64{-ir.SeluScale * ir.SeluAlpha / 2, 0, ir.SeluScale, 21 * ir.SeluScale}},
		{"selu's derivative is scale·alpha at 0", ir.OpSeluGrad, ir.Attrs{}, []opsGoldenTensor{x, ones}, []float64{ir.SeluScale * ir.SeluAlpha / 2, ir.SeluScale * ir.SeluAlpha, ir.SeluScale, ir.SeluScale}},
		{"softplus of -ln 2 is ln 1.5, of 0 ln 2, and x above 20", ir.OpSoftplus, ir.Attrs{}, []opsGoldenTensor{x}, []float64{math.Log(1.5), math.Ln2, math.Log1p(math.E), 21}},
		{"softplus' derivative is the sigmoid, and 1 above 20", ir.OpSoftplusGrad, ir.Attrs{}, []opsGoldenTensor{x, ones}, []float64{1.0 / 3, 0.5, 1 / (1 + math.Exp(-1)), 1}},
		{"gelu of 1 is Φ(1)", ir.OpGelu, ir.Attrs{}, []opsGoldenTensor{x}, []float64{-math.Ln2 * 0.5 * math.Erfc(math.Ln2/math.Sqrt2), 0, phi1, 21}},
		{"gelu's derivative at 0 is 1/2 and at 1 is Φ(1) + φ(1)", ir.OpGeluGrad, ir.Attrs{}, []opsGoldenTensor{batched([]float64{0, 1}, 1, 2), batched([]float64{1, 1}, 1, 2)}, []float64{0.5, phi1 + math.Exp(-0.5)/math.Sqrt(2*math.Pi)}},
		{"silu of -ln 2 is -ln 2/3", ir.OpSilu, ir.Attrs{}, []opsGoldenTensor{x}, []float64{-math.Ln2 / 3, 0, 1 / (1 + math.Exp(-1)), 21 / (1 + math.Exp(-21))}},
		{"silu's derivative at 0 is 1/2", ir.OpSiluGrad, ir.Attrs{}, []opsGoldenTensor{batched([]float64{0}, 1, 1), batched([]float64{2}, 1, 1)}, []float64{1}},
		{"tanh gelu at 0 and its derivative there", ir.OpGeluGrad, ir.Attrs{Sub: ir.GeluTanh}, []opsGoldenTensor{batched([]float64{0}, 1, 1), batched([]float64{3}, 1, 1)}, []float64{1.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(tc.op, tc.attrs, tc.in...)
			require.NoError(t, err)
			assertClose(t, tc.want, got.Data, 1e-15)
		})
	}
	t.Run("the constants are rt's", func(t *testing.T) {
		assert.Equal(t, float64(ir.SeluAlpha), float64(rt.SeluAlpha))
		assert.Equal(t, float64(ir.SeluScale), float64(rt.SeluScale))
		assert.Equal(t, float64(ir.SoftplusThreshold), float64(rt.SoftplusThreshold))
	})
}
