package models_test

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// Dense on the last axis of rank ≥ 3 inputs, whole models against PyTorch.
// testdata/torch/dense_seq_golden.py writes each model below in PyTorch with the
// same layer and parameter names (torch.nn.Linear on (N, T, F) and (N, A, B, F)),
// runs it in eval and in train mode on random rounded parameters and inputs, and
// records what it computed, as models_golden.py does. TestDenseOnSequencesMatchesPyTorch
// builds each model with package nn, loads the torch parameters, and compares in the
// reference interpreter the outputs and loss of both modes, the gradient of every
// weight and the batch-norm running statistics, on the lowered graphs and on the
// graphs of the whole pass pipeline.

// denseSeqModels are the nn versions of the models of dense_seq_golden.py, by its
// names.
var denseSeqModels = []struct {
	name, desc string
	model      func() *nn.Model
}{
	{"tagger", "lstm_sequences_dense_tanh_per_step_dense_logits_cce_logits_over_steps", func() *nn.Model {
		m := nn.New("tagger")
		seq := m.Input("seq", 5, 3)
		onehot := m.Target("onehot", 5, 4)
		logits := seq.LSTM("enc", 6, nn.ReturnSequences).Dense("proj", 5, nn.Act("tanh")).Dense("out", 4)
		m.Output("probs", logits.Softmax("probs"))
		m.Loss(nn.CategoricalCrossEntropy("loss", logits, onehot, nn.FromLogits))
		return m
	}},
	{"seq_ae", "lstm_autoencoder_nobias_dense_per_step_batchnorm_over_steps_gru_dense_sigmoid_mse", func() *nn.Model {
		m := nn.New("seq_ae")
		seq := m.Input("seq", 4, 3)
		h := seq.LSTM("enc", 5, nn.ReturnSequences).Dense("code", 4, nn.NoBias)
		h = h.BatchNorm("bn") // channels: the 4 steps, not the 4 units
		recon := h.GRU("dec", 6, nn.ReturnSequences).Dense("recon", 3, nn.Act("sigmoid"))
		m.Output("recon", recon)
		m.Loss(nn.MSE("loss", recon, seq))
		return m
	}},
	{"grid", "dense_on_rank4_leaky_relu_nobias_softmax_keras_cce_second_head_mse_addloss", func() *nn.Model {
		m := nn.New("grid")
		x := m.Input("x", 2, 3, 5)
		soft := m.Target("soft", 2, 3, 3)
		target := m.Target("t", 2, 3, 2)
		h := x.Dense("d1", 6, nn.Act("leaky_relu", 0.2))
		p := h.Dense("d2", 3, nn.NoBias, nn.Act("softmax"))
		r := h.Dense("reg", 2)
		m.Output("probs", p)
		m.Output("reg", r)
		m.Loss(nn.CategoricalCrossEntropy("cce", p, soft))
		m.AddLoss(nn.MSE("mse", r, target), 0.3)
		return m
	}},
}

type denseSeqTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// denseSeqGolden is one model's record in dense_seq_golden.json.
type denseSeqGolden struct {
	Name         string                    `json:"name"`
	Batch        int                       `json:"batch"`
	Params       map[string]denseSeqTensor `json:"params"`
	Inputs       map[string]denseSeqTensor `json:"inputs"`
	EvalOutputs  map[string][]float64      `json:"eval_outputs"`
	EvalLoss     float64                   `json:"eval_loss"`
	TrainOutputs map[string][]float64      `json:"train_outputs"`
	Loss         float64                   `json:"loss"`
	Grads        map[string][]float64      `json:"grads"`
	Running      map[string][]float64      `json:"running"`
}

// denseSeqTol is the relative tolerance (absolute below magnitude 1): both sides
// compute in float64.
const denseSeqTol = 1e-9

func TestDenseOnSequencesMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("../testdata/torch/dense_seq_golden.json")
	require.NoError(t, err)
	var file struct {
		Models []denseSeqGolden `json:"models"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Len(t, file.Models, len(denseSeqModels), "models in dense_seq_golden.json")
	for i, tc := range denseSeqModels {
		c := file.Models[i]
		require.Equal(t, tc.name, c.Name, "model %d of dense_seq_golden.json", i)
		t.Run(tc.name+"_"+tc.desc, func(t *testing.T) {
			g, err := tc.model().Build()
			require.NoError(t, err)
			t.Run("lowered", func(t *testing.T) {
				infer, err := passes.Lower(g, ir.ModeInfer)
				require.NoError(t, err)
				train, err := passes.Lower(g, ir.ModeTrain)
				require.NoError(t, err)
				train, err = passes.Autodiff(train)
				require.NoError(t, err)
				denseSeqCheck(t, c, infer, train)
			})
			t.Run("compiled", func(t *testing.T) {
				infer, err := passes.Compile(g, ir.ModeInfer, passes.Config{})
				require.NoError(t, err)
				train, err := passes.Compile(g, ir.ModeTrain, passes.Config{})
				require.NoError(t, err)
				denseSeqCheck(t, c, infer, train)
			})
		})
	}
}

// denseSeqCheck runs the inference graph and the training graph of one model on the
// torch parameters and inputs and compares them with torch's eval and train modes.
func denseSeqCheck(t *testing.T, c denseSeqGolden, infer, train *ir.Graph) {
	t.Helper()
	run := func(g *ir.Graph) (*interp.Machine, []*interp.Tensor) {
		m, err := interp.New(g, 1)
		require.NoError(t, err)
		for name, p := range c.Params {
			dst := m.Param(name)
			require.NotNil(t, dst, "torch parameter %s has no dlgen parameter", name)
			require.Equal(t, p.Shape, dst.Shape, "shape of %s", name)
			copy(dst.Data, p.Data)
		}
		for _, p := range g.Params() {
			_, ok := c.Params[p.Name]
			require.True(t, ok, "dlgen parameter %s has no torch value", p.Name)
		}
		feeds := map[string]*interp.Tensor{}
		for _, in := range g.Inputs() {
			v, ok := c.Inputs[in.Name]
			require.True(t, ok, "no torch value for input %s", in.Name)
			require.Equal(t, c.Batch, v.Shape[0], in.Name)
			feeds[in.Name] = interp.FromData(slices.Clone(v.Data), v.Shape...)
		}
		require.Len(t, feeds, len(c.Inputs), "inputs")
		vals, err := m.Run(feeds)
		require.NoError(t, err)
		return m, vals
	}
	outputs := func(g *ir.Graph, vals []*interp.Tensor, want map[string][]float64, mode string) {
		require.Len(t, g.Outputs, len(want), "%s outputs", mode)
		for _, o := range g.Outputs {
			w, ok := want[o.Name]
			require.True(t, ok, "no torch %s output %s", mode, o.Name)
			denseSeqClose(t, w, vals[o.ID].Data, mode+" output "+o.Name)
		}
	}

	_, vals := run(infer)
	outputs(infer, vals, c.EvalOutputs, "eval")
	denseSeqClose(t, []float64{c.EvalLoss}, vals[infer.Loss].Data, "eval loss")

	m, vals := run(train)
	outputs(train, vals, c.TrainOutputs, "train")
	denseSeqClose(t, []float64{c.Loss}, vals[train.Loss].Data, "loss")
	require.Len(t, train.Weights(), len(c.Grads), "trainable parameters")
	for _, w := range train.Weights() {
		want, ok := c.Grads[w.Name]
		require.True(t, ok, "no torch gradient for %s", w.Name)
		gid := train.GradOf(w.ID)
		require.GreaterOrEqual(t, gid, 0, "no gradient for %s", w.Name)
		denseSeqClose(t, want, vals[gid].Data, "d"+w.Name)
	}
	states := 0
	for _, p := range train.Params() {
		if p.Attrs.Role == ir.RoleState {
			states++
			denseSeqClose(t, c.Running[p.Name], m.Param(p.Name).Data, p.Name+" after the step")
		}
	}
	assert.Equal(t, len(c.Running), states, "running statistics compared")
}

func denseSeqClose(t *testing.T, want, got []float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	bad := 0
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= denseSeqTol*math.Max(1, math.Abs(want[i]))) {
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
