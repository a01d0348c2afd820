package torchmodels

import "github.com/dlgen/dlgen/nn"

// Conv1DGoldenFile holds PyTorch's values for the models of Conv1DModels (written
// by testdata/torch/conv1d_golden.py), relative to the module root.
const Conv1DGoldenFile = "testdata/torch/conv1d_golden.json"

// Conv1DModels are the models of conv1d_golden.py, in its order: every 1-D layer,
// and the global max pools with exact ties in their maxima.
var Conv1DModels = []Case{
	{"conv1d", "conv1d_same_stride2_maxpool_causal_avgpool_same_pads_upsampling_global_max_avg_convtranspose1d_full_nobias_batchnorm_maxpool_same_avgpool_pads_ce_logits", Conv1D},
	{"global_max", "globalmaxpool2d_and_1d_with_exact_ties_after_1x1_convs_mse", GlobalMax},
}

// LoadConv1DGolden reads conv1d_golden.json from path and checks that it holds the
// models of Conv1DModels, in order.
func LoadConv1DGolden(path string) ([]Golden, error) { return LoadGoldenOf(path, Conv1DModels) }

// Conv1D is "conv1d": each 1-D layer on (N, 3, 37) sequences. Keras' same padding
// with stride 2 (asymmetric pads), causal padding, explicit asymmetric pads, Same
// average pooling (padding out of the divisor), up-sampling, global max and average
// pooling; on a second branch a transposed convolution with PyTorch's padding and
// output padding, a Full convolution without bias before a batch norm over (N, C,
// L), Same max pooling and average pooling with counted pads.
func Conv1D() *nn.Model {
	m := nn.New("conv1d")
	x := m.Input("x", 3, 37)
	label := m.Labels("label")
	h := x.Conv1D("c1", 4, nn.K(4), nn.Strides(2), nn.Same, nn.Act("relu")) // 4×19, pads (1, 2)
	p1 := h.MaxPool1D("p1", nn.K(2))                                        // 4×9
	h = p1.Conv1D("c2", 5, nn.K(3), nn.Causal, nn.Act("tanh"))              // 5×9, pads (2, 0)
	h = h.AvgPool1D("p2", nn.K(2), nn.Same)                                 // 5×5, pads (0, 1)
	h = h.Conv1D("c3", 6, nn.K(3), nn.Pads(2, 1), nn.Act("leaky_relu"))     // 6×6
	h = h.UpSampling1D("up", 3)                                             // 6×18
	gmp, gap := h.GlobalMaxPool1D("gmp"), h.GlobalAvgPool1D("gap")
	t := p1.Conv1DTranspose("ct", 3, nn.K(3), nn.Strides(2), nn.Pads(1), nn.OutPad(1)) // 3×18
	t = t.Conv1D("c4", 2, nn.K(2), nn.Full, nn.NoBias).BatchNorm("bn")                 // 2×19
	t = t.MaxPool1D("mp", nn.K(3), nn.Strides(2), nn.Same)                             // 2×10, pads (1, 1)
	t = t.AvgPool1D("ap", nn.K(3), nn.Strides(2), nn.Pads(1))                          // 2×5
	logits := nn.Concat("cat", 1, gmp, gap, t.GlobalAvgPool1D("gap2")).Dense("fc", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, label, nn.FromLogits))
	return m
}

// GlobalMax is "global_max": GlobalMaxPool2D after 1×1 convolutions (one with tanh)
// and a 3×3 one of (N, 2, 5, 6) images, GlobalMaxPool1D after 1-wide convolutions
// (one with tanh) of (N, 2, 7) sequences, with inputs and weights that make two
// values of one channel of each 1-wide convolution the exact maximum (so the
// gradient's choice between them shows), and MSE. In generated code a max pool
// right after a convolution is computed in the convolution's kernel, one after tanh
// in a kernel of its own: the model has both.
func GlobalMax() *nn.Model {
	m := nn.New("global_max")
	img := m.Input("image", 2, 5, 6)
	seq := m.Input("seq", 2, 7)
	target := m.Target("target", 2)
	gmp2 := img.Conv2D("c2d", 3, nn.K(1)).GlobalMaxPool2D("gmp2")
	gmp2t := img.Conv2D("c2t", 3, nn.K(1), nn.Act("tanh")).GlobalMaxPool2D("gmp2t")
	gmpb := img.Conv2D("cb", 2, nn.K(3), nn.Same, nn.Act("relu")).GlobalMaxPool2D("gmpb")
	gmp1 := seq.Conv1D("c1d", 3, nn.K(1)).GlobalMaxPool1D("gmp1")
	gmp1t := seq.Conv1D("c1t", 3, nn.K(1), nn.Act("tanh")).GlobalMaxPool1D("gmp1t")
	y := nn.Concat("cat", 1, gmp2, gmp2t, gmp1, gmp1t, gmpb).Dense("fc", 2)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, target))
	return m
}
