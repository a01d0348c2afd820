#!/usr/bin/python3
"""Golden values for a whole dlgen model built from the smooth activations: ELU,
SELU, softplus, GELU (exact and tanh approximation) and SiLU/swish, each after a
convolution and after a dense layer; and for one built from the piecewise-linear
ones of MobileNet: ReLU6, Hardsigmoid and Hardswish.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/act_golden.py > testdata/torch/act_golden.json

The model is mirrored layer for layer by torchmodels.Act (internal/torchmodels/act.go),
with the torch module names as dlgen layer names, so the state_dict names are dlgen's
parameter names; models/act_test.go compares it in the reference interpreter and
codegen/act_test.go in generated code. Everything is float64; parameters and inputs
are drawn at random and rounded to 3 decimals, so the JSON holds them exactly, and a
few biases are set far out so that the layers reach the ends of their activations:
ELU's and GELU's saturated negative side, softplus above its threshold of 20 (where
it is the identity and its derivative 1). The record is that of models_golden.py:
params, inputs, eval_outputs, eval_loss, train_outputs, loss, grads (of the
train-mode loss, for every parameter) and running (empty: no batch norm).
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
from goldenlib import randn, rnd  # noqa: E402

torch.manual_seed(20261207)
torch.set_default_dtype(torch.float64)


# act: x (N, 2, 6, 6) →
#   Conv2d(2→3, 3×3, same) ELU → Conv2d(3→4, 3×3, same) SELU → MaxPool 2 →
#   Conv2d(4→4, 2×2) softplus → Conv2d(4→3, 1×1) GELU →
#   ConvTranspose2d(3→2, 2×2, stride 2) GELU (tanh) → Conv2d(2→2, 3×3) SiLU (swish) →
#   flatten (8) → ELU(0.7) as a layer of its own →
#   Linear(8→8) ELU(0.5) → Linear(8→8) SELU → Linear(8→8) softplus →
#   Linear(8→8) GELU → Linear(8→6) GELU (tanh) → Linear(6→5) SiLU → Linear(5→3) logits;
# cross-entropy against class labels, softmax probabilities out.
class Act(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_elu = nn.Conv2d(2, 3, 3, padding=1)
        self.c_selu = nn.Conv2d(3, 4, 3, padding=1)
        self.c_softplus = nn.Conv2d(4, 4, 2)
        self.c_gelu = nn.Conv2d(4, 3, 1)
        self.c_gelu_tanh = nn.ConvTranspose2d(3, 2, 2, stride=2)
        self.c_swish = nn.Conv2d(2, 2, 3)
        self.d_elu = nn.Linear(8, 8)
        self.d_selu = nn.Linear(8, 8)
        self.d_softplus = nn.Linear(8, 8)
        self.d_gelu = nn.Linear(8, 8)
        self.d_gelu_tanh = nn.Linear(8, 6)
        self.d_silu = nn.Linear(6, 5)
        self.out = nn.Linear(5, 3)


def act_forward(m, d):
    h = F.elu(m.c_elu(d["x"]))  # 3×6×6
    h = F.max_pool2d(F.selu(m.c_selu(h)), 2)  # 4×3×3
    h = F.softplus(m.c_softplus(h))  # 4×2×2
    h = F.gelu(m.c_gelu(h))  # 3×2×2
    h = F.gelu(m.c_gelu_tanh(h), approximate="tanh")  # 2×4×4
    h = F.silu(m.c_swish(h))  # 2×2×2
    h = F.elu(h.flatten(1), 0.7)  # 8
    h = F.elu(m.d_elu(h), 0.5)
    h = F.selu(m.d_selu(h))
    h = F.softplus(m.d_softplus(h))
    h = F.gelu(m.d_gelu(h))
    h = F.gelu(m.d_gelu_tanh(h), approximate="tanh")
    h = F.silu(m.d_silu(h))
    logits = m.out(h)
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"].long())


def randomize(model):
    """Rounded random parameters from torch's default initialisation, scaled up to
    reach past the bend of each activation, and a few biases far out."""
    goldenlib.randomize(model, scale=1.5)  # no batch norm here: every parameter times 1.5
    with torch.no_grad():
        model.c_elu.bias[2] = -6.0  # ELU saturates: e^x - 1 ≈ -1, derivative ≈ 0
        model.c_softplus.bias[0] = 20.5  # softplus on both sides of its threshold
        model.c_gelu.bias[1] = -16.0  # GELU on both sides of 0
        model.d_softplus.bias[1] = 21.0
        model.d_gelu.bias[0] = -6.0  # GELU's far negative side
        model.d_silu.bias[1] = -12.0  # SiLU's


record = functools.partial(goldenlib.record, randomize=randomize)


# hard_act: the piecewise-linear activations of MobileNet, at a scale that reaches
# past their bends (ReLU6's 0 and 6, the hard sigmoid's and swish's ±3):
#   Conv2d(2→4, 3×3, same) ReLU6 → Conv2d(4→3, 3×3) hard sigmoid → flatten (3·4·4) →
#   Linear(48→8) Hardswish → Linear(8→6) ReLU6 → Linear(6→3) logits; cross-entropy.
class HardAct(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_relu6 = nn.Conv2d(2, 4, 3, padding=1)
        self.c_hsig = nn.Conv2d(4, 3, 3)
        self.d_hswish = nn.Linear(48, 8)
        self.d_relu6 = nn.Linear(8, 6)
        self.out = nn.Linear(6, 3)


# The hard sigmoid written out: PyTorch 1.13's Hardsigmoid backward multiplies by
# the float32 1/6 even on float64 tensors (ATen's one_sixth is 1.0f / 6.0f), 3e-8
# relative from 1/6, which a float64 oracle at 1e-9 would see; its forward divides by
# 6. main checks that F.hardsigmoid agrees with this to float32's precision.
def hard_sigmoid(v):
    return F.relu6(v + 3) / 6


def hard_act_forward(m, d):
    h = F.relu6(m.c_relu6(d["x"]))
    h = hard_sigmoid(m.c_hsig(h)).flatten(1)
    h = F.hardswish(m.d_hswish(h))
    h = F.relu6(m.d_relu6(h))
    logits = m.out(h)
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"].long())


def randomize_hard(model):
    goldenlib.randomize(model, scale=4.0)


def main():
    x = randn(5, 2, 6, 6, scale=1.5)
    label = torch.tensor([0, 2, 1, 2, 0], dtype=torch.float64)
    models = [record("act", Act(), {"x": x, "label": label}, act_forward)]
    hard = HardAct()
    xh = randn(4, 2, 6, 6, scale=3.0)
    models.append(goldenlib.record("hard_act", hard, {"x": xh, "label": torch.tensor([2, 0, 1, 1], dtype=torch.float64)},
                                   hard_act_forward, randomize=randomize_hard))
    v = (randn(200, scale=4.0)).requires_grad_(True)
    assert torch.equal(F.hardsigmoid(v), hard_sigmoid(v))
    (g_torch,) = torch.autograd.grad(F.hardsigmoid(v).sum(), v)
    (g_out,) = torch.autograd.grad(hard_sigmoid(v).sum(), v)
    assert torch.allclose(g_torch, g_out, rtol=1e-7, atol=0) and (g_out != 0).any()
    # Every bend is reached from both sides, so the gradients' zero regions count.
    with torch.no_grad():
        c1 = hard.c_relu6(xh)
        assert (c1 < 0).any() and (c1 > 6).any() and ((c1 > 0) & (c1 < 6)).any()
        c2 = hard.c_hsig(F.relu6(c1))
        assert (c2 < -3).any() and (c2 > 3).any() and (c2.abs() < 3).any()
    json.dump({"generator": "testdata/torch/act_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
