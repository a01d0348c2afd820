package torchmodels

import "github.com/dlgen/dlgen/nn"

// DilationGoldenFile holds PyTorch's values for the models of DilationModels
// (written by testdata/torch/dilation_golden.py), relative to the module root.
const DilationGoldenFile = "testdata/torch/dilation_golden.json"

// DilationModels are the models of dilation_golden.py, in its order: a TCN-style
// stack of dilated causal 1-D convolutions, and dilated 2-D convolutions and a
// dilated transposed one. models/dilation_test.go compares them with PyTorch in the
// interpreter, codegen's TestTheTorchModelsMatchPyTorch in generated code.
var DilationModels = []Case{
	{"tcn", "causal_conv1d_dilations_1_2_4_residual_strided_dilated_same_conv1d_dilated_convtranspose1d_gap_gmp_ce_logits", TCN},
	{"dilated_cnn", "dilated_same_conv2d_strided_dilated_padded_conv2d_maxpool_dilated_same_convtranspose2d_gap_mse", DilatedCNN},
}

// LoadDilationGolden reads dilation_golden.json from path and checks that it holds
// the models of DilationModels, in order.
func LoadDilationGolden(path string) ([]Golden, error) { return LoadGoldenOf(path, DilationModels) }

// TCN is "tcn": on (N, 3, 24) sequences, three causal Conv1D layers with ReLU and
// dilations 1, 2 and 4 (Keras' causal padding (k-1)·d, as in WaveNet and TCN), the
// first one's output added to the third's; a Conv1D dilated by 3 with stride 2 and
// Keras' same padding; a Conv1DTranspose dilated by 2 with PyTorch's padding and
// output padding; global average and max pools into a Dense; cross-entropy on
// logits.
func TCN() *nn.Model {
	m := nn.New("tcn")
	x := m.Input("x", 3, 24)
	label := m.Labels("label")
	h1 := x.Conv1D("c1", 4, nn.K(3), nn.Causal, nn.Act("relu"))                                         // 4×24, pads (2, 0)
	h := h1.Conv1D("c2", 4, nn.K(3), nn.Dilation(2), nn.Causal, nn.Act("relu"))                         // 4×24, pads (4, 0)
	h = h.Conv1D("c3", 4, nn.K(3), nn.Dilation(4), nn.Causal, nn.Act("relu"))                           // 4×24, pads (8, 0)
	res := nn.Add("res", h1, h)                                                                         // 4×24
	c4 := res.Conv1D("c4", 5, nn.K(2), nn.Dilation(3), nn.Strides(2), nn.Same, nn.Act("tanh"))          // 5×12, pads (1, 1)
	up := c4.Conv1DTranspose("up", 2, nn.K(3), nn.Strides(2), nn.Pads(2), nn.OutPad(1), nn.Dilation(2)) // 2×24
	feats := nn.Concat("cat", 1, c4.GlobalAvgPool1D("gap"), up.GlobalAvgPool1D("gap2"), res.GlobalMaxPool1D("gmp"))
	logits := feats.Dense("fc", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, label, nn.FromLogits))
	return m
}

// DilatedCNN is "dilated_cnn": on (N, 2, 11, 10) images, a 3×3 Conv2D dilated by 2
// with Keras' same padding and ReLU; from it a 3×2 Conv2D dilated by (2, 3) with
// strides (2, 1), PyTorch's padding (2, 1) and tanh, max-pooled, and a 3×3
// Conv2DTranspose dilated by 2 with stride 2 and Keras' same padding; global
// average pools into a Dense; MSE.
func DilatedCNN() *nn.Model {
	m := nn.New("dilated_cnn")
	img := m.Input("image", 2, 11, 10)
	target := m.Target("target", 2)
	a := img.Conv2D("a", 4, nn.K(3), nn.Dilation(2), nn.Same, nn.Act("relu"))                             // 4×11×10
	b := a.Conv2D("b", 3, nn.K(3, 2), nn.Dilation(2, 3), nn.Strides(2, 1), nn.Pads(2, 1), nn.Act("tanh")) // 3×6×9
	b = b.MaxPool2D("pool", nn.K(2))                                                                      // 3×3×4
	t := a.Conv2DTranspose("t", 2, nn.K(3), nn.Dilation(2), nn.Strides(2), nn.Same)                       // 2×22×20
	y := nn.Concat("cat", 1, b.GlobalAvgPool2D("gap"), t.GlobalAvgPool2D("gap2")).Dense("fc", 2)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, target))
	return m
}
