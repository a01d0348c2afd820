package passes_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
	"github.com/dlgen/dlgen/rt"
)

// noiseGraph is the macro op applied to inputs "a" (and "b" for SampleNormal), each
// (N, 3), with output "y".
func noiseGraph(t *testing.T, op string, attrs ir.Attrs) *ir.Graph {
	t.Helper()
	g := ir.NewGraph("noise")
	a, err := g.Add(ir.OpInput, "a", "input", ir.Attrs{Shape: batched(3), Role: ir.RoleData})
	require.NoError(t, err)
	ins := []int{a}
	if op == ir.OpSampleNormal {
		b, err := g.Add(ir.OpInput, "b", "input", ir.Attrs{Shape: batched(3), Role: ir.RoleData})
		require.NoError(t, err)
		ins = append(ins, b)
	}
	y, err := g.Add(op, "layer", "layer", attrs, ins...)
	require.NoError(t, err)
	g.Outputs = []ir.Output{{Name: "y", ID: y}}
	return g
}

// runNoiseGraph lowers g for mode and runs it at the given step on a = 1..6 and
// b = -0.5, 0.1, ... (batch 2), returning y and the lowered graph's ops.
func runNoiseGraph(t *testing.T, g *ir.Graph, mode string, step uint64) ([]float64, map[string]int) {
	t.Helper()
	lg, err := passes.Lower(g, mode)
	require.NoError(t, err)
	ops := map[string]int{}
	for _, n := range lg.Nodes {
		ops[n.Op]++
	}
	m, err := interp.New(lg, 1)
	require.NoError(t, err)
	m.Step = step
	feeds := map[string]*interp.Tensor{
		"a": interp.FromData([]float64{1, 2, 3, 4, 5, 6}, 2, 3),
		"b": interp.FromData([]float64{-0.5, 0.1, 0.7, 1.3, -1.9, 0}, 2, 3),
	}
	vals, err := m.Run(feeds)
	require.NoError(t, err)
	return vals[lg.Outputs[0].ID].Data, ops
}

func TestGaussianNoiseLowering(t *testing.T) {
	const seed, sd = 21, 0.3
	g := noiseGraph(t, ir.OpGaussianNoise, ir.Attrs{Alpha: sd, Seed: seed})
	t.Run("training adds alpha·rt.Normal of the step and flat index", func(t *testing.T) {
		y, ops := runNoiseGraph(t, g, ir.ModeTrain, 7)
		assert.Equal(t, 1, ops[ir.OpRandomNormal])
		for i, v := range y {
			assert.InDelta(t, float64(i+1)+sd*rt.Normal(seed, 7, uint64(i)), v, 1e-15, "element %d", i)
		}
		again, _ := runNoiseGraph(t, g, ir.ModeTrain, 8)
		assert.NotEqual(t, y, again, "a new step draws new noise")
	})
	t.Run("inference is the identity and draws nothing", func(t *testing.T) {
		y, ops := runNoiseGraph(t, g, ir.ModeInfer, 7)
		assert.Zero(t, ops[ir.OpRandomNormal])
		assert.Equal(t, []float64{1, 2, 3, 4, 5, 6}, y)
	})
}

func TestMaskingNoiseLowering(t *testing.T) {
	const seed, rate = 5, 0.5
	g := noiseGraph(t, ir.OpMaskingNoise, ir.Attrs{Rate: rate, Seed: seed})
	t.Run("training zeroes the units rt.Keep drops and leaves the rest unscaled", func(t *testing.T) {
		y, ops := runNoiseGraph(t, g, ir.ModeTrain, 3)
		assert.Equal(t, 1, ops[ir.OpKeepMask])
		th := rt.KeepThreshold(rate)
		kept := 0
		for i, v := range y {
			if rt.Keep(seed, 3, uint64(i), th) {
				kept++
				assert.Equal(t, float64(i+1), v, "element %d", i)
			} else {
				assert.Zero(t, v, "element %d", i)
			}
		}
		assert.True(t, kept > 0 && kept < len(y), "this seed and step keep some units and drop others (kept %d)", kept)
	})
	t.Run("inference and rate 0 are the identity", func(t *testing.T) {
		y, ops := runNoiseGraph(t, g, ir.ModeInfer, 3)
		assert.Zero(t, ops[ir.OpKeepMask])
		assert.Equal(t, []float64{1, 2, 3, 4, 5, 6}, y)
		y, ops = runNoiseGraph(t, noiseGraph(t, ir.OpMaskingNoise, ir.Attrs{Seed: seed}), ir.ModeTrain, 3)
		assert.Zero(t, ops[ir.OpKeepMask])
		assert.Equal(t, []float64{1, 2, 3, 4, 5, 6}, y)
	})
}

