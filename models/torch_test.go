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

// Whole models against PyTorch. testdata/torch/models_golden.py writes each model
// below in PyTorch, layer for layer and with the same parameter names, runs it once
// in eval mode and once in train mode on random rounded parameters and inputs, and
// records what it computed; TestModelsMatchPyTorch builds the same model with package
// nn, lowers it for inference and for training (with autodiff), loads the torch
// parameters and compares everything in the reference interpreter: outputs and loss
// in both modes, the gradient of every weight, and the batch-norm running statistics
// after the training step. It does so twice, on the lowered graphs and on the graphs
// of the whole pass pipeline (passes.Compile, what code generation starts from). The
// op-level goldens check each kernel alone; these check that the builder wires the
// layers, paddings, parameter names and layouts, losses and batch-norm statistics as
// PyTorch does, and that the passes keep it so.

// torchTol is the relative tolerance (absolute below magnitude 1): both sides compute
// in float64, so they differ only by rounding.
const torchTol = 1e-9

type torchTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type torchModel struct {
	Name         string                 `json:"name"`
	Batch        int                    `json:"batch"`
	Params       map[string]torchTensor `json:"params"`
	Inputs       map[string]torchTensor `json:"inputs"`
	EvalOutputs  map[string][]float64   `json:"eval_outputs"`
	EvalLoss     float64                `json:"eval_loss"`
	TrainOutputs map[string][]float64   `json:"train_outputs"`
	Loss         float64                `json:"loss"`
	Grads        map[string][]float64   `json:"grads"`
	Running      map[string][]float64   `json:"running"`
}

// torchModels are the nn versions of the models of models_golden.py, by its names.
var torchModels = []struct {
	name, desc string
	model      func() *nn.Model
}{
	{"mlp", "dense_relu_batchnorm1d_tanh_leakyrelu0.2_sparse_ce", torchMLP},
	{"cnn", "strided_asymmetric_same_conv_batchnorm2d_maxpool_stride1_rect_kernel_avgpool_same_keras_cce", torchCNN},
	{"resblock", "nested_names_nobias_conv_bn_residual_add_channel_concat_gap_mse", torchResBlock},
	{"ae", "conv_autoencoder_upsampling_conv_transpose_same_bce", torchAE},
	{"lstm_gru", "lstm_sequences_into_gru_last_sparse_ce", torchLSTMGRU},
	{"birnn_huber", "bilstm_concat_relu_simple_rnn_bigru_sum_huber0.7", torchBiRNN("concat", "sum", "huber")},
	{"birnn_mae", "bilstm_ave_relu_simple_rnn_bigru_mul_mae", torchBiRNN("ave", "mul", "mae")},
	{"conv_misc", "full_conv_nobias_conv_transpose_pads_outpad_avgpool_pads_maxpool_same_upsampling_1x2_conv_transpose_valid_k_lt_s_cce_logits", torchConvMisc},
	{"tensor_math", "batchnorm_ncl_eps_momentum_reshape_mul_sub_div_exp_log_concat_bce_logits_mean_sum_addloss", torchTensorMath},
	{"seq_misc", "lstm_nobias_dense_initial_states_batchnorm_over_time_bisimple_rnn_sum_gru_reset_before_cce_logits_per_step", torchSeqMisc},
}

