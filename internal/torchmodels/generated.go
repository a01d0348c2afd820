package torchmodels

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gentest"
	"github.com/dlgen/dlgen/internal/testmod"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Tolerance bounds the disagreement between generated float32 code and PyTorch's
// float64 values, element by element:
//
//	|got_i - want_i|  ≤  Tolerance · max(|want_i|, min(1, max_j |want_j|))
//
// that is, relative, and absolute below magnitude 1; but a tensor whose values are
// all small (the gradients of a deep layer, 1e-4 and less) is held to Tolerance of
// its largest value, not to an absolute 1e-4 it would meet even if it were wrong.
const Tolerance = 1e-4

// LR is the learning rate of the plain SGD step CheckGenerated takes, to check the
// weights after it against torch's parameters and gradients.
const LR = 0.125

// CheckGenerated checks a package generated (with tests) from model name (of All,
// SCE, ActModels, Embeddings or Upsample) against what PyTorch computed for it: it loads the torch
// parameters into the
// generated Model through Params, runs Predict and Loss in inference mode on the
// torch inputs and compares them with the eval outputs and eval loss; then takes one
// TrainStep with plain SGD (learning rate LR) and compares its loss with the
// train-mode loss, Grads with torch's gradients, the weights after the step with
// params - LR·grads, and the batch-norm running statistics with torch's after its
// train-mode forward. The generated API gives no train-mode outputs, so those are
// not compared. cfg is the package's gentest.Config (the generated model_test.go's
// config); name is a model of All, SCE, ActModels or Upsample, whose golden file is
// found from the module root.
func CheckGenerated(t *testing.T, cfg gentest.Config, name string) {
	file, cases := GoldenFile, All
	for _, set := range []struct {
		file  string
		cases []Case
	}{{SCEGoldenFile, SCE}, {ActGoldenFile, ActModels}, {EmbeddingGoldenFile, Embeddings}, {UpsampleGoldenFile, Upsample}} {
		for _, c := range set.cases {
			if c.Name == name {
				file, cases = set.file, set.cases
			}
		}
	}
	goldens, err := LoadGoldenOf(filepath.Join(testmod.RepoRoot(t), file), cases)
	require.NoError(t, err)
	var c *Golden
	for i := range goldens {
		if goldens[i].Name == name {
			c = &goldens[i]
		}
	}
	require.NotNil(t, c, "no model %q in %s", name, file)
	g, err := ir.Decode([]byte(cfg.Graph))
	require.NoError(t, err)
	n := c.Batch
	require.LessOrEqual(t, n, cfg.MaxBatch, "torch batch")

	worst, worstWhat := 0.0, ""
	check := func(what string, want []float64, got []float32) {
		t.Helper()
		if r := Close(t, what, want, got); r > worst || worstWhat == "" {
			worst, worstWhat = r, what
		}
	}
	defer func() { t.Logf("largest error: %.3g of the tolerance, in %s", worst, worstWhat) }()

	m := cfg.New()
	params := m.Params()
	require.Len(t, params, len(c.Params), "parameters: dlgen's and torch's state_dict")
	for _, p := range params {
		want, ok := c.Params[p.Name]
		require.True(t, ok, "dlgen parameter %s has no torch value", p.Name)
		require.Equal(t, want.Shape, p.Shape, "shape of %s", p.Name)
		require.Len(t, p.Data, len(want.Data), p.Name)
		for i, v := range want.Data {
			p.Data[i] = float32(v)
		}
	}
	m.Params() // after writing through the views: Predict recomputes what it derives from them

	in := gentest.Feeds{Float: map[string][]float32{}, Int: map[string][]int32{}}
	for _, node := range g.Inputs() {
		v, ok := c.Inputs[node.Name]
		require.True(t, ok, "no torch value for input %s", node.Name)
		require.Equal(t, node.Shape.Concrete(n), v.Shape, "shape of input %s", node.Name)
		if node.Attrs.DType == ir.Int {
			x := make([]int32, len(v.Data))
			for i, f := range v.Data {
				x[i] = int32(f)
				require.Equal(t, f, float64(x[i]), "%s[%d] is not an integer", node.Name, i)
			}
			in.Int[node.Name] = x
		} else {
			in.Float[node.Name] = f32(v.Data)
		}
	}
	require.Len(t, c.Inputs, len(in.Float)+len(in.Int), "torch inputs")

	if cfg.Predict {
		out := map[string][]float32{}
		for _, o := range g.Outputs {
			out[o.Name] = make([]float32, n*g.Nodes[o.ID].Shape.Elems())
		}
		require.NoError(t, m.Predict(n, in, out))
		require.Len(t, c.EvalOutputs, len(g.Outputs), "outputs")
		for _, o := range g.Outputs {
			want, ok := c.EvalOutputs[o.Name]
			require.True(t, ok, "no torch eval output %s", o.Name)
			check("Predict: output "+o.Name, want, out[o.Name])
		}
	}
	if !cfg.Train {
		return
	}
	loss, err := m.Loss(n, in)
	require.NoError(t, err)
	check("Loss (inference mode)", []float64{c.EvalLoss}, []float32{loss})

	// The weights as the model holds them (torch's rounded to float32), before the step.
	before := map[string][]float32{}
	for _, p := range m.Params() {
		before[p.Name] = append([]float32(nil), p.Data...)
	}
	m.SetOptimizer(rt.SGD{LR: LR})
	loss, err = m.TrainStep(n, in)
	require.NoError(t, err)
	check("TrainStep: loss", []float64{c.Loss}, []float32{loss})
	grads := m.Grads()
	require.Len(t, grads, len(c.Grads), "gradients: dlgen's weights and torch's trainable parameters")
	weights := map[string]bool{}
	for _, gr := range grads {
		want, ok := c.Grads[gr.Name]
		require.True(t, ok, "no torch gradient for %s", gr.Name)
		check("TrainStep: gradient of "+gr.Name, want, gr.Data)
		weights[gr.Name] = true
	}
	states := 0
	for _, p := range m.Params() {
		if weights[p.Name] {
			want := make([]float64, len(p.Data))
			for i := range want {
				want[i] = float64(before[p.Name][i]) - LR*c.Grads[p.Name][i]
			}
			check("TrainStep: "+p.Name+" after the SGD step", want, p.Data)
			continue
		}
		require.Equal(t, ir.RoleState, g.ByName(p.Name).Attrs.Role, "%s is neither a weight nor state", p.Name)
		states++
		want, ok := c.Running[p.Name]
		require.True(t, ok, "no torch value for state %s after the step", p.Name)
		check("TrainStep: "+p.Name+" after the step", want, p.Data)
	}
	assert.Equal(t, len(c.Running), states, "running statistics compared")
}

// Close fails t (without stopping it) unless every element of got is within
// Tolerance of want, reporting the first few that are not. It returns the largest
// error as a fraction of the tolerance.
func Close(t testing.TB, what string, want []float64, got []float32) float64 {
	t.Helper()
	require.Len(t, got, len(want), "%s: length", what)
	floor := 0.0
	for _, w := range want {
		floor = math.Max(floor, math.Abs(w))
	}
	floor = math.Min(floor, 1)
	bad, worst, at := 0, 0.0, 0
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		r := d / (Tolerance * math.Max(math.Abs(want[i]), floor))
		if !(r <= 1) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.9g, torch %.9g (diff %.3g)", what, i, got[i], want[i], d)
			}
			bad++
		}
		if !(r <= worst) {
			worst, at = r, i
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ; the worst, [%d], by %.3g times the tolerance", what, bad, len(want), at, worst)
	}
	return worst
}

func f32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}
