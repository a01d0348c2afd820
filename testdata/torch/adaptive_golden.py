#!/usr/bin/python3
"""Golden values for whole models with PyTorch's adaptive pooling (AdaptiveAvgPool2d,
AdaptiveMaxPool2d) at output sizes that divide the input and that do not.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/adaptive_golden.py > testdata/torch/adaptive_golden.json

The models are mirrored layer for layer by internal/torchmodels/adaptive.go (compared
in the interpreter by models/adaptive_test.go, in generated code by codegen's
TestTheTorchModelsMatchPyTorch), with the torch module names as dlgen layer names, so
the state_dict names are dlgen's parameter names. Everything is float64; parameters
are drawn at random and rounded to 3 decimals. Each record is that of
models_golden.py (see goldenlib.record).
"""

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for goldenlib, from any cwd
from goldenlib import rand, randomize, record  # noqa: E402

torch.manual_seed(20261205)
torch.set_default_dtype(torch.float64)


# vgg_head: x (N, 2, 8, 8) → Conv2d(2→3, 3×3, padding 1) → relu →
# AdaptiveAvgPool2d((4, 2)) (windows 2×4, one pool) → flatten → Linear(24→3); CE.
class VGGHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.fc = nn.Linear(24, 3)


def vgg_head_forward(m, d):
    h = F.adaptive_avg_pool2d(F.relu(m.conv(d["x"])), (4, 2))
    logits = m.fc(h.flatten(1))
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


# uneven: x (N, 2, 7, 5) → Conv2d(2→3, 1×1) → tanh → AdaptiveAvgPool2d((3, 2))
# (row windows 0-2, 2-4, 4-6; column windows 0-2, 2-4: overlapping) → flatten →
# Linear(18→2); and the same conv output → AdaptiveMaxPool2d((2, 3)) → flatten →
# Linear(18→2); the two added; mean squared error.
class Uneven(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 1)
        self.fa = nn.Linear(18, 2)
        self.fm = nn.Linear(18, 2)


def uneven_forward(m, d):
    h = torch.tanh(m.conv(d["x"]))
    y = m.fa(F.adaptive_avg_pool2d(h, (3, 2)).flatten(1)) + m.fm(F.adaptive_max_pool2d(h, (2, 3)).flatten(1))
    return {"y": y}, F.mse_loss(y, d["t"])


# upsized: x (N, 2, 3, 3) → AdaptiveMaxPool2d((4, 5)) (more cells than pixels:
# windows repeat rows and columns) → Conv2d(2→2, 2×2) → flatten → Linear(24→2); MSE.
class Upsized(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 2)
        self.fc = nn.Linear(24, 2)


def upsized_forward(m, d):
    h = m.conv(F.adaptive_max_pool2d(d["x"], (4, 5)))
    y = m.fc(h.flatten(1))
    return {"y": y}, F.mse_loss(y, d["t"])


def main():
    models = []
    v = VGGHead()
    randomize(v)
    models.append(record("vgg_head", v, {"x": rand(3, 2, 8, 8), "label": torch.randint(0, 3, (3,))}, vgg_head_forward))
    u = Uneven()
    randomize(u)
    models.append(record("uneven_pool", u, {"x": rand(3, 2, 7, 5), "t": rand(3, 2)}, uneven_forward))
    s = Upsized()
    randomize(s)
    models.append(record("upsized_pool", s, {"x": rand(2, 2, 3, 3), "t": rand(2, 2)}, upsized_forward))
    json.dump({"generator": "testdata/torch/adaptive_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