func torchMLP() *nn.Model {
	m := nn.New("mlp")
	x := m.Input("x", 12)
	y := m.Labels("label")
	h := x.Dense("fc1", 16, nn.Act("relu")).BatchNorm("bn1")
	h = h.Dense("fc2", 8, nn.Act("tanh")).Dense("fc3", 8, nn.Act("leaky_relu", 0.2))
	logits := h.Dense("fc4", 5)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

func torchCNN() *nn.Model {
	m := nn.New("cnn")
	x := m.Input("image", 3, 10, 16)
	onehot := m.Target("onehot", 5)
	h := x.Conv2D("conv1", 4, nn.K(3), nn.Strides(2), nn.Same, nn.Act("relu")) // 4×5×8, pads (0, 0, 1, 1)
	h = h.BatchNorm("bn1")
	h = h.MaxPool2D("pool1", nn.K(2), nn.Strides(1))                                 // 4×4×7
	h = h.Conv2D("conv2", 6, nn.K(2, 3), nn.Strides(1, 2), nn.Valid, nn.Act("tanh")) // 6×3×3
	h = h.AvgPool2D("pool2", nn.K(2), nn.Same)                                       // 6×2×2, padding excluded
	probs := h.Flatten("flat").Dense("fc", 5, nn.Act("softmax"))
	m.Output("probs", probs)
	m.Loss(nn.CategoricalCrossEntropy("loss", probs, onehot))
	return m
}

func torchResBlock() *nn.Model {
	m := nn.New("resblock")
	x := m.Input("x", 4, 6, 6)
	target := m.Target("target", 3)
	h := x.Conv2D("block.conv_a", 4, nn.K(3), nn.Same, nn.NoBias).BatchNorm("block.bn_a").Relu("block.relu_a")
	h = h.Conv2D("block.conv_b", 4, nn.K(2), nn.Same, nn.NoBias).BatchNorm("block.bn_b") // pads (0, 0, 1, 1)
	h = nn.Add("block.add", h, x).Relu("block.relu")
	p := x.Conv2D("proj", 3, nn.K(1), nn.Act("sigmoid"))
	y := nn.Concat("cat", 1, h, p).GlobalAvgPool2D("gap").Dense("head", 3) // 7 channels
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, target))
	return m
}

func torchAE() *nn.Model {
	m := nn.New("ae")
	x := m.Input("x", 1, 8, 8)
	relu := nn.Act("relu")
	h := x.Conv2D("enc1", 4, nn.K(3), nn.Same, relu).MaxPool2D("pool1", nn.K(2)) // 4×4×4
	h = h.Conv2D("enc2", 6, nn.K(3), nn.Strides(2), nn.Same, relu)               // 6×2×2
	h = h.UpSampling2D("up", 2)                                                  // 6×4×4
	h = h.Conv2DTranspose("dec1", 4, nn.K(3), nn.Strides(2), nn.Same, relu)      // 4×8×8
	recon := h.Conv2D("dec2", 1, nn.K(3), nn.Same, nn.Act("sigmoid"))
	m.Output("recon", recon)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
	return m
}

