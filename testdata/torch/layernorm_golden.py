#!/usr/bin/python3
"""Golden values for whole models with layer normalisation (torch.nn.LayerNorm): an MLP
with a LayerNorm between its Linear layers (and one without affine parameters), a
sequence tagger with a LayerNorm on every step of (N, T, F) between two LSTMs, and a
convolution whose (C, H, W) output is normalised per item with eps 1e-3 (Keras'
default, normalized_shape the whole feature map).

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/layernorm_golden.py > testdata/torch/layernorm_golden.json

The models are mirrored layer for layer by internal/torchmodels/layernorm.go (compared
in the interpreter by models/layernorm_test.go, in generated code by codegen's
TestTheTorchModelsMatchPyTorch), with the torch module names as dlgen layer names, so
the state_dict names are dlgen's parameter names. Everything is float64; parameters
are torch's initialisation times 2, rounded to 3 decimals, except each LayerNorm's
weight and bias (torch starts them at 1 and 0), drawn as 1 + 0.3·N(0, 1) and
0.3·N(0, 1) so that a weight or bias applied wrongly shows. Each record is that of
models_golden.py (see goldenlib.record).
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
from goldenlib import rand, randn  # noqa: E402

torch.manual_seed(20261128)
torch.set_default_dtype(torch.float64)


def fix_layer_norms(model):
    """Random affine parameters for every LayerNorm that has them."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.LayerNorm) and mod.elementwise_affine:
                mod.weight.copy_(goldenlib.rnd(1 + 0.3 * torch.randn(mod.weight.shape)))
                mod.bias.copy_(randn(*mod.bias.shape, scale=0.3))


record = functools.partial(goldenlib.record, randomize=functools.partial(goldenlib.randomize, scale=2),
                           fix=fix_layer_norms)


# ln_mlp: x (N, 12) → Linear(12→16) → LayerNorm(16) → ReLU → Linear(16→8) →
# LayerNorm(8, elementwise_affine=False) → tanh → Linear(8→3); cross-entropy of the
# logits against class labels.
class LNMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 16)
        self.ln1 = nn.LayerNorm(16)
        self.fc2 = nn.Linear(16, 8)
        self.ln2 = nn.LayerNorm(8, elementwise_affine=False)
        self.out = nn.Linear(8, 3)


def ln_mlp_forward(m, d):
    h = torch.relu(m.ln1(m.fc1(d["x"])))
    h = torch.tanh(m.ln2(m.fc2(h)))
    logits = m.out(h)
    return {"probs": torch.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


# ln_tagger: x (N, 6, 4) → LSTM(4→6) returning every step → LayerNorm(6) on every
# step → LSTM(6→5) returning every step → LayerNorm(5, eps=1e-3) → Linear(5→3) per
# step; cross-entropy against a class per step (cross_entropy on (N, 3, 6)).
class LNTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.LSTM(4, 6, batch_first=True)
        self.ln_enc = nn.LayerNorm(6)
        self.dec = nn.LSTM(6, 5, batch_first=True)
        self.ln_dec = nn.LayerNorm(5, eps=1e-3)
        self.tag = nn.Linear(5, 3)


def ln_tagger_forward(m, d):
    s, _ = m.enc(d["x"])
    s, _ = m.dec(m.ln_enc(s))
    logits = m.tag(m.ln_dec(s))  # (N, 6, 3)
    return {"probs": torch.softmax(logits, -1)}, F.cross_entropy(logits.permute(0, 2, 1), d["tags"])


# ln_conv: x (N, 2, 6, 6) → Conv2d(2→4, 3, padding 1) → LayerNorm((4, 6, 6), eps=1e-3)
# → ReLU → flatten → Linear(144→2); mean squared error against a target.
class LNConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.ln = nn.LayerNorm((4, 6, 6), eps=1e-3)
        self.fc = nn.Linear(144, 2)


def ln_conv_forward(m, d):
    h = torch.relu(m.ln(m.conv(d["x"])))
    y = m.fc(torch.flatten(h, 1))
    return {"y": y}, F.mse_loss(y, d["t"])


def main():
    x = randn(5, 12)
    label = torch.tensor([2, 0, 1, 1, 2])
    xs = rand(4, 6, 4)
    tags = torch.tensor([[0, 1, 2, 2, 1, 0], [2, 2, 0, 1, 0, 1], [1, 0, 0, 2, 2, 1], [0, 0, 1, 2, 1, 2]])
    xi = randn(3, 2, 6, 6)
    xi[0] = xi[0] * 40 + 25  # an item far from zero mean and unit spread: the statistics are per item
    t = randn(3, 2)
    models = [
        record("ln_mlp", LNMLP(), {"x": x, "label": label}, ln_mlp_forward),
        record("ln_tagger", LNTagger(), {"x": xs, "tags": tags}, ln_tagger_forward),
        record("ln_conv", LNConv(), {"x": xi, "t": t}, ln_conv_forward),
    ]
    json.dump({"generator": "testdata/torch/layernorm_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
