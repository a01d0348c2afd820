package torchmodels

import "github.com/dlgen/dlgen/nn"

// ActGoldenFile holds PyTorch's values for the models of ActModels (written by
// testdata/torch/act_golden.py), relative to the module root.
const ActGoldenFile = "testdata/torch/act_golden.json"

// ActModels are the models of act_golden.py, in its order: the smooth activations
// (ELU, SELU, softplus, GELU exact and tanh, SiLU/swish) after convolutions, a
// transposed convolution and dense layers; then ReLU6, the hard sigmoid and the hard
// swish.
var ActModels = []Case{
	{"act", "conv_and_dense_elu_selu_maxpool_softplus_gelu_gelu_tanh_convtranspose_swish_elu_layer_silu_sparse_ce", Act},
	{"hard_act", "conv_relu6_conv_hard_sigmoid_dense_hard_swish_dense_relu6_sparse_ce", HardAct},
}

// HardAct is "hard_act": the piecewise-linear activations of MobileNet after
// convolutions and dense layers (ReLU6, hard sigmoid, hard swish, ReLU6),
// cross-entropy on logits.
func HardAct() *nn.Model {
	m := nn.New("hard_act")
	x := m.Input("x", 2, 6, 6)
	label := m.Labels("label")
	h := x.Conv2D("c_relu6", 4, nn.K(3), nn.Same, nn.Act("relu6"))             // 4×6×6
	h = h.Conv2D("c_hsig", 3, nn.K(3), nn.Act("hard_sigmoid")).Flatten("flat") // 48
	h = h.Dense("d_hswish", 8, nn.Act("hard_swish")).Dense("d_relu6", 6, nn.Act("relu6"))
	logits := h.Dense("out", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, label, nn.FromLogits))
	return m
}

// LoadActGolden reads act_golden.json from path and checks that it holds the models
// of ActModels, in order.
func LoadActGolden(path string) ([]Golden, error) { return LoadGoldenOf(path, ActModels) }

// Act is "act": every smooth activation after a convolution and after a dense layer
// (ELU also as a layer of its own with alpha 0.7), cross-entropy on logits.
func Act() *nn.Model {
	m := nn.New("act")
	x := m.Input("x", 2, 6, 6)
	label := m.Labels("label")
	h := x.Conv2D("c_elu", 3, nn.K(3), nn.Same, nn.Act("elu"))                             // 3×6×6
	h = h.Conv2D("c_selu", 4, nn.K(3), nn.Same, nn.Act("selu")).MaxPool2D("pool", nn.K(2)) // 4×3×3
	h = h.Conv2D("c_softplus", 4, nn.K(2), nn.Act("softplus"))                             // 4×2×2
	h = h.Conv2D("c_gelu", 3, nn.K(1), nn.Act("gelu"))                                     // 3×2×2
	h = h.Conv2DTranspose("c_gelu_tanh", 2, nn.K(2), nn.Strides(2), nn.Act("gelu_tanh"))   // 2×4×4
	h = h.Conv2D("c_swish", 2, nn.K(3), nn.Act("swish"))                                   // 2×2×2
	h = h.Flatten("flat").ELU("elu_layer", 0.7)                                            // 8
	h = h.Dense("d_elu", 8, nn.Act("elu", 0.5)).Dense("d_selu", 8, nn.Act("selu"))         // 8
	h = h.Dense("d_softplus", 8, nn.Act("softplus")).Dense("d_gelu", 8, nn.Act("gelu"))    // 8
	h = h.Dense("d_gelu_tanh", 6, nn.Act("gelu_tanh")).Dense("d_silu", 5, nn.Act("silu"))  // 5
	logits := h.Dense("out", 3)                                                            // 3
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, label, nn.FromLogits))
	return m
}