func torchLSTMGRU() *nn.Model {
	m := nn.New("lstm_gru")
	seq := m.Input("seq", 5, 3)
	y := m.Labels("label")
	logits := seq.LSTM("lstm", 6, nn.ReturnSequences).GRU("gru", 4).Dense("fc", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

func torchBiRNN(m1, m2, loss string) func() *nn.Model {
	return func() *nn.Model {
		m := nn.New("birnn_" + loss)
		seq := m.Input("seq", 4, 3)
		target := m.Target("target", 2)
		h := seq.Bidirectional("bilstm", nn.LSTMLayer(4, nn.ReturnSequences), m1)
		h = h.SimpleRNN("srnn", 5, nn.Act("relu"), nn.ReturnSequences)
		y := h.Bidirectional("bigru", nn.GRULayer(3), m2).Dense("fc", 2)
		m.Output("y", y)
		if loss == "huber" {
			m.Loss(nn.Huber("loss", y, target, 0.7))
		} else {
			m.Loss(nn.MAE("loss", y, target))
		}
		return m
	}
}

func torchConvMisc() *nn.Model {
	m := nn.New("conv_misc")
	x := m.Input("x", 2, 4, 5)
	soft := m.Target("soft", 4)
	h := x.Conv2D("c1", 3, nn.K(2, 3), nn.Full, nn.NoBias, nn.Act("leaky_relu"))                           // 3×5×7
	h = h.Conv2DTranspose("c2", 2, nn.K(3), nn.Strides(2), nn.Pads(1, 2), nn.OutPad(1, 0), nn.Act("tanh")) // 2×10×11
	h = h.AvgPool2D("ap", nn.K(3), nn.Strides(2), nn.Pads(1))                                              // 2×5×6
	h = h.MaxPool2D("mp", nn.K(2), nn.Strides(1), nn.Same)                                                 // 2×5×6
	h = h.UpSampling2D("up", 1, 2)                                                                         // 2×5×12
	v := x.Conv2DTranspose("c3", 1, nn.K(2, 1), nn.Strides(3, 2), nn.Valid)                                // 1×12×10
	logits := nn.Add("logits", h.Flatten("flat").Dense("fc", 4), v.GlobalAvgPool2D("gap").Dense("fc_v", 4))
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.CategoricalCrossEntropy("loss", logits, soft, nn.FromLogits))
	return m
}

func torchTensorMath() *nn.Model {
	m := nn.New("tensor_math")
	x := m.Input("x", 4, 6)
	target := m.Target("t", 3)
	h := x.BatchNorm("bn0", nn.Eps(1e-3), nn.Momentum(0.3)).Reshape("flat", 24)
	a := h.Dense("d1", 8, nn.NoBias)
	b := h.Dense("d2", 8, nn.Act("sigmoid"))
	diff := nn.Sub("diff", nn.Mul("gate", a, b), a)
	e := diff.Exp("exp")
	ratio := nn.Div("ratio", diff, b)
	cat := nn.Concat("cat", -1, ratio, b.Log("log"))
	logits := cat.Reshape("grid", 2, 8).Tanh("tanh").Flatten("flat2").Dense("head", 3)
	m.Output("prob", logits.Sigmoid("prob"))
	m.AddLoss(nn.BinaryCrossEntropy("bce", logits, target, nn.FromLogits), 1)
	m.AddLoss(nn.Mean("ratio_mean", nn.Mul("ratio_sq", ratio, ratio)), 0.1)
	m.AddLoss(nn.Sum("exp_sum", e), 0.01)
	return m
}

func torchSeqMisc() *nn.Model {
	m := nn.New("seq_misc")
	ctx := m.Input("ctx", 5)
	seq := m.Input("seq", 4, 3)
	soft := m.Target("soft", 4, 3)
	h0 := ctx.Dense("init_h", 4, nn.Act("tanh"))
	c0 := ctx.Dense("init_c", 4)
	s := seq.LSTM("dec", 4, nn.ReturnSequences, nn.NoBias, nn.InitialState(h0, c0)) // 4×4
	s = s.BatchNorm("bn_seq")                                                       // channels: the 4 steps
	s = s.Bidirectional("bsrnn", nn.SimpleRNNLayer(3, nn.ReturnSequences), "sum")   // 4×3
	r := seq.GRU("gru_rb", 3, nn.ReturnSequences, nn.ResetBefore)                   // 4×3
	logits := nn.Add("logits", s, r).Activation("lin", "linear")
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.CategoricalCrossEntropy("loss", logits, soft, nn.FromLogits))
	return m
}

func loadTorchModels(t *testing.T) []torchModel {
	t.Helper()
	raw, err := os.ReadFile("../testdata/torch/models_golden.json")
	require.NoError(t, err)
	var file struct {
		Models []torchModel `json:"models"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	return file.Models
}

// loadTorchParams copies every torch parameter into m, requiring the two models to
// have the same parameter names and shapes.
func loadTorchParams(t *testing.T, m *interp.Machine, c torchModel) {
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

func torchFeeds(t *testing.T, g *ir.Graph, c torchModel) map[string]*interp.Tensor {
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
	cases := loadTorchModels(t)
	require.Len(t, cases, len(torchModels), "models in models_golden.json")
	for i, tc := range torchModels {
		c := cases[i]
		require.Equal(t, tc.name, c.Name, "model %d of models_golden.json", i)
		t.Run(tc.name+"_"+tc.desc, func(t *testing.T) {
			g := build(t, tc.model)
			t.Run("lowered", func(t *testing.T) {
				infer, err := passes.Lower(g, ir.ModeInfer)
				require.NoError(t, err)
				train, err := passes.Lower(g, ir.ModeTrain)
				require.NoError(t, err)
				train, err = passes.Autodiff(train)
				require.NoError(t, err)
				checkAgainstTorch(t, c, infer, train)
			})
			// The whole pipeline (fold, simplify, cse, dce, and for inference bnfold):
			// the graphs generated code is made from.
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
func checkAgainstTorch(t *testing.T, c torchModel, infer, train *ir.Graph) {
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
