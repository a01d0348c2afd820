#!/usr/bin/python3
"""Golden values for dlgen's lowering of BatchNorm, from torch.nn.BatchNorm1d/2d.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/batchnorm_golden.py > testdata/torch/batchnorm_golden.json

Each case runs one batch-norm module once, in float64, in train mode (output plus the
running statistics after the step) or eval mode (output from the given running
statistics). Inputs are rounded to 3 decimals to keep the file short.
"""

import json
import sys

import torch

torch.manual_seed(20240603)
DT = torch.float64


def rnd(x):
    return torch.round(x * 1000) / 1000


def case(name, x, train, eps, momentum):
    c = x.shape[1]
    bn = (torch.nn.BatchNorm2d if x.dim() == 4 else torch.nn.BatchNorm1d)(c, eps=eps, momentum=momentum).to(DT)
    with torch.no_grad():
        bn.weight.copy_(rnd(1 + 0.5 * torch.randn(c, dtype=DT)))
        bn.bias.copy_(rnd(torch.randn(c, dtype=DT)))
        bn.running_mean.copy_(rnd(torch.randn(c, dtype=DT)))
        bn.running_var.copy_(rnd(0.5 + torch.rand(c, dtype=DT)))
    before = {k: getattr(bn, k).detach().clone().tolist() for k in ("weight", "bias", "running_mean", "running_var")}
    bn.train(train)
    with torch.no_grad():
        y = bn(x)
    return {
        "name": name, "train": train, "eps": eps, "momentum": momentum,
        "x": {"shape": list(x.shape), "data": x.reshape(-1).tolist()},
        "gamma": before["weight"], "beta": before["bias"],
        "running_mean": before["running_mean"], "running_var": before["running_var"],
        "y": y.reshape(-1).tolist(),
        "running_mean_after": bn.running_mean.tolist(), "running_var_after": bn.running_var.tolist(),
    }


def x_of(*shape):
    # A per-channel offset and scale, so that normalising has something to remove.
    c = shape[1]
    view = [1, c] + [1] * (len(shape) - 2)
    return rnd(torch.randn(*shape, dtype=DT) * (1 + torch.arange(c, dtype=DT)).view(view) + 3 * torch.randn(c, dtype=DT).view(view))


cases = [
    case("BatchNorm2d in train mode", x_of(4, 3, 2, 3), True, 1e-5, 0.1),
    case("BatchNorm2d in eval mode", x_of(4, 3, 2, 3), False, 1e-5, 0.1),
    case("BatchNorm1d on (N, C) in train mode", x_of(5, 4), True, 1e-5, 0.1),
    case("BatchNorm1d on (N, C) in eval mode", x_of(5, 4), False, 1e-5, 0.1),
    case("BatchNorm2d in train mode with Keras defaults (eps 1e-3, momentum 0.01)", x_of(2, 2, 3, 3), True, 1e-3, 0.01),
]
json.dump({"generator": "testdata/torch/batchnorm_golden.py", "torch": torch.__version__, "cases": cases},
          sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
