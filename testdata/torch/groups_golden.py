#!/usr/bin/python3
"""Golden values for whole models with grouped and depthwise convolutions (PyTorch's
Conv2d/Conv1d groups, Keras' DepthwiseConv2D and Conv2D groups).

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/groups_golden.py > testdata/torch/groups_golden.json

The models are mirrored layer for layer by internal/torchmodels/groups.go (compared
in the interpreter by models/groups_test.go, in generated code by codegen's
TestTheTorchModelsMatchPyTorch), with the torch module names as dlgen layer names, so
the state_dict names are dlgen's parameter names. Everything is float64; parameters
are drawn at random and rounded to 3 decimals (batch norms get random statistics).
Each record is that of models_golden.py (see goldenlib.record).
"""

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for goldenlib, from any cwd
from goldenlib import rand, randomize, record  # noqa: E402

torch.manual_seed(20261204)
torch.set_default_dtype(torch.float64)


# grouped_cnn: x (N, 4, 7, 7) → Conv2d(4→6, 3×3, padding 1, groups 2) → relu →
# Conv2d(6→6, 3×3, stride 2, groups 3) → flatten (6·3·3) → Linear(54→3);
# cross-entropy against (N) labels.
class GroupedCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.g1 = nn.Conv2d(4, 6, 3, padding=1, groups=2)
        self.g2 = nn.Conv2d(6, 6, 3, stride=2, groups=3)
        self.fc = nn.Linear(54, 3)


def grouped_cnn_forward(m, d):
    h = m.g2(F.relu(m.g1(d["x"])))
    logits = m.fc(h.flatten(1))
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


# mobile_block: x (N, 3, 8, 8) → depthwise Conv2d(3→6, 3×3, padding 1, groups 3,
# no bias; Keras' DepthwiseConv2D with depth_multiplier 2) → BatchNorm2d(6) → relu →
# pointwise Conv2d(6→8, 1×1) → relu → global average → Linear(8→3); cross-entropy.
# MobileNet's block.
class MobileBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(3, 6, 3, padding=1, groups=3, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.pw = nn.Conv2d(6, 8, 1)
        self.fc = nn.Linear(8, 3)


def mobile_block_forward(m, d):
    h = F.relu(m.bn(m.dw(d["x"])))
    h = F.relu(m.pw(h)).mean(dim=(2, 3))
    logits = m.fc(h)
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


# grouped_conv1d: x (N, 4, 10) → depthwise Conv1d(4→4, 3, groups 4) → tanh →
# Conv1d(4→6, 2, dilation 2, groups 2) → flatten (6·6) → Linear(36→2); mean squared
# error.
class GroupedConv1D(nn.Module):
    def __init__(self):
        super().__init__()
        self.dw = nn.Conv1d(4, 4, 3, groups=4)
        self.g = nn.Conv1d(4, 6, 2, dilation=2, groups=2)
        self.fc = nn.Linear(36, 2)


def grouped_conv1d_forward(m, d):
    h = m.g(torch.tanh(m.dw(d["x"])))
    y = m.fc(h.flatten(1))
    return {"y": y}, F.mse_loss(y, d["t"])


# separable: x (N, 3, 9, 9) → Keras' SeparableConv2D(5, 3×3, strides 2, padding
# "same") with relu, written out: the depthwise kernel over each channel (TensorFlow's
# same pads at stride 2 on 9: 1 before, 1 after), the pointwise 1×1 kernel, the bias;
# → global average → Linear(5→2); mean squared error. The parameters are the layer's
# own tensors, named as dlgen names them.
class Separable(nn.Module):
    def __init__(self):
        super().__init__()
        self.sep = nn.Module()
        self.sep.depthwise_weight = nn.Parameter(torch.empty(3, 1, 3, 3))
        self.sep.pointwise_weight = nn.Parameter(torch.empty(5, 3, 1, 1))
        self.sep.bias = nn.Parameter(torch.empty(5))
        self.fc = nn.Linear(5, 2)


def separable_forward(m, d):
    h = F.conv2d(F.pad(d["x"], (1, 1, 1, 1)), m.sep.depthwise_weight, stride=2, groups=3)  # (N, 3, 5, 5)
    h = F.relu(F.conv2d(h, m.sep.pointwise_weight, m.sep.bias))  # (N, 5, 5, 5)
    y = m.fc(h.mean(dim=(2, 3)))
    return {"y": y}, F.mse_loss(y, d["t"])


def main():
    models = []
    g = GroupedCNN()
    randomize(g)
    models.append(record("grouped_cnn", g, {"x": rand(3, 4, 7, 7), "label": torch.randint(0, 3, (3,))},
                         grouped_cnn_forward))
    mb = MobileBlock()
    randomize(mb)
    models.append(record("mobile_block", mb, {"x": rand(4, 3, 8, 8), "label": torch.randint(0, 3, (4,))},
                         mobile_block_forward))
    g1 = GroupedConv1D()
    randomize(g1)
    models.append(record("grouped_conv1d", g1, {"x": rand(3, 4, 10), "t": rand(3, 2)}, grouped_conv1d_forward))
    sep = Separable()
    with torch.no_grad():
        for p in sep.sep.parameters():
            p.copy_(torch.round(torch.randn(p.shape) * 500) / 1000)
    randomize(sep.fc)
    models.append(record("separable", sep, {"x": rand(3, 3, 9, 9), "t": rand(3, 2)}, separable_forward))
    json.dump({"generator": "testdata/torch/groups_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
