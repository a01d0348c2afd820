package torchmodels

import "github.com/dlgen/dlgen/nn"

// PadCropGoldenFile holds PyTorch's values for the models of PadCrop (written by
// testdata/torch/padcrop_golden.py), relative to the module root.
const PadCropGoldenFile = "testdata/torch/padcrop_golden.json"

// PadCrop are the models of padcrop_golden.py, in its order: zero padding and
// cropping (PyTorch's ZeroPad2d, F.pad and slicing) in a convolutional autoencoder
// and a 1-D model. models/padcrop_test.go compares them with PyTorch in the
// interpreter, codegen's TestTheTorchModelsMatchPyTorch in generated code.
var PadCrop = []Case{
	{"padcrop_ae", "pad_28_to_32_conv_relu_maxpool_deconv_relu_deconv_crop_32_to_28_sigmoid_bce", PadCropAE},
	{"padcrop_1d", "pad_2_1_conv1d_tanh_crop_1_2_mse", PadCrop1D},
}

// LoadPadCropGolden reads padcrop_golden.json from path and checks that it holds the
// models of PadCrop, in order.
func LoadPadCropGolden(path string) ([]Golden, error) { return LoadGoldenOf(path, PadCrop) }

// PadCropAE is "padcrop_ae": an MNIST-sized convolutional autoencoder that pads its
// 28×28 input to 32×32, halves it twice (a strided convolution, a max pool),
// doubles it twice with transposed convolutions and crops the 32×32 result back to
// 28×28; binary cross-entropy against the input.
func PadCropAE() *nn.Model {
	m := nn.New("padcrop_ae")
	x := m.Input("x", 1, 28, 28)
	h := x.ZeroPadding2D("pad", 2)                                                       // 1×32×32
	h = h.Conv2D("enc", 4, nn.K(3), nn.Strides(2), nn.Pads(1), nn.Act("relu"))           // 4×16×16
	h = h.MaxPool2D("pool", nn.K(2))                                                     // 4×8×8
	h = h.Conv2DTranspose("dec1", 4, nn.K(2), nn.Strides(2), nn.Pads(0), nn.Act("relu")) // 4×16×16
	h = h.Conv2DTranspose("dec2", 1, nn.K(2), nn.Strides(2), nn.Pads(0))                 // 1×32×32
	recon := h.Cropping2D("crop", 2).Sigmoid("recon")                                    // 1×28×28
	m.Output("recon", recon)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
	return m
}

// PadCrop1D is "padcrop_1d": a sequence (N, 2, 9) padded by (2, 1), a Conv1D of 3
// filters of 4 with tanh, cropped by (1, 2); mean squared error against t.
func PadCrop1D() *nn.Model {
	m := nn.New("padcrop_1d")
	x := m.Input("x", 2, 9)
	h := x.ZeroPadding1D("pad", 2, 1)                // 2×12
	h = h.Conv1D("conv", 3, nn.K(4), nn.Act("tanh")) // 3×9
	y := h.Cropping1D("crop", 1, 2)                  // 3×6
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, m.Target("t", 3, 6)))
	return m
}
