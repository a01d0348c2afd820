#!/usr/bin/python3
"""Golden values for whole dlgen models built from the 1-D layers (Conv1D with Keras'
same, causal, full and explicit padding, Conv1DTranspose, MaxPool1D, AvgPool1D,
GlobalAvgPool1D, GlobalMaxPool1D, UpSampling1D) and GlobalMaxPool2D, with exact ties
in the global maxima.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/conv1d_golden.py > testdata/torch/conv1d_golden.json

The models are mirrored layer for layer by torchmodels.Conv1D and
torchmodels.GlobalMax (internal/torchmodels/conv1d.go), with the torch module names
as dlgen layer names, so the state_dict names (and PyTorch's Conv1d weight shape
(out, in, k)) are dlgen's parameters; models/conv1d_test.go compares them in the
reference interpreter and codegen's TestTheTorchModelsMatchPyTorch in generated
code. Everything is float64; parameters and inputs are drawn at random and rounded
to 3 decimals, so the JSON holds them exactly. The record is that of
models_golden.py: params, inputs, eval_outputs, eval_loss, train_outputs, loss,
grads (of the train-mode loss, for every parameter) and running (the batch norm's
statistics after the train-mode forward).

Keras' paddings are written out with F.pad, since PyTorch's padding= is symmetric:
same pads (total // 2, total - total // 2) with total = (ceil(L/s) - 1)·s + k - L,
causal pads (k - 1, 0). Keras' AvgPool1D with same padding leaves the padding out of
the divisor: the sum over each window divided by the number of real steps in it.
A global max pool is PyTorch's adaptive max pool to 1, whose gradient goes to the
first maximum (checked below); Keras' GlobalMaxPooling (reduce_max) would split it
evenly between equal maxima, which the ties in global_max would show.
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

torch.manual_seed(20261208)
torch.set_default_dtype(torch.float64)

# Each model gets goldenlib.randomize with weights scaled by 1.5, random batch norms.
record = functools.partial(goldenlib.record, randomize=functools.partial(goldenlib.randomize, scale=1.5))


def same_pads(n, k, s):
    """Keras' same padding (before, after) of a window k, stride s over n steps."""
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def conv1d_same(conv, x, stride):
    return conv(F.pad(x, same_pads(x.shape[-1], conv.kernel_size[0], stride)))


def avg_pool1d_same(x, k, s):
    """Keras' AveragePooling1D(padding="same"): padding left out of the divisor."""
    pads = same_pads(x.shape[-1], k, s)
    total = F.avg_pool1d(F.pad(x, pads), k, s, count_include_pad=True) * k
    count = F.avg_pool1d(F.pad(torch.ones_like(x[:1, :1]), pads), k, s, count_include_pad=True) * k
    return total / count


def max_pool1d_same(x, k, s):
    return F.max_pool1d(F.pad(x, same_pads(x.shape[-1], k, s), value=-float("inf")), k, s)


def upsample1d(x, size):
    return F.interpolate(x, scale_factor=size, mode="nearest")


# conv1d: x (N, 3, 37) →
#   c1 Conv1d(3→4, k4, stride 2, Keras same: pads (1, 2)) ReLU → 19 → p1 MaxPool1d 2 → 9
#   c2 Conv1d(4→5, k3, causal: pads (2, 0)) tanh → 9 → p2 AvgPool1D 2 same (pads (0, 1),
#   excluded) → 5 → c3 Conv1d(5→6, k3, padding (2, 1)) leaky ReLU → 6 → up ×3 → 18 →
#   gmp GlobalMaxPool1D (6) and gap GlobalAvgPool1D (6);
#   from p1: ct ConvTranspose1d(4→3, k3, stride 2, padding 1, output_padding 1) → 18 →
#   c4 Conv1d(3→2, k2, full: padding 1, no bias) → 19 → bn BatchNorm1d →
#   mp MaxPool1D 3 stride 2 same (pads (1, 1)) → 10 → ap AvgPool1d 3 stride 2
#   padding 1 (counted) → 5 → gap2 GlobalAvgPool1D (2);
#   concat (14) → fc Linear(14→3) logits; cross-entropy against class labels.
class Conv1DModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 4, 4, stride=2)
        self.c2 = nn.Conv1d(4, 5, 3)
        self.c3 = nn.Conv1d(5, 6, 3)
        self.ct = nn.ConvTranspose1d(4, 3, 3, stride=2, padding=1, output_padding=1)
        self.c4 = nn.Conv1d(3, 2, 2, padding=1, bias=False)
        self.bn = nn.BatchNorm1d(2)
        self.fc = nn.Linear(14, 3)


def conv1d_forward(m, d):
    h = F.relu(conv1d_same(m.c1, d["x"], 2))  # 4×19
    p1 = F.max_pool1d(h, 2)  # 4×9
    h = torch.tanh(m.c2(F.pad(p1, (2, 0))))  # 5×9
    h = avg_pool1d_same(h, 2, 2)  # 5×5
    h = F.leaky_relu(m.c3(F.pad(h, (2, 1))))  # 6×6
    h = upsample1d(h, 3)  # 6×18
    gmp = F.adaptive_max_pool1d(h, 1).flatten(1)
    gap = h.mean(2)
    t = m.bn(m.c4(m.ct(p1)))  # 3×18 → 2×19
    t = max_pool1d_same(t, 3, 2)  # 2×10
    t = F.avg_pool1d(t, 3, 2, padding=1)  # 2×5, count_include_pad
    gap2 = t.mean(2)
    logits = m.fc(torch.cat([gmp, gap, gap2], 1))
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"].long())


