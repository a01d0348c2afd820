package interp_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/rt"
)

// aeGoldenPath holds PyTorch's values for the autoencoder ops;
// testdata/torch/ae_golden.py regenerates it.
const aeGoldenPath = "../../testdata/torch/ae_golden.json"

func TestAutoencoderOpsMatchPyTorch(t *testing.T) {
	raw, err := os.ReadFile(aeGoldenPath)
	require.NoError(t, err)
	var f struct {
		Cases []opsGoldenCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	require.NotEmpty(t, f.Cases)
	covered := map[string]bool{}
	for _, tc := range f.Cases {
		covered[tc.Op] = true
		t.Run(tc.Op+": "+tc.Name, func(t *testing.T) {
			got, err := runOp(tc.Op, tc.Attrs, tc.Inputs...)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprint(tc.Want.Shape), fmt.Sprint(got.Shape), "shape")
			assertClose(t, tc.Want.Data, got.Data, 1e-12)
		})
	}
	t.Run("the golden file covers every deterministic autoencoder op", func(t *testing.T) {
		for _, op := range []string{
			ir.OpAbs, ir.OpAbsGrad, ir.OpKLSparsity, ir.OpKLSparsityGrad,
			ir.OpContractivePenalty, ir.OpContractivePenaltyGradH, ir.OpContractivePenaltyGradW,
		} {
			assert.True(t, covered[op], "no PyTorch case for %s", op)
		}
	})
}

func TestAutoencoderOpsByHand(t *testing.T) {
	// ρ̂ = (0.1, 0.5): KL(0.1‖0.1) = 0 and KL(0.1‖0.5) = 0.1·ln 0.2 + 0.9·ln 1.8.
	klHalf := 0.1*math.Log(0.2) + 0.9*math.Log(1.8)
	// One unit, h(1-h) = 0.25 and 0.16, row norm 3² + 4² = 25.
	contractive := (0.25*0.25 + 0.16*0.16) * 25 / 2
	// A saturated unit's ρ̂ = 1 is clipped to q = 1-1e-7 (1-q is 1e-7 only up to rounding).
	q := 1 - 1e-7
	for _, tc := range []struct {
		name   string
		op     string
		attrs  ir.Attrs
		inputs []opsGoldenTensor
		want   []float64
	}{
		{"abs of a negative zero is zero", ir.OpAbs, ir.Attrs{},
			[]opsGoldenTensor{batched([]float64{math.Copysign(0, -1), -2}, 1, 2)}, []float64{0, 2}},
		{"kl sparsity is zero for a unit at its target and positive elsewhere", ir.OpKLSparsity, ir.Attrs{Alpha: 0.1},
			[]opsGoldenTensor{batched([]float64{0.05, 0.2, 0.15, 0.8}, 2, 2)}, []float64{klHalf}},
		{"kl sparsity clips a saturated unit instead of taking ln 0", ir.OpKLSparsity, ir.Attrs{Alpha: 0.5},
			[]opsGoldenTensor{batched([]float64{1, 1}, 2, 1)}, []float64{0.5*math.Log(0.5/q) + 0.5*math.Log(0.5/(1-q))}},
		{"kl sparsity gradient is zero where the clip is active", ir.OpKLSparsityGrad, ir.Attrs{Alpha: 0.5},
			[]opsGoldenTensor{batched([]float64{1, 0.3, 1, 0.5}, 2, 2), scalarT(1)}, []float64{0, (0.5/0.6 - 0.5/0.4) / 2, 0, (0.5/0.6 - 0.5/0.4) / 2}},
		{"contractive penalty averages Σ (h(1-h))²·‖w_i‖² over the batch", ir.OpContractivePenalty, ir.Attrs{},
			[]opsGoldenTensor{batched([]float64{0.5, 0.2}, 2, 1), vec([]float64{3, 4}, 1, 2)}, []float64{contractive}},
		{"contractive penalty of a saturated unit is zero", ir.OpContractivePenalty, ir.Attrs{},
			[]opsGoldenTensor{batched([]float64{1, 0}, 1, 2), vec([]float64{3, 4, 5, 6}, 2, 2)}, []float64{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(tc.op, tc.attrs, tc.inputs...)
			require.NoError(t, err)
			assertClose(t, tc.want, got.Data, 1e-14)
		})
	}
}

func runNoise(t *testing.T, op string, attrs ir.Attrs, step uint64, n int) []float64 {
	t.Helper()
	attrs.Shape = ir.Shape{ir.Batch, 1000}
	node := &ir.Node{Op: op, Shape: attrs.Shape.Clone(), Attrs: attrs}
	y, err := interp.Kernels[op](&interp.Ctx{N: n, Step: step}, node, nil)
	require.NoError(t, err)
	require.Equal(t, []int{n, 1000}, y.Shape)
	return y.Data
}

