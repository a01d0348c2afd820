package models_test

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
)

// Whole models against PyTorch. testdata/torch/models_golden.py writes each model
// of package internal/torchmodels in PyTorch, layer for layer and with the same
// parameter names, runs it once in eval mode and once in train mode on random rounded
// parameters and inputs, and records what it computed; TestModelsMatchPyTorch builds
// the same model with package nn, lowers it for inference and for training (with
// autodiff), loads the torch parameters and compares everything in the reference
// interpreter: outputs and loss in both modes, the gradient of every weight, and the
// batch-norm running statistics after the training step. It does so twice, on the
// lowered graphs and on the graphs of the whole pass pipeline (passes.Compile, what
// code generation starts from). The op-level goldens check each kernel alone; these
// check that the builder wires the layers, paddings, parameter names and layouts,
// losses and batch-norm statistics as PyTorch does, and that the passes keep it so.
// codegen's TestTheTorchModelsMatchPyTorch checks the generated code of the same
// models against the same numbers.

// torchTol is the relative tolerance (absolute below magnitude 1): both sides compute
// in float64, so they differ only by rounding.
const torchTol = 1e-9

// loadTorchParams copies every torch parameter into m, requiring the two models to
// have the same parameter names and shapes.
func loadTorchParams(t *testing.T, m *interp.Machine, c torchmodels.Golden) {
	t.Helper()
	for name, p := range c.Params {
		dst := m.Param(name)
		require.NotNil(t, dst, "torch parameter %s has no dlgen parameter", name)
		require.Equal(t, p.Shape, dst.Shape, "shape of %s", name)
		require.Len(t, p.Data, len(dst.Data), name)
		copy(dst.Data, p.Data)
	}
	for _, p := range m.G.Params() {
		_, ok := c.Params[p.Name]
		require.True(t, ok, "dlgen parameter %s has no torch value", p.Name)
	}
}

func torchFeeds(t *testing.T, g *ir.Graph, c torchmodels.Golden) map[string]*interp.Tensor {
	t.Helper()
	f := map[string]*interp.Tensor{}
	for _, in := range g.Inputs() {
		v, ok := c.Inputs[in.Name]
		require.True(t, ok, "no torch value for input %s", in.Name)
		require.Equal(t, c.Batch, v.Shape[0], in.Name)
		f[in.Name] = interp.FromData(slices.Clone(v.Data), v.Shape...)
	}
	require.Len(t, f, len(c.Inputs), "inputs")
	return f
}

func torchClose(t *testing.T, want, got []float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	bad := 0
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= torchTol*math.Max(1, math.Abs(want[i]))) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.17g, torch %.17g (diff %.3g)", what, i, got[i], want[i], d)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(want))
	}
}

// compareOutputs checks every output of g against torch's values by name.
func compareOutputs(t *testing.T, g *ir.Graph, vals []*interp.Tensor, want map[string][]float64, mode string) {
	t.Helper()
	require.Len(t, g.Outputs, len(want), "%s outputs", mode)
	for _, o := range g.Outputs {
		w, ok := want[o.Name]
		require.True(t, ok, "no torch %s output %s", mode, o.Name)
		torchClose(t, w, vals[o.ID].Data, mode+" output "+o.Name)
	}
}

func TestModelsMatchPyTorch(t *testing.T) {
	goldens, err := torchmodels.LoadGolden(filepath.Join("..", torchmodels.GoldenFile))
	require.NoError(t, err)
	checkModelsAgainstTorch(t, torchmodels.All, goldens)
}

// checkModelsAgainstTorch runs checkAgainstTorch for every model of cases (goldens
// holds their PyTorch values, in the same order), on the lowered graphs and on the
// graphs of the whole pipeline (fold, simplify, cse, dce, and for inference bnfold),
// which generated code is made from.
func checkModelsAgainstTorch(t *testing.T, cases []torchmodels.Case, goldens []torchmodels.Golden) {
	require.Len(t, goldens, len(cases))
	for i, tc := range cases {
		c := goldens[i]
		t.Run(tc.Name+"_"+tc.Desc, func(t *testing.T) {
			g := build(t, tc.Model)
			t.Run("lowered", func(t *testing.T) {
				infer, err := passes.Lower(g, ir.ModeInfer)
				require.NoError(t, err)
				train, err := passes.Lower(g, ir.ModeTrain)
				require.NoError(t, err)
				train, err = passes.Autodiff(train)
				require.NoError(t, err)
				checkAgainstTorch(t, c, infer, train)
			})
			t.Run("compiled", func(t *testing.T) {
				infer, err := passes.Compile(g, ir.ModeInfer, passes.Config{})
				require.NoError(t, err)
				train, err := passes.Compile(g, ir.ModeTrain, passes.Config{})
				require.NoError(t, err)
				checkAgainstTorch(t, c, infer, train)
			})
		})
	}
}

// checkAgainstTorch runs the inference graph and the training graph (with gradients)
// of one model on the torch parameters and inputs, and compares what they compute
// with what PyTorch computed in eval and in train mode.
func checkAgainstTorch(t *testing.T, c torchmodels.Golden, infer, train *ir.Graph) {
	t.Helper()
	// Inference: eval mode, the batch norms on their running statistics.
	m, err := interp.New(infer, 1)
	require.NoError(t, err)
	loadTorchParams(t, m, c)
	vals, err := m.Run(torchFeeds(t, infer, c))
	require.NoError(t, err)
	compareOutputs(t, infer, vals, c.EvalOutputs, "eval")
	torchClose(t, []float64{c.EvalLoss}, vals[infer.Loss].Data, "eval loss")

	// Training: batch statistics, gradients and the running-statistics update.
	m, err = interp.New(train, 1)
	require.NoError(t, err)
	loadTorchParams(t, m, c)
	vals, err = m.Run(torchFeeds(t, train, c))
	require.NoError(t, err)
	compareOutputs(t, train, vals, c.TrainOutputs, "train")
	torchClose(t, []float64{c.Loss}, vals[train.Loss].Data, "loss")
	require.Len(t, train.Weights(), len(c.Grads), "trainable parameters")
	for _, w := range train.Weights() {
		want, ok := c.Grads[w.Name]
		require.True(t, ok, "no torch gradient for %s", w.Name)
		gid := train.GradOf(w.ID)
		require.GreaterOrEqual(t, gid, 0, "no gradient for %s", w.Name)
		torchClose(t, want, vals[gid].Data, "d"+w.Name)
	}
	states := 0
	for _, p := range train.Params() {
		if p.Attrs.Role != ir.RoleState {
			continue
		}
		states++
		want, ok := c.Running[p.Name]
		require.True(t, ok, "no torch value for state %s after the step", p.Name)
		torchClose(t, want, m.Param(p.Name).Data, p.Name+" after the step")
	}
	assert.Equal(t, len(c.Running), states, "running statistics compared")
}
