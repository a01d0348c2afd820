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

import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261210)
torch.set_default_dtype(torch.float64)


def rnd(x):
    return torch.round(x * 1000) / 1000


def tensor(x):
    return {"shape": list(x.shape), "data": x.detach().reshape(-1).tolist()}


def flat(x):
    return x.detach().reshape(-1).tolist()


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


def randomize(model):
    """Rounded random parameters from torch's default initialisation, scaled so that
    the decoder's outputs spread over (0, 1)."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(rnd(3 * p))
            p[p == 0] = 0.001  # a zero bias would hide a missing one


def record(name, model, inputs, forward):
    """Runs forward(model, inputs) -> (outputs dict, loss) in eval then train mode."""
    randomize(model)
    params = {k: tensor(v) for k, v in model.state_dict().items()}
    model.eval()
    with torch.no_grad():
        eval_out, eval_loss = forward(model, inputs)
    model.train()
    model.zero_grad()
    train_out, loss = forward(model, inputs)
    loss.backward()
    return {
        "name": name,
        "batch": next(iter(inputs.values())).shape[0],
        "params": params,
        "inputs": {k: tensor(v) for k, v in inputs.items()},
        "eval_outputs": {k: flat(v) for k, v in eval_out.items()},
        "eval_loss": eval_loss.item(),
        "train_outputs": {k: flat(v) for k, v in train_out.items()},
        "loss": loss.item(),
        "grads": {k: flat(p.grad) for k, p in model.named_parameters()},
        "running": {},
    }


def main():
    x = rnd(torch.rand(3, 1, 6, 8))
    models = [record("bilinear_ae", BilinearAE(), {"x": x}, bilinear_ae_forward)]
    json.dump({"generator": "testdata/torch/upsample_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
