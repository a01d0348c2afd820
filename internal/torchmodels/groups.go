package torchmodels

import "github.com/dlgen/dlgen/nn"

// GroupsGoldenFile holds PyTorch's values for the models of GroupModels (written by
// testdata/torch/groups_golden.py), relative to the module root.
const GroupsGoldenFile = "testdata/torch/groups_golden.json"

// GroupModels are the models of groups_golden.py, in its order: two grouped
// convolutions, MobileNet's depthwise-separable block with a batch norm, grouped 1-D
// convolutions (one depthwise, one dilated), and Keras' SeparableConv2D. models/groups_test.go compares them
// with PyTorch in the interpreter, codegen's TestTheTorchModelsMatchPyTorch in
// generated code.
var GroupModels = []Case{
	{"grouped_cnn", "conv_groups2_pads1_relu_conv_groups3_stride2_flatten_dense_sparse_ce", GroupedCNN},
	{"mobile_block", "depthwise_mult2_nobias_batchnorm_relu_pointwise_relu_global_avg_dense_sparse_ce", MobileBlock},
	{"grouped_conv1d", "depthwise_conv1d_tanh_conv1d_groups2_dilation2_flatten_dense_mse", GroupedConv1D},
	{"separable", "separable_conv_same_stride2_relu_global_avg_dense_mse", Separable},
}

// Separable is "separable": x (N, 3, 9, 9) → SeparableConv2D(5, 3×3, stride 2, same)
// with relu → GlobalAvgPool2D → Dense(2); mean squared error.
func Separable() *nn.Model {
	m := nn.New("separable")
	x := m.Input("x", 3, 9, 9)
	t := m.Target("t", 2)
	h := x.SeparableConv2D("sep", 5, nn.K(3), nn.Strides(2), nn.Same, nn.Act("relu")).GlobalAvgPool2D("gap")
	y := h.Dense("fc", 2)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, t))
	return m
}

// GroupedCNN is "grouped_cnn": x (N, 4, 7, 7) → Conv2D(6, 3×3, pads 1, 2 groups) with
// relu → Conv2D(6, 3×3, stride 2, 3 groups) → Flatten → Dense(3); cross-entropy.
func GroupedCNN() *nn.Model {
	m := nn.New("grouped_cnn")
	x := m.Input("x", 4, 7, 7)
	y := m.Labels("label")
	h := x.Conv2D("g1", 6, nn.K(3), nn.Pads(1), nn.Groups(2), nn.Act("relu"))
	h = h.Conv2D("g2", 6, nn.K(3), nn.Strides(2), nn.Groups(3))
	logits := h.Flatten("flat").Dense("fc", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// MobileBlock is "mobile_block": x (N, 3, 8, 8) → DepthwiseConv2D(multiplier 2, 3×3,
// pads 1, no bias) → BatchNorm → relu → Conv2D(8, 1×1) with relu → GlobalAvgPool2D →
// Dense(3); cross-entropy.
func MobileBlock() *nn.Model {
	m := nn.New("mobile_block")
	x := m.Input("x", 3, 8, 8)
	y := m.Labels("label")
	h := x.DepthwiseConv2D("dw", 2, nn.K(3), nn.Pads(1), nn.NoBias).BatchNorm("bn").Relu("relu")
	h = h.Conv2D("pw", 8, nn.K(1), nn.Act("relu")).GlobalAvgPool2D("gap")
	logits := h.Dense("fc", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// GroupedConv1D is "grouped_conv1d": x (N, 4, 10) → Conv1D(4, 3, 4 groups) with tanh
// → Conv1D(6, 2, dilation 2, 2 groups) → Flatten → Dense(2); mean squared error.
func GroupedConv1D() *nn.Model {
	m := nn.New("grouped_conv1d")
	x := m.Input("x", 4, 10)
	t := m.Target("t", 2)
	h := x.Conv1D("dw", 4, nn.K(3), nn.Groups(4), nn.Act("tanh"))
	h = h.Conv1D("g", 6, nn.K(2), nn.Dilation(2), nn.Groups(2))
	y := h.Flatten("flat").Dense("fc", 2)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, t))
	return m
}
