package torchmodels

import "github.com/dlgen/dlgen/nn"

// UpsampleGoldenFile holds PyTorch's values for the models of Upsample (written by
// testdata/torch/upsample_golden.py), relative to the module root.
const UpsampleGoldenFile = "testdata/torch/upsample_golden.json"

// Upsample are the models of upsample_golden.py, in its order: bilinear upsampling
// (PyTorch's Upsample(mode="bilinear", align_corners=False)) in a convolutional
// autoencoder. models/upsample_test.go compares them with PyTorch in the
// interpreter, codegen's TestTheTorchModelsMatchPyTorch in generated code.
var Upsample = []Case{
	{"bilinear_ae", "conv_relu_maxpool_3x2_conv_tanh_bilinear_upsampling_3x2_conv_sigmoid_bce", BilinearAE},
}

// LoadUpsampleGolden reads upsample_golden.json from path and checks that it holds
// the models of Upsample, in order.
func LoadUpsampleGolden(path string) ([]Golden, error) { return LoadGoldenOf(path, Upsample) }

// BilinearAE is "bilinear_ae": a convolutional autoencoder whose decoder enlarges a
// 2×4 code by (3, 2) with bilinear interpolation, then a convolution with sigmoid;
// binary cross-entropy against the input.
func BilinearAE() *nn.Model {
	m := nn.New("bilinear_ae")
	x := m.Input("x", 1, 6, 8)
	h := x.Conv2D("enc1", 4, nn.K(3), nn.Same, nn.Act("relu")).MaxPool2D("pool", nn.K(3, 2)) // 4×2×4
	h = h.Conv2D("enc2", 6, nn.K(3), nn.Same, nn.Act("tanh"))                                // 6×2×4
	h = h.UpSampling2D("up", 3, 2, nn.Bilinear)                                              // 6×6×8
	recon := h.Conv2D("dec", 1, nn.K(3), nn.Same, nn.Act("sigmoid"))                         // 1×6×8
	m.Output("recon", recon)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
	return m
}
