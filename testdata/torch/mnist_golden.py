#!/usr/bin/python3
"""Golden values for PyTorch's own MNIST network (pytorch/examples, mnist/main.py,
class Net) as dlgen builds it (models.TorchMNIST): two 3×3 convolutions with ReLU,
max pooling, dropout, a dense layer with ReLU, dropout, a dense layer and
F.log_softmax(dim=1), trained with F.nll_loss.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/mnist_golden.py > testdata/torch/mnist_golden.json

The network is examples/mnist's Net with its layer sizes as parameters; here it is
small (10×10 images, 4 and 6 filters, 12 hidden units) and its dropout rates are 0,
so that the train-mode pass is deterministic: dlgen draws its own dropout masks,
not torch's, and in eval mode dropout is the identity either way. It is mirrored by
torchmodels.MNISTNet (models.TorchMNISTNet with the same sizes), with the torch
module names as dlgen layer names, so the state_dict names are dlgen's parameter
names; models/mnist_test.go compares it in the reference interpreter and codegen's
TestTheTorchModelsMatchPyTorch in generated code. Everything is float64;
parameters and inputs are drawn at random and rounded to 3 decimals, so the JSON
holds them exactly. The record is that of models_golden.py.

The first image is scaled by 250, so that its logits are hundreds apart: some of its
log-probabilities are far below ln of the smallest float32 (about -103), where
log(softmax) in float32 would be -inf and log_softmax is not.
"""

import functools
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for goldenlib, from any cwd
import goldenlib  # noqa: E402
from goldenlib import rnd  # noqa: E402

torch.manual_seed(20261212)
torch.set_default_dtype(torch.float64)

record = functools.partial(goldenlib.record, randomize=functools.partial(goldenlib.randomize, scale=2))


# examples/mnist's Net, verbatim but for the sizes (28, 32, 64, 128 there; 9216 =
# 64·12·12 inputs to fc1) and the dropout rates (0.25 and 0.5 there).
class Net(nn.Module):
    def __init__(self, side, c1, c2, hidden, p1, p2):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, 3, 1)
        self.conv2 = nn.Conv2d(c1, c2, 3, 1)
        self.dropout1 = nn.Dropout(p1)
        self.dropout2 = nn.Dropout(p2)
        pooled = (side - 4) // 2
        self.fc1 = nn.Linear(c2 * pooled * pooled, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def net_forward(m, d):
    out = m(d["image"])
    return {"log_probs": out}, F.nll_loss(out, d["label"])


def main():
    image = rnd(torch.rand(5, 1, 10, 10))
    image[0] = rnd(250 * image[0])
    label = torch.tensor([3, 0, 9, 3, 7])
    net = Net(10, 4, 6, 12, 0.0, 0.0)
    rec = record("mnist_net", net, {"image": image, "label": label}, net_forward)
    low = min(rec["eval_outputs"]["log_probs"][:10])
    assert low < -110, low  # the first image's smallest log-probability
    assert all(v == v and abs(v) != float("inf") for v in rec["eval_outputs"]["log_probs"])
    json.dump({"generator": "testdata/torch/mnist_golden.py", "torch": torch.__version__, "models": [rec]},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
