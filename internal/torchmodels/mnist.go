package torchmodels

import (
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
)

// MNISTGoldenFile holds PyTorch's values for the models of MNIST (written by
// testdata/torch/mnist_golden.py), relative to the module root.
const MNISTGoldenFile = "testdata/torch/mnist_golden.json"

// MNIST are the models of mnist_golden.py, in its order: PyTorch's examples/mnist
// Net (models.TorchMNIST), log_softmax and nll_loss, at a small size. Its dropout
// rates are 0 here, so that the train-mode forward and gradients are PyTorch's
// without its random masks (dlgen's masks are its own); eval mode ignores them.
// models/mnist_test.go compares it with PyTorch in the interpreter, codegen's
// TestTheTorchModelsMatchPyTorch in generated code.
var MNIST = []Case{
	{"mnist_net", "conv_relu_conv_relu_maxpool_dropout_flatten_dense_relu_dropout_dense_log_softmax_nll", MNISTNet},
}

// LoadMNISTGolden reads mnist_golden.json from path and checks that it holds the
// models of MNIST, in order.
func LoadMNISTGolden(path string) ([]Golden, error) { return LoadGoldenOf(path, MNIST) }

// MNISTNet is "mnist_net": models.TorchMNISTNet on 10×10 images with 4 and 6
// filters, 12 hidden units and dropout 0.
func MNISTNet() *nn.Model { return models.TorchMNISTNet("mnist_net", 10, 4, 6, 12, 0, 0) }
