package models

import "github.com/dlgen/dlgen/nn"

// TorchMNIST is the network of PyTorch's own MNIST example (pytorch/examples,
// mnist/main.py, class Net), layer for layer and with its parameter names, so a
// state_dict saved by that script loads unchanged (1,199,882 parameters):
//
//	conv1 = Conv2d(1, 32, 3, 1), ReLU      → 32×26×26
//	conv2 = Conv2d(32, 64, 3, 1), ReLU     → 64×24×24
//	max_pool2d(2), dropout1 = Dropout(0.25) → 64×12×12
//	flatten, fc1 = Linear(9216, 128), ReLU, dropout2 = Dropout(0.5)
//	fc2 = Linear(128, 10), log_softmax(dim=1)
//
// trained with F.nll_loss on the log-probabilities "log_probs" (the arg-max is the
// class, as for probabilities). Weights start as dlgen's defaults (Glorot uniform,
// zero biases), not PyTorch's kaiming-uniform ones.
//
//dlgen:model
func TorchMNIST() *nn.Model { return TorchMNISTNet("torch_mnist", 28, 32, 64, 128, 0.25, 0.5) }

// TorchMNISTNet is TorchMNIST's layout for side×side one-channel images, with c1
// and c2 filters in the two convolutions, hidden units in fc1 and dropout rates
// drop1 and drop2. The whole-model golden test runs a small one against PyTorch
// (internal/torchmodels).
func TorchMNISTNet(name string, side, c1, c2, hidden int, drop1, drop2 float64) *nn.Model {
	m := nn.New(name)
	x := m.Input("image", 1, side, side)
	y := m.Labels("label")
	h := x.Conv2D("conv1", c1, nn.K(3), nn.Act("relu"))
	h = h.Conv2D("conv2", c2, nn.K(3), nn.Act("relu"))
	h = h.MaxPool2D("pool", nn.K(2)).Dropout("dropout1", drop1)
	h = h.Flatten("flatten").Dense("fc1", hidden, nn.Act("relu")).Dropout("dropout2", drop2)
	logProbs := h.Dense("fc2", 10, nn.Act("log_softmax"))
	m.Output("log_probs", logProbs)
	m.Loss(nn.NLLLoss("loss", logProbs, y))
	return m
}