# global_max: image (N, 2, 5, 6) → c2d Conv2d(2→3, 1×1) → gmp2 GlobalMaxPool2D (3),
#   c2t Conv2d(2→3, 1×1) tanh → gmp2t GlobalMaxPool2D (3) and
#   cb Conv2d(2→2, 3×3, padding 1) ReLU → gmpb GlobalMaxPool2D (2);
#   seq (N, 2, 7) → c1d Conv1d(2→3, k1) → gmp1 GlobalMaxPool1D (3) and
#   c1t Conv1d(2→3, k1) tanh → gmp1t GlobalMaxPool1D (3);
#   concat (14) → fc Linear(14→2); MSE against a target.
# Ties: at two positions of every image the channels are (1, 0) and (0, 1), and the
# two input weights of c2d's filter 0 (c2t's filter 1) are equal, so its maximum,
# w + b, is reached exactly at both: at (1, 4), first in row-major order, and at
# (3, 0), first in column-major order; likewise c1d's filter 1 (c1t's filter 0) at
# steps 2 and 5. Where the gradient goes decides the weight gradients of those
# filters. (dlgen's generated code computes a max pool right after a convolution in
# the convolution's kernel, and one after tanh in a kernel of its own: the tanh
# branches check the second.)
class GlobalMax(nn.Module):
    def __init__(self):
        super().__init__()
        self.c2d = nn.Conv2d(2, 3, 1)
        self.c2t = nn.Conv2d(2, 3, 1)
        self.cb = nn.Conv2d(2, 2, 3, padding=1)
        self.c1d = nn.Conv1d(2, 3, 1)
        self.c1t = nn.Conv1d(2, 3, 1)
        self.fc = nn.Linear(14, 2)


def global_max_forward(m, d):
    gmp2 = F.adaptive_max_pool2d(m.c2d(d["image"]), 1).flatten(1)
    gmp2t = F.adaptive_max_pool2d(torch.tanh(m.c2t(d["image"])), 1).flatten(1)
    gmpb = F.adaptive_max_pool2d(F.relu(m.cb(d["image"])), 1).flatten(1)
    gmp1 = F.adaptive_max_pool1d(m.c1d(d["seq"]), 1).flatten(1)
    gmp1t = F.adaptive_max_pool1d(torch.tanh(m.c1t(d["seq"])), 1).flatten(1)
    y = m.fc(torch.cat([gmp2, gmp2t, gmp1, gmp1t, gmpb], 1))
    return {"y": y}, F.mse_loss(y, d["target"])


def check_first_maximum():
    """PyTorch's max pooling sends the gradient of equal maxima to the first one."""
    for pool, x, first in [
            (F.adaptive_max_pool1d, torch.tensor([[[0.5, 2.0, -1.0, 2.0]]]), [0.0, 1.0, 0.0, 0.0]),
            (F.adaptive_max_pool2d, torch.tensor([[[[0.5, 0.0, 2.0], [2.0, 1.0, 2.0]]]]), [0.0, 0.0, 1.0, 0.0, 0.0, 0.0])]:
        x.requires_grad_(True)
        pool(x, 1).sum().backward()
        assert x.grad.reshape(-1).tolist() == first, x.grad


# The filters whose two input weights are made equal and positive.
TIES = [("c2d", 0), ("c2t", 1), ("c1d", 1), ("c1t", 0)]


def fix_ties(model):
    with torch.no_grad():
        for name, f in TIES:
            w = getattr(model, name).weight[f]
            w[1] = w[0].abs()
            w[0] = w[0].abs()


def tie_inputs(n):
    # Below 0.45 in each channel elsewhere, so that x0 + x1 < 1 away from the ties.
    image = rnd(torch.rand(n, 2, 5, 6) * 1.4 - 0.95)
    seq = rnd(torch.rand(n, 2, 7) * 1.4 - 0.95)
    for b in range(n):
        image[b, :, 1, 4] = torch.tensor([1.0, 0.0])
        image[b, :, 3, 0] = torch.tensor([0.0, 1.0])
        seq[b, :, 2] = torch.tensor([1.0, 0.0])
        seq[b, :, 5] = torch.tensor([0.0, 1.0])
    return image, seq


def check_ties(model, image, seq):
    """The maxima of c2d's filter 0 and c1d's filter 1 are the two tied values."""
    with torch.no_grad():
        for name, f in TIES:
            if name.startswith("c2"):
                h = torch.tanh(getattr(model, name)(image)[:, f]).flatten(1)
                at = (1 * 6 + 4, 3 * 6 + 0)
            else:
                h = torch.tanh(getattr(model, name)(seq)[:, f])
                at = (2, 5)
            for b in range(h.shape[0]):
                assert h[b, at[0]] == h[b, at[1]] == h[b].max(), (name, b)
                assert (h[b] == h[b].max()).sum() == 2, (name, b)


def main():
    check_first_maximum()
    x = randn(4, 3, 37)
    label = torch.tensor([0, 2, 1, 2], dtype=torch.float64)
    models = [record("conv1d", Conv1DModel(), {"x": x, "label": label}, conv1d_forward)]

    image, seq = tie_inputs(3)
    target = randn(3, 2)
    gm = GlobalMax()
    models.append(record("global_max", gm, {"image": image, "seq": seq, "target": target},
                         global_max_forward, fix=fix_ties))
    check_ties(gm, image, seq)
    json.dump({"generator": "testdata/torch/conv1d_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
