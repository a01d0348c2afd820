#!/usr/bin/python3
"""Golden values for whole models with the parametric ReLU (torch.nn.PReLU): a
convolution with one PReLU α per channel (num_parameters=C) under a dense layer with
PyTorch's one α (num_parameters=1), and a sequence whose per-step dense output goes
through Keras' PReLU with shared_axes=[1] (one α per feature, shared over the steps;
written as torch.where(x > 0, x, α·x) with α of shape (1, F), as Keras stores it).

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/prelu_golden.py > testdata/torch/prelu_golden.json

The models are mirrored layer for layer by internal/torchmodels/prelu.go (compared in
the interpreter by models/prelu_test.go, in generated code by codegen's
TestTheTorchModelsMatchPyTorch), with the torch module names as dlgen layer names, so
the state_dict names are dlgen's parameter names. Everything is float64; parameters
are torch's initialisation times 2, rounded to 3 decimals, except each PReLU's α
(torch starts every one at 0.25), drawn uniformly from [-0.5, 1) so that an α applied
to the wrong channel or feature shows. Each record is that of models_golden.py (see
goldenlib.record).
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
from goldenlib import randn  # noqa: E402

torch.manual_seed(20261129)
torch.set_default_dtype(torch.float64)


class KerasPReLU(nn.Module):
    """Keras' PReLU: α of the input's shape after the batch, with the shared axes of
    size 1; y = x where x > 0, else α·x."""

    def __init__(self, shape):
        super().__init__()
        self.weight = nn.Parameter(torch.full(shape, 0.25))

    def forward(self, x):
        return torch.where(x > 0, x, self.weight * x)


def fix_prelus(model):
    """Random α for every PReLU."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.PReLU, KerasPReLU)):
                mod.weight.copy_(goldenlib.rnd(-0.5 + 1.5 * torch.rand(mod.weight.shape)))


record = functools.partial(goldenlib.record, randomize=functools.partial(goldenlib.randomize, scale=2),
                           fix=fix_prelus)


# prelu_conv: x (N, 2, 6, 6) → Conv2d(2→3, 3) → PReLU(3) (an α per channel) →
# flatten → Linear(48→5) → PReLU() (one α) → Linear(5→3); cross-entropy of the logits
# against class labels.
class PReLUConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.act1 = nn.PReLU(3)
        self.fc = nn.Linear(48, 5)
        self.act2 = nn.PReLU()
        self.out = nn.Linear(5, 3)


def prelu_conv_forward(m, d):
    h = m.act1(m.conv(d["x"]))
    h = m.act2(m.fc(torch.flatten(h, 1)))
    logits = m.out(h)
    return {"probs": torch.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


# prelu_seq: x (N, 5, 4) → Linear(4→6) per step → Keras' PReLU with shared_axes=[1]
# (α (1, 6)) → Linear(6→2) per step; mean squared error against a target.
class PReLUSeq(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 6)
        self.act = KerasPReLU((1, 6))
        self.out = nn.Linear(6, 2)


def prelu_seq_forward(m, d):
    y = m.out(m.act(m.proj(d["x"])))
    return {"y": y}, F.mse_loss(y, d["t"])


def main():
    x = randn(4, 2, 6, 6)
    label = torch.tensor([2, 0, 1, 1])
    xs = randn(3, 5, 4)
    t = randn(3, 5, 2)
    models = [
        record("prelu_conv", PReLUConv(), {"x": x, "label": label}, prelu_conv_forward),
        record("prelu_seq", PReLUSeq(), {"x": xs, "t": t}, prelu_seq_forward),
    ]
    json.dump({"generator": "testdata/torch/prelu_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