func TestRandomNormal(t *testing.T) {
	const seed, step, sd = 11, 4, 0.5
	z := runNoise(t, ir.OpRandomNormal, ir.Attrs{Alpha: sd, Seed: seed}, step, 10)
	t.Run("each element is alpha times rt.Normal of its flat index", func(t *testing.T) {
		for i, v := range z {
			require.Equal(t, sd*rt.Normal(seed, step, uint64(i)), v, "element %d", i)
		}
	})
	t.Run("10 000 draws have mean 0 and standard deviation alpha", func(t *testing.T) {
		var s, s2 float64
		for _, v := range z {
			s += v
			s2 += v * v
		}
		mean := s / float64(len(z))
		// The standard error of the mean is 0.5/100; of the deviation about 0.5/141.
		assert.InDelta(t, 0, mean, 0.02)
		assert.InDelta(t, sd, math.Sqrt(s2/float64(len(z))-mean*mean), 0.02)
	})
	t.Run("a smaller batch draws the same numbers for the items it has", func(t *testing.T) {
		assert.Equal(t, z[:3000], runNoise(t, ir.OpRandomNormal, ir.Attrs{Alpha: sd, Seed: seed}, step, 3))
	})
	t.Run("the next step and another seed draw afresh", func(t *testing.T) {
		assert.NotEqual(t, z, runNoise(t, ir.OpRandomNormal, ir.Attrs{Alpha: sd, Seed: seed}, step+1, 10))
		assert.NotEqual(t, z, runNoise(t, ir.OpRandomNormal, ir.Attrs{Alpha: sd, Seed: seed + 1}, step, 10))
	})
}

func TestKeepMask(t *testing.T) {
	const rate, seed, step = 0.3, 9, 5
	mask := runNoise(t, ir.OpKeepMask, ir.Attrs{Rate: rate, Seed: seed}, step, 10)
	t.Run("it keeps exactly the units DropoutMask keeps, unscaled", func(t *testing.T) {
		drop := runNoise(t, ir.OpDropoutMask, ir.Attrs{Rate: rate, Seed: seed}, step, 10)
		for i := range mask {
			if drop[i] == 0 {
				require.Zero(t, mask[i], "element %d", i)
			} else {
				require.Equal(t, 1.0, mask[i], "element %d", i)
			}
		}
	})
	t.Run("about rate of 10 000 units are zero", func(t *testing.T) {
		zeros := 0
		for _, v := range mask {
			if v == 0 {
				zeros++
			}
		}
		assert.InDelta(t, rate, float64(zeros)/float64(len(mask)), 0.03)
	})
	t.Run("the next step masks other units", func(t *testing.T) {
		assert.NotEqual(t, mask, runNoise(t, ir.OpKeepMask, ir.Attrs{Rate: rate, Seed: seed}, step+1, 10))
	})
}

func TestAutoencoderShapeRulesRejectBadInputs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		op     string
		attrs  ir.Attrs
		inputs []opsGoldenTensor
		msg    string
	}{
		{"kl sparsity needs a target in (0, 1)", ir.OpKLSparsity, ir.Attrs{Alpha: 1},
			[]opsGoldenTensor{batched([]float64{0.5}, 1, 1)}, "target activation 1 must be in (0, 1)"},
		{"kl sparsity needs batched activations", ir.OpKLSparsity, ir.Attrs{Alpha: 0.1},
			[]opsGoldenTensor{vec([]float64{0.5, 0.5}, 2)}, "needs batched activations"},
		{"the contractive penalty needs the encoder weight of h's units", ir.OpContractivePenalty, ir.Attrs{},
			[]opsGoldenTensor{batched([]float64{0.5, 0.5}, 1, 2), vec([]float64{1, 2, 3}, 3, 1)}, "w must be the encoder weight (2, inputs), not 3×1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runOp(tc.op, tc.attrs, tc.inputs...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	t.Run("random normal needs a positive standard deviation", func(t *testing.T) {
		_, err := ir.NewGraph("g").Add(ir.OpRandomNormal, "eps", "noise", ir.Attrs{Shape: ir.Shape{ir.Batch, 2}})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "standard deviation 0 must be positive")
	})
	t.Run("keep mask needs a rate below 1", func(t *testing.T) {
		_, err := ir.NewGraph("g").Add(ir.OpKeepMask, "mask", "noise", ir.Attrs{Shape: ir.Shape{ir.Batch, 2}, Rate: 1})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "masking rate 1 must be in [0, 1)")
	})
}
