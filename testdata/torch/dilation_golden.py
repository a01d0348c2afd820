#!/usr/bin/python3
"""Golden values for whole dlgen models with dilated convolutions: a TCN-style stack
of dilated causal Conv1D layers (dilations 1, 2, 4, with a residual sum), and a
small image model of dilated Conv2D and Conv2DTranspose layers.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/dilation_golden.py > testdata/torch/dilation_golden.json

The models are mirrored layer for layer by torchmodels.TCN and
torchmodels.DilatedCNN (internal/torchmodels/dilation.go), with the torch module
names as dlgen layer names; models/dilation_test.go compares them in the reference
interpreter and codegen's TestTheTorchModelsMatchPyTorch in generated code. The
record is goldenlib.record's (float64, parameters and inputs rounded to 3
decimals).

Keras' paddings are written with F.pad of the dilated kernel's span (k-1)·d+1:
causal pads (span - 1, 0); same pads (total // 2, total - total // 2) with total =
(ceil(L/s) - 1)·s + span - L; a transposed convolution with Keras' same padding is
the full transposed result (PyTorch's, padding 0) cropped by the same pads of
L·s.
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

torch.manual_seed(20261128)
torch.set_default_dtype(torch.float64)

record = functools.partial(goldenlib.record, randomize=functools.partial(goldenlib.randomize, scale=1.5))


def span(k, d):
    return (k - 1) * d + 1


def same_pads(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def causal(conv, x):
    return conv(F.pad(x, (span(conv.kernel_size[0], conv.dilation[0]) - 1, 0)))


def conv1d_same(conv, x):
    k, d, s = conv.kernel_size[0], conv.dilation[0], conv.stride[0]
    return conv(F.pad(x, same_pads(x.shape[-1], span(k, d), s)))


def conv2d_same(conv, x):
    (kh, kw), (dh, dw), (sh, sw) = conv.kernel_size, conv.dilation, conv.stride
    t, b = same_pads(x.shape[2], span(kh, dh), sh)
    le, r = same_pads(x.shape[3], span(kw, dw), sw)
    return conv(F.pad(x, (le, r, t, b)))


def deconv2d_same(deconv, x):
    """Keras' Conv2DTranspose(padding="same"): an output of in·stride."""
    (kh, kw), (dh, dw), (sh, sw) = deconv.kernel_size, deconv.dilation, deconv.stride
    full = deconv(x)
    t, _ = same_pads(x.shape[2] * sh, span(kh, dh), sh)
    le, _ = same_pads(x.shape[3] * sw, span(kw, dw), sw)
    return full[:, :, t:t + x.shape[2] * sh, le:le + x.shape[3] * sw]


# tcn: x (N, 3, 24) →
#   c1 Conv1d(3→4, k3, dilation 1, causal: pads (2, 0)) ReLU → 24
#   c2 Conv1d(4→4, k3, dilation 2, causal: pads (4, 0)) ReLU → 24
#   c3 Conv1d(4→4, k3, dilation 4, causal: pads (8, 0)) ReLU → 24; res = c1 + c3
#   c4 Conv1d(4→5, k2, dilation 3, stride 2, Keras same: pads (1, 1)) tanh → 12
#   up ConvTranspose1d(5→2, k3, stride 2, padding 2, output_padding 1, dilation 2) → 24
#   gap (5) of c4, gap2 (2) of up, gmp GlobalMaxPool1D (4) of res → fc Linear(11→3);
#   cross-entropy against class labels.
class TCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 4, 3)
        self.c2 = nn.Conv1d(4, 4, 3, dilation=2)
        self.c3 = nn.Conv1d(4, 4, 3, dilation=4)
        self.c4 = nn.Conv1d(4, 5, 2, stride=2, dilation=3)
        self.up = nn.ConvTranspose1d(5, 2, 3, stride=2, padding=2, output_padding=1, dilation=2)
        self.fc = nn.Linear(11, 3)


def tcn_forward(m, d):
    h1 = F.relu(causal(m.c1, d["x"]))
    h = F.relu(causal(m.c2, h1))
    h = F.relu(causal(m.c3, h))
    res = h1 + h
    c4 = torch.tanh(conv1d_same(m.c4, res))  # 5×12
    up = m.up(c4)  # 2×24
    feats = torch.cat([c4.mean(2), up.mean(2), F.adaptive_max_pool1d(res, 1).flatten(1)], 1)
    logits = m.fc(feats)
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"].long())


# dilated_cnn: image (N, 2, 11, 10) →
#   a Conv2d(2→4, 3×3, dilation 2, Keras same: pads (2, 2, 2, 2)) ReLU → 11×10
#   b Conv2d(4→3, 3×2, dilation (2, 3), stride (2, 1), padding (2, 1)) tanh → 6×9
#     → pool MaxPool2d 2 → 3×4 → gap (3)
#   t ConvTranspose2d(4→2, 3×3, dilation 2, stride 2, Keras same) of a → 22×20 → gap2 (2)
#   → fc Linear(5→2); MSE against a target.
class DilatedCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 4, 3, dilation=2)
        self.b = nn.Conv2d(4, 3, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 3))
        self.t = nn.ConvTranspose2d(4, 2, 3, stride=2, dilation=2)
        self.fc = nn.Linear(5, 2)


def dilated_cnn_forward(m, d):
    a = F.relu(conv2d_same(m.a, d["image"]))
    b = F.max_pool2d(torch.tanh(m.b(a)), 2)
    t = deconv2d_same(m.t, a)
    y = m.fc(torch.cat([b.mean((2, 3)), t.mean((2, 3))], 1))
    return {"y": y}, F.mse_loss(y, d["target"])


def main():
    x = randn(4, 3, 24)
    label = torch.tensor([0, 2, 1, 2], dtype=torch.float64)
    models = [record("tcn", TCN(), {"x": x, "label": label}, tcn_forward)]
    image, target = randn(3, 2, 11, 10), randn(3, 2)
    models.append(record("dilated_cnn", DilatedCNN(), {"image": image, "target": target}, dilated_cnn_forward))
    json.dump({"generator": "testdata/torch/dilation_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