func TestSampleNormalLowering(t *testing.T) {
	const seed = 8
	mu := []float64{1, 2, 3, 4, 5, 6}
	logvar := []float64{-0.5, 0.1, 0.7, 1.3, -1.9, 0}
	sampled := func(step uint64) []float64 {
		z := make([]float64, len(mu))
		for i := range z {
			z[i] = mu[i] + math.Exp(0.5*logvar[i])*rt.Normal(seed, step, uint64(i))
		}
		return z
	}
	g := noiseGraph(t, ir.OpSampleNormal, ir.Attrs{Seed: seed})
	t.Run("training draws z = mu + exp(logvar/2)·eps", func(t *testing.T) {
		y, _ := runNoiseGraph(t, g, ir.ModeTrain, 2)
		assertAllClose(t, sampled(2), y, 1e-14)
	})
	t.Run("inference returns mu by default", func(t *testing.T) {
		y, ops := runNoiseGraph(t, g, ir.ModeInfer, 2)
		assert.Zero(t, ops[ir.OpRandomNormal])
		assert.Equal(t, mu, y)
	})
	t.Run("inference samples when asked to", func(t *testing.T) {
		y, _ := runNoiseGraph(t, noiseGraph(t, ir.OpSampleNormal, ir.Attrs{Seed: seed, Sub: ir.SampleAtInference}), ir.ModeInfer, 4)
		assertAllClose(t, sampled(4), y, 1e-14)
	})
	t.Run("an unknown sub is refused", func(t *testing.T) {
		_, err := ir.NewGraph("g").Add(ir.OpSampleNormal, "z", "z", ir.Attrs{Sub: "mode"})
		require.Error(t, err) // no inputs: arity first
		g := ir.NewGraph("g")
		a, err := g.Add(ir.OpInput, "a", "a", ir.Attrs{Shape: batched(2), Role: ir.RoleData})
		require.NoError(t, err)
		_, err = g.Add(ir.OpSampleNormal, "z", "z", ir.Attrs{Sub: "mode"}, a, a)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `sub "mode" must be empty (mu at inference) or "sample"`)
	})
}

// The reparameterised sample is differentiable in mu and logvar: with the step (and
// so eps) fixed, autodiff agrees with finite differences.
func TestGradientsThroughTheReparameterisedSample(t *testing.T) {
	g := noiseGraph(t, ir.OpSampleNormal, ir.Attrs{Seed: 3})
	r, err := g.Add(ir.OpInput, "r", "loss", ir.Attrs{Shape: batched(3), Role: ir.RoleData})
	require.NoError(t, err)
	p, err := g.Add(ir.OpMul, "zr", "loss", ir.Attrs{}, g.Outputs[0].ID, r)
	require.NoError(t, err)
	g.Loss, err = g.Add(ir.OpReduceSum, "loss", "loss", ir.Attrs{}, p)
	require.NoError(t, err)
	lg, err := passes.Lower(g, ir.ModeTrain)
	require.NoError(t, err)
	m, err := interp.New(lg, 1)
	require.NoError(t, err)
	m.Step = 11
	feeds := map[string]*interp.Tensor{
		"a": interp.FromData(uniformValues(6, -1, 1, 1), 2, 3),
		"b": interp.FromData(uniformValues(6, -1, 1, 2), 2, 3),
		"r": interp.FromData(uniformValues(6, -1, 1, 3), 2, 3),
	}
	res, err := gradcheck.Check(lg, m, feeds, "a", "b")
	require.NoError(t, err)
	require.Len(t, res, 2)
	for _, r := range res {
		assert.Less(t, r.MaxRel, maxGradError, r.String())
	}
}

func assertAllClose(t *testing.T, want, got []float64, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		assert.InDelta(t, want[i], got[i], tol*math.Max(1, math.Abs(want[i])), "element %d", i)
	}
}
