#!/usr/bin/python3
"""Golden values for whole dlgen models with zero padding and cropping: a
convolutional autoencoder on 28×28 images that pads them to 32×32 before its encoder
and crops its decoder's 32×32 back to 28×28, and a 1-D model that pads a sequence
unevenly, convolves it and crops it unevenly.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/padcrop_golden.py > testdata/torch/padcrop_golden.json

The models are mirrored layer for layer by torchmodels.PadCropAE and
torchmodels.PadCrop1D (internal/torchmodels/padcrop.go), with the torch module names
as dlgen layer names, so the state_dict names are dlgen's parameter names;
models/padcrop_test.go compares them in the reference interpreter and codegen's
TestTheTorchModelsMatchPyTorch in generated code. Padding is nn.ZeroPad2d and F.pad
(Keras' ZeroPadding2D and ZeroPadding1D), cropping is slicing (Keras' Cropping2D and
Cropping1D), so dlgen's Pad2D with negative pads is checked against slicing here.
Everything is float64; parameters and inputs are drawn at random and rounded to 3
decimals, so the JSON holds them exactly. The record is that of models_golden.py.
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

torch.manual_seed(20261211)
torch.set_default_dtype(torch.float64)

# Rounded random parameters from torch's default initialisation, scaled by 3 so that
# the outputs spread.
record = functools.partial(goldenlib.record, randomize=functools.partial(goldenlib.randomize, scale=3))


# padcrop_ae: x (N, 1, 28, 28) →
#   ZeroPad2d(2) → 32×32 → Conv2d(1→4, 3×3, stride 2, padding 1) ReLU → 16×16 →
#   MaxPool 2 → 8×8 → ConvTranspose2d(4→4, 2×2, stride 2) ReLU → 16×16 →
#   ConvTranspose2d(4→1, 2×2, stride 2) → 32×32 → crop 2 on every side → 28×28 →
#   sigmoid; binary cross-entropy against x. The padded border is read by the first
# convolution, and the decoder's border is what the crop throws away, so its
# gradient must be zero there.
class PadCropAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d(2)
        self.enc = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.dec1 = nn.ConvTranspose2d(4, 4, 2, stride=2)
        self.dec2 = nn.ConvTranspose2d(4, 1, 2, stride=2)


def padcrop_ae_forward(m, d):
    x = d["x"]
    h = F.max_pool2d(F.relu(m.enc(m.pad(x))), 2)  # 4×8×8
    h = m.dec2(F.relu(m.dec1(h)))  # 1×32×32
    recon = torch.sigmoid(h[:, :, 2:-2, 2:-2])  # 1×28×28
    return {"recon": recon}, F.binary_cross_entropy(recon, x)


# padcrop_1d: x (N, 2, 9) → F.pad (2, 1) → 12 → Conv1d(2→3, 4) tanh → 9 →
#   crop (1, 2) → 6; mean squared error against t (N, 3, 6).
class PadCrop1D(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 4)


def padcrop_1d_forward(m, d):
    y = torch.tanh(m.conv(F.pad(d["x"], (2, 1))))[:, :, 1:-2]
    return {"y": y}, F.mse_loss(y, d["t"])


def main():
    x = rnd(torch.rand(2, 1, 28, 28))
    x1, t1 = rnd(torch.randn(3, 2, 9)), rnd(torch.randn(3, 3, 6))
    models = [
        record("padcrop_ae", PadCropAE(), {"x": x}, padcrop_ae_forward),
        record("padcrop_1d", PadCrop1D(), {"x": x1, "t": t1}, padcrop_1d_forward),
    ]
    json.dump({"generator": "testdata/torch/padcrop_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
