#!/usr/bin/python3
"""Golden values for a whole dlgen model with bilinear upsampling: a small
convolutional autoencoder whose decoder enlarges its code by (3, 2) with
nn.Upsample(mode="bilinear", align_corners=False).

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/upsample_golden.py > testdata/torch/upsample_golden.json

The model is mirrored layer for layer by torchmodels.BilinearAE
(internal/torchmodels/upsample.go), with the torch module names as dlgen layer names,
so the state_dict names are dlgen's parameter names; models/upsample_test.go compares
it in the reference interpreter and codegen's TestTheTorchModelsMatchPyTorch in
generated code. Everything is float64; parameters and inputs are drawn at random and
rounded to 3 decimals, so the JSON holds them exactly. The record is that of
models_golden.py: params, inputs, eval_outputs, eval_loss, train_outputs, loss, grads
(of the train-mode loss, for every parameter) and running (empty: no batch norm).
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

torch.manual_seed(20261210)
torch.set_default_dtype(torch.float64)

# Rounded random parameters from torch's default initialisation, scaled by 3 so that
# the decoder's outputs spread over (0, 1).
record = functools.partial(goldenlib.record, randomize=functools.partial(goldenlib.randomize, scale=3))


# bilinear_ae: x (N, 1, 6, 8) →
#   Conv2d(1→4, 3×3, same) ReLU → MaxPool (3, 2) → 4×2×4 →
#   Conv2d(4→6, 3×3, same) tanh → Upsample (3, 2), bilinear, align_corners=False →
#   6×6×8 → Conv2d(6→1, 3×3, same) sigmoid;
# binary cross-entropy against x. The code is 2×4 per channel, so the upsampling has
# both clamped borders on each axis, the middle phase of the odd factor 3, and the
# two phases of 2.
class BilinearAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(1, 4, 3, padding=1)
        self.enc2 = nn.Conv2d(4, 6, 3, padding=1)
        self.up = nn.Upsample(scale_factor=(3, 2), mode="bilinear", align_corners=False)
        self.dec = nn.Conv2d(6, 1, 3, padding=1)


def bilinear_ae_forward(m, d):
    x = d["x"]
    h = F.max_pool2d(F.relu(m.enc1(x)), (3, 2))  # 4×2×4
    h = torch.tanh(m.enc2(h))  # 6×2×4
    h = m.up(h)  # 6×6×8
    recon = torch.sigmoid(m.dec(h))  # 1×6×8
    return {"recon": recon}, F.binary_cross_entropy(recon, x)


def main():
    x = rnd(torch.rand(3, 1, 6, 8))
    models = [record("bilinear_ae", BilinearAE(), {"x": x}, bilinear_ae_forward)]
    json.dump({"generator": "testdata/torch/upsample_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
