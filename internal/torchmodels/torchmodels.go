// Package torchmodels holds whole models written with package nn that mirror the
// models of testdata/torch/models_golden.py layer for layer, with the same layer and
// parameter names (the torch state_dict names are dlgen's parameter names), and a
// loader for what that script recorded in testdata/torch/models_golden.json: the
// parameters and inputs it drew, and the outputs, losses, gradients and batch-norm
// running statistics PyTorch computed from them.
//
// models/torch_test.go compares the models with PyTorch in the reference
// interpreter; codegen's tests compare the code generated from them with the
// interpreter and with PyTorch's numbers (CheckGenerated).
package torchmodels

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/dlgen/dlgen/nn"
)

// GoldenFile is the path of the golden values relative to the module root.
const GoldenFile = "testdata/torch/models_golden.json"

// A Case is one model of models_golden.py: Name is the script's name for it, Desc
// lists what it exercises.
type Case struct {
	Name, Desc string
	Model      func() *nn.Model
}

// All are the models of models_golden.py in the script's order (the order of
// models_golden.json).
var All = []Case{
	{"mlp", "dense_relu_batchnorm1d_tanh_leakyrelu0.2_sparse_ce", MLP},
	{"cnn", "strided_asymmetric_same_conv_batchnorm2d_maxpool_stride1_rect_kernel_avgpool_same_keras_cce", CNN},
	{"resblock", "nested_names_nobias_conv_bn_residual_add_channel_concat_gap_mse", ResBlock},
	{"ae", "conv_autoencoder_upsampling_conv_transpose_same_bce", AE},
	{"lstm_gru", "lstm_sequences_into_gru_last_sparse_ce", LSTMGRU},
	{"birnn_huber", "bilstm_concat_relu_simple_rnn_bigru_sum_huber0.7", BiRNN("concat", "sum", "huber")},
	{"birnn_mae", "bilstm_ave_relu_simple_rnn_bigru_mul_mae", BiRNN("ave", "mul", "mae")},
	{"conv_misc", "full_conv_nobias_conv_transpose_pads_outpad_avgpool_pads_maxpool_same_upsampling_1x2_conv_transpose_valid_k_lt_s_cce_logits", ConvMisc},
	{"tensor_math", "batchnorm_ncl_eps_momentum_reshape_mul_sub_div_exp_log_concat_bce_logits_mean_sum_addloss", TensorMath},
	{"seq_misc", "lstm_nobias_dense_initial_states_batchnorm_over_time_bisimple_rnn_sum_gru_reset_before_cce_logits_per_step", SeqMisc},
}

// Tensor is a tensor of the golden file: its shape (batch axis first for inputs)
// and its values in row-major order.
type Tensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// Golden is what models_golden.py recorded for one model, all in float64. Params
// holds every state_dict entry (weights and batch-norm running statistics) by
// dlgen parameter name, Inputs every input, target and label by dlgen input name
// (labels as class indices). The eval values come from PyTorch's eval mode (dlgen's
// inference graph), the others from one train-mode forward and backward pass:
// Grads by trainable parameter, Running the batch-norm running statistics after it.
type Golden struct {
	Name         string               `json:"name"`
	Batch        int                  `json:"batch"`
	Params       map[string]Tensor    `json:"params"`
	Inputs       map[string]Tensor    `json:"inputs"`
	EvalOutputs  map[string][]float64 `json:"eval_outputs"`
	EvalLoss     float64              `json:"eval_loss"`
	TrainOutputs map[string][]float64 `json:"train_outputs"`
	Loss         float64              `json:"loss"`
	Grads        map[string][]float64 `json:"grads"`
	Running      map[string][]float64 `json:"running"`
}

// LoadGolden reads models_golden.json from path and checks that it holds the
// models of All, in order.
func LoadGolden(path string) ([]Golden, error) { return loadGolden(path, All) }

// loadGolden reads a golden file from path and checks that it holds the models of
// cases, in order.
func loadGolden(path string, cases []Case) ([]Golden, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Models []Golden `json:"models"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(file.Models) != len(cases) {
		return nil, fmt.Errorf("%s holds %d models, the Go list %d", path, len(file.Models), len(cases))
	}
	for i, c := range cases {
		if file.Models[i].Name != c.Name {
			return nil, fmt.Errorf("%s: model %d is %q, the Go list has %q", path, i, file.Models[i].Name, c.Name)
		}
	}
	return file.Models, nil
}

// MLP is "mlp": dense layers with relu, tanh and leaky relu 0.2, a batch norm over
// features, and sparse cross-entropy on logits.
func MLP() *nn.Model {
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

// CNN is "cnn": a strided Same convolution (asymmetric pads), 2-D batch norm, max
// pooling with stride 1, a rectangular kernel, Same average pooling and Keras'
// categorical cross-entropy on probabilities.
func CNN() *nn.Model {
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

// ResBlock is "resblock": nested layer names, convolutions without bias and batch
// norms in a residual block, a channel concatenation, global average pooling and MSE.
func ResBlock() *nn.Model {
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

// AE is "ae": a convolutional autoencoder with up-sampling, a Same transposed
// convolution and binary cross-entropy.
func AE() *nn.Model {
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

// LSTMGRU is "lstm_gru": an LSTM returning sequences into a GRU returning its last
// state, and sparse cross-entropy on logits.
func LSTMGRU() *nn.Model {
	m := nn.New("lstm_gru")
	seq := m.Input("seq", 5, 3)
	y := m.Labels("label")
	logits := seq.LSTM("lstm", 6, nn.ReturnSequences).GRU("gru", 4).Dense("fc", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// BiRNN is "birnn_huber" (BiRNN("concat", "sum", "huber")) and "birnn_mae"
// (BiRNN("ave", "mul", "mae")): a bidirectional LSTM merged by m1, a simple RNN with
// relu, a bidirectional GRU merged by m2, and the Huber (delta 0.7) or MAE loss.
func BiRNN(m1, m2, loss string) func() *nn.Model {
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

// ConvMisc is "conv_misc": a Full convolution without bias, transposed convolutions
// with pads and output padding and with a kernel smaller than the stride, padded
// average pooling, Same max pooling, 1×2 up-sampling, and cross-entropy on logits.
func ConvMisc() *nn.Model {
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

// TensorMath is "tensor_math": a batch norm over NCL input with eps and momentum,
// reshapes, element-wise mul, sub, div, exp and log, a concatenation, and three
// weighted losses (binary cross-entropy on logits, a mean and a sum).
func TensorMath() *nn.Model {
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

// SeqMisc is "seq_misc": an LSTM without bias from initial states computed by dense
// layers, a batch norm over time steps, a bidirectional simple RNN merged by sum, a
// GRU with the reset gate before the product, and per-step cross-entropy on logits.
func SeqMisc() *nn.Model {
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
