package torchmodels

import "github.com/dlgen/dlgen/nn"

// AdaptiveGoldenFile holds PyTorch's values for the models of AdaptiveModels (written
// by testdata/torch/adaptive_golden.py), relative to the module root.
const AdaptiveGoldenFile = "testdata/torch/adaptive_golden.json"

// AdaptiveModels are the models of adaptive_golden.py, in its order: adaptive average
// pooling to a size that divides the input (one pool), average and max pooling to
// sizes that do not (overlapping windows of two sizes), and max pooling to more
// cells than the input has. models/adaptive_test.go compares them with PyTorch in the
// interpreter, codegen's TestTheTorchModelsMatchPyTorch in generated code.
var AdaptiveModels = []Case{
	{"vgg_head", "conv_relu_adaptive_avg_4x2_of_8x8_flatten_dense_sparse_ce", VGGHead},
	{"uneven_pool", "conv_tanh_adaptive_avg_3x2_and_adaptive_max_2x3_of_7x5_dense_add_mse", UnevenPool},
	{"upsized_pool", "adaptive_max_4x5_of_3x3_conv_flatten_dense_mse", UpsizedPool},
}

// VGGHead is "vgg_head": x (N, 2, 8, 8) → Conv2D(3, 3×3, pads 1) with relu →
// AdaptiveAvgPool2D(4, 2) → Flatten → Dense(3); cross-entropy.
func VGGHead() *nn.Model {
	m := nn.New("vgg_head")
	x := m.Input("x", 2, 8, 8)
	y := m.Labels("label")
	h := x.Conv2D("conv", 3, nn.K(3), nn.Pads(1), nn.Act("relu")).AdaptiveAvgPool2D("pool", 4, 2)
	logits := h.Flatten("flat").Dense("fc", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// UnevenPool is "uneven_pool": x (N, 2, 7, 5) → Conv2D(3, 1×1) with tanh, then
// AdaptiveAvgPool2D(3, 2) → Flatten → Dense(2) plus AdaptiveMaxPool2D(2, 3) →
// Flatten → Dense(2); mean squared error.
func UnevenPool() *nn.Model {
	m := nn.New("uneven_pool")
	x := m.Input("x", 2, 7, 5)
	t := m.Target("t", 2)
	h := x.Conv2D("conv", 3, nn.K(1), nn.Act("tanh"))
	a := h.AdaptiveAvgPool2D("avg", 3, 2).Flatten("avg_flat").Dense("fa", 2)
	b := h.AdaptiveMaxPool2D("max", 2, 3).Flatten("max_flat").Dense("fm", 2)
	y := nn.Add("y", a, b)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, t))
	return m
}

// UpsizedPool is "upsized_pool": x (N, 2, 3, 3) → AdaptiveMaxPool2D(4, 5) →
// Conv2D(2, 2×2) → Flatten → Dense(2); mean squared error.
func UpsizedPool() *nn.Model {
	m := nn.New("upsized_pool")
	x := m.Input("x", 2, 3, 3)
	t := m.Target("t", 2)
	h := x.AdaptiveMaxPool2D("pool", 4, 5).Conv2D("conv", 2, nn.K(2))
	y := h.Flatten("flat").Dense("fc", 2)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, t))
	return m
}
