#!/usr/bin/python3
"""Golden values for whole dlgen models, from the same models written in PyTorch.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/models_golden.py > testdata/torch/models_golden.json

Each model here is mirrored layer for layer by a model built with package nn in
internal/torchmodels/torchmodels.go (compared in the interpreter by
models/torch_test.go, in generated code by codegen's TestTheTorchModelsMatchPyTorch);
the torch module and submodule attribute names are the dlgen layer names, so the
state_dict names are dlgen's parameter names. Everything is float64. Parameters,
inputs and targets are drawn at random and rounded to 3 decimals, so the JSON holds
them exactly; batch norms get random affine parameters and random, non-default
running statistics.

Each model records:
  params         every state_dict entry (num_batches_tracked left out), as shape+data
  inputs         every input, target and label tensor, by the dlgen input name
  eval_outputs   the outputs of the model in eval mode (dlgen's inference graph)
  eval_loss      the loss in eval mode
  train_outputs  the outputs in train mode (batch statistics)
  loss           the loss in train mode
  grads          the gradient of the train-mode loss for every trainable parameter
  running        the batch-norm running statistics after that one train-mode forward

dlgen's semantics that PyTorch has no single module for are written out with torch
primitives, each next to the layer that needs it:
  - Keras "same" padding puts the odd pad at the end (bottom/right): F.pad, then the
    unpadded convolution or pooling (max pooling pads with -inf);
  - AvgPool2D with Same leaves the padding out of the divisor (count_include_pad=False
    with asymmetric pads): the window sums divided by the count of real elements;
  - Conv2DTranspose with Same (output in*stride) is the unpadded transposed
    convolution cropped by the pads of the convolution it is the adjoint of;
  - UpSampling2D repeats rows and columns (nearest neighbour);
  - CategoricalCrossEntropy on probabilities is Keras': p renormalised over the last
    axis, clipped to [1e-7, 1-1e-7], mean over the rows of -sum(t*log p);
  - Bidirectional without return sequences joins the final states h_n[0], h_n[1].
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
from goldenlib import rand, randn, rnd  # noqa: E402

torch.manual_seed(20261128)
torch.set_default_dtype(torch.float64)

# Each model gets goldenlib.randomize: torch's initialisation rounded, random batch norms.
record = functools.partial(goldenlib.record, randomize=goldenlib.randomize)


def same_pads(n, k, s):
    """Keras/TensorFlow 'same' {before, after}: ceil(n/s) outputs, odd pad at the end."""
    out = (n + s - 1) // s
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def keras_same(x, k, s):
    """The (top, left, bottom, right) Keras same pads of a window k, stride s on x."""
    t, b = same_pads(x.shape[2], k[0], s[0])
    l, r = same_pads(x.shape[3], k[1], s[1])
    return t, l, b, r


def pad(x, pads, value=0.0):
    t, l, b, r = pads
    return F.pad(x, (l, r, t, b), value=value)


def conv_same(conv, x):
    """A Conv2d module with padding=0 applied with Keras same padding."""
    return conv(pad(x, keras_same(x, conv.kernel_size, conv.stride)))


def conv_t_same(deconv, x):
    """A ConvTranspose2d module with padding=0 as Keras' Conv2DTranspose(padding='same'):
    output in*stride, cropped by the same pads of the in*stride -> in convolution."""
    (kh, kw), (sh, sw) = deconv.kernel_size, deconv.stride
    ho, wo = x.shape[2] * sh, x.shape[3] * sw
    t, _ = same_pads(ho, kh, sh)
    l, _ = same_pads(wo, kw, sw)
    full = deconv(x)
    full = F.pad(full, (0, max(0, l + wo - full.shape[3]), 0, max(0, t + ho - full.shape[2])))
    return full[:, :, t:t + ho, l:l + wo]


def max_pool_same(x, k, s):
    return F.max_pool2d(pad(x, keras_same(x, k, s), float("-inf")), k, s)


def avg_pool_same(x, k, s):
    """Keras AveragePooling2D(padding='same'): the padding is not counted."""
    pads = keras_same(x, k, s)
    sums = F.avg_pool2d(pad(x, pads), k, s, divisor_override=1)
    counts = F.avg_pool2d(pad(torch.ones_like(x), pads), k, s, divisor_override=1)
    return sums / counts


def upsample(x, sh, sw):
    return x.repeat_interleave(sh, dim=2).repeat_interleave(sw, dim=3)


def keras_cce(p, t):
    p = p / p.sum(-1, keepdim=True)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(t * torch.log(p)).sum(-1).mean()


def softmax_ce(z, t):
    """CategoricalCrossEntropy with FromLogits: mean over the rows of the last axis."""
    return -(t * F.log_softmax(z, -1)).sum(-1).mean()


def check_constructions():
    """The hand-written paddings agree with PyTorch's own where PyTorch has them."""
    x = randn(2, 3, 7, 8)
    conv = nn.Conv2d(3, 2, 3, stride=2)
    sym = nn.Conv2d(3, 2, 3, stride=2, padding=1)
    sym.load_state_dict(conv.state_dict())
    assert keras_same(x[:, :, :, :7], (3, 3), (2, 2)) == (1, 1, 1, 1)
    assert torch.allclose(conv_same(conv, x[:, :, :, :7]), sym(x[:, :, :, :7]), atol=1e-12)
    ones = torch.ones(2, 3, 7, 7)
    assert torch.allclose(avg_pool_same(x[:, :, :, :7], (3, 3), (2, 2)),
                          F.avg_pool2d(x[:, :, :, :7], 3, 2, 1, count_include_pad=False), atol=1e-12)
    assert torch.equal(max_pool_same(x[:, :, :, :7], (3, 3), (2, 2)), F.max_pool2d(x[:, :, :, :7], 3, 2, 1))
    assert torch.equal(upsample(ones, 2, 3), F.interpolate(ones, scale_factor=(2, 3), mode="nearest"))
    # Where Keras' same pads of a transposed convolution are symmetric (kernel 4,
    # stride 2: one on each side), they are torch's padding, and the output in*stride.
    y = randn(2, 3, 4, 4)
    dc = nn.ConvTranspose2d(3, 2, 4, stride=2)
    ref = nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1)
    ref.load_state_dict(dc.state_dict())
    assert same_pads(8, 4, 2) == (1, 1)
    assert torch.allclose(conv_t_same(dc, y), ref(y), atol=1e-12)


def labels(n, classes):
    return torch.randint(0, classes, (n,))


def one_hot(n, classes):
    return F.one_hot(labels(n, classes), classes).to(torch.float64)


def soft_targets(*shape):
    return rnd(F.softmax(2 * torch.randn(*shape), -1))


# mlp: Dense relu → BatchNorm over (N, C) → Dense tanh → Dense leaky_relu(0.2) →
# logits; sparse categorical cross-entropy on logits, softmax probabilities out.
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 16)
        self.bn1 = nn.BatchNorm1d(16)
        self.fc2 = nn.Linear(16, 8)
        self.fc3 = nn.Linear(8, 8)
        self.fc4 = nn.Linear(8, 5)


def mlp_forward(m, d):
    h = m.bn1(F.relu(m.fc1(d["x"])))
    h = torch.tanh(m.fc2(h))
    h = F.leaky_relu(m.fc3(h), 0.2)
    logits = m.fc4(h)
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


# cnn: a strided Conv2D with asymmetric Keras same padding → BatchNorm2d → MaxPool
# 2 at stride 1 → Conv2D with a 2×3 kernel and strides (1, 2) → AvgPool2D same
# (padding excluded) → Flatten → Dense softmax; Keras categorical cross-entropy on
# the probabilities against one-hot targets.
class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, stride=2)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, (2, 3), stride=(1, 2))
        self.fc = nn.Linear(24, 5)


def cnn_forward(m, d):
    h = F.relu(conv_same(m.conv1, d["image"]))         # 4×5×8, pads (0, 0, 1, 1)
    h = m.bn1(h)
    h = F.max_pool2d(h, 2, 1)                           # 4×4×7
    h = torch.tanh(m.conv2(h))                          # 6×3×3
    h = avg_pool_same(h, (2, 2), (2, 2))                # 6×2×2, pads (0, 0, 1, 1)
    probs = F.softmax(m.fc(h.flatten(1)), -1)
    return {"probs": probs}, keras_cce(probs, d["onehot"])


# resblock: a residual block in a nested module (names "block.conv_a", ...): Conv
# (no bias) → BN → relu → Conv 2×2 same (asymmetric at stride 1, no bias) → BN, plus
# the input, relu; joined on the channels with a 1×1 sigmoid conv of the input, then
# global average pooling and a Dense head; MSE against a float target.
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn_a = nn.BatchNorm2d(4)
        self.conv_b = nn.Conv2d(4, 4, 2, bias=False)
        self.bn_b = nn.BatchNorm2d(4)

    def forward(self, x):
        h = F.relu(self.bn_a(self.conv_a(x)))
        h = self.bn_b(conv_same(self.conv_b, h))
        return F.relu(h + x)


class ResBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.proj = nn.Conv2d(4, 3, 1)
        self.head = nn.Linear(7, 3)


def resblock_forward(m, d):
    x = d["x"]
    h = torch.cat([m.block(x), torch.sigmoid(m.proj(x))], 1)  # 7×6×6
    y = m.head(h.mean((2, 3)))
    return {"y": y}, F.mse_loss(y, d["target"])


# ae: a convolutional autoencoder: Conv same relu → MaxPool 2 → Conv stride 2 same
# (asymmetric) relu → UpSampling2D 2 → Conv2DTranspose stride 2 same (cropped
# asymmetrically) relu → Conv same sigmoid; binary cross-entropy against the input.
class AE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(1, 4, 3)
        self.enc2 = nn.Conv2d(4, 6, 3, stride=2)
        self.dec1 = nn.ConvTranspose2d(6, 4, 3, stride=2)
        self.dec2 = nn.Conv2d(4, 1, 3)


def ae_forward(m, d):
    x = d["x"]
    h = F.relu(conv_same(m.enc1, x))          # 4×8×8
    h = F.max_pool2d(h, 2)                     # 4×4×4
    h = F.relu(conv_same(m.enc2, h))           # 6×2×2, pads (0, 0, 1, 1)
    h = upsample(h, 2, 2)                      # 6×4×4
    h = F.relu(conv_t_same(m.dec1, h))         # 4×8×8, cropped (0, 0, 1, 1)
    recon = torch.sigmoid(conv_same(m.dec2, h))
    return {"recon": recon}, F.binary_cross_entropy(recon, x)


# lstm_gru: LSTM returning sequences → GRU (last state) → Dense; sparse categorical
# cross-entropy, softmax probabilities out.
class LSTMGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 6, batch_first=True)
        self.gru = nn.GRU(6, 4, batch_first=True)
        self.fc = nn.Linear(4, 3)


def lstm_gru_forward(m, d):
    s, _ = m.lstm(d["seq"])
    _, h = m.gru(s)
    logits = m.fc(h[0])
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


def merge(a, b, mode):
    return {"concat": lambda: torch.cat([a, b], -1), "sum": lambda: a + b,
            "mul": lambda: a * b, "ave": lambda: (a + b) / 2}[mode]()


# birnn_*: Bidirectional LSTM returning sequences (merge m1) → SimpleRNN relu
# returning sequences → Bidirectional GRU, last states (merge m2) → Dense; a Huber
# (delta 0.7) or MAE loss against a float target.
class BiRNN(nn.Module):
    def __init__(self, m1):
        super().__init__()
        self.bilstm = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
        self.srnn = nn.RNN(8 if m1 == "concat" else 4, 5, nonlinearity="relu", batch_first=True)
        self.bigru = nn.GRU(5, 3, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(3, 2)


def birnn_forward(m1, m2, loss):
    def forward(m, d):
        s, _ = m.bilstm(d["seq"])
        s = merge(s[..., :4], s[..., 4:], m1)
        s, _ = m.srnn(s)
        _, h = m.bigru(s)
        y = m.fc(merge(h[0], h[1], m2))
        if loss == "huber":
            return {"y": y}, F.huber_loss(y, d["target"], delta=0.7)
        return {"y": y}, F.l1_loss(y, d["target"])
    return forward


# conv_misc: Conv2D with Full padding, no bias and the default leaky ReLU slope →
# Conv2DTranspose with explicit padding (1, 2) and output padding (1, 0), tanh →
# AvgPool2D with explicit padding (counted in the divisor) → MaxPool2D same at stride
# 1 (asymmetric) → UpSampling2D (1, 2) → Flatten → Dense, plus a branch of Keras
# Conv2DTranspose Valid with kernels smaller than the strides (output in*stride, torch's
# output_padding stride-kernel) → GlobalAvgPool2D → Dense, added to the logits;
# categorical cross-entropy from logits against soft targets.
class ConvMisc(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 3, (2, 3), padding=(1, 2), bias=False)
        self.c2 = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=(1, 2), output_padding=(1, 0))
        self.fc = nn.Linear(120, 4)
        self.c3 = nn.ConvTranspose2d(2, 1, (2, 1), stride=(3, 2), output_padding=(1, 1))
        self.fc_v = nn.Linear(1, 4)


def conv_misc_forward(m, d):
    h = F.leaky_relu(m.c1(d["x"]))                     # 3×5×7
    h = torch.tanh(m.c2(h))                             # 2×10×11
    h = F.avg_pool2d(h, 3, 2, 1)                        # 2×5×6, count_include_pad
    h = max_pool_same(h, (2, 2), (1, 1))                # 2×5×6
    h = upsample(h, 1, 2)                               # 2×5×12
    v = m.c3(d["x"])                                    # 1×12×10
    logits = m.fc(h.flatten(1)) + m.fc_v(v.mean((2, 3)))
    return {"probs": F.softmax(logits, -1)}, softmax_ce(logits, d["soft"])


# tensor_math: BatchNorm over an (N, C, L) input with non-default eps and momentum →
# Reshape → two Dense branches (one without bias, one sigmoid) combined with Mul,
# Sub, Div, Exp, Log and a last-axis Concat → Reshape to (2, 8), tanh, Flatten →
# Dense logits; the loss is binary cross-entropy from logits plus 0.1·mean(ratio²)
# and 0.01·sum(exp).
class TensorMath(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn0 = nn.BatchNorm1d(4, eps=1e-3, momentum=0.3)
        self.d1 = nn.Linear(24, 8, bias=False)
        self.d2 = nn.Linear(24, 8)
        self.head = nn.Linear(16, 3)


def tensor_math_forward(m, d):
    h = m.bn0(d["x"]).reshape(-1, 24)
    a = m.d1(h)
    b = torch.sigmoid(m.d2(h))
    diff = a * b - a
    e = torch.exp(diff)
    ratio = diff / b
    cat = torch.cat([ratio, torch.log(b)], -1)
    cat = torch.tanh(cat.reshape(-1, 2, 8)).flatten(1)
    logits = m.head(cat)
    loss = F.binary_cross_entropy_with_logits(logits, d["t"]) + 0.1 * (ratio * ratio).mean() + 0.01 * e.sum()
    return {"prob": torch.sigmoid(logits)}, loss


# seq_misc: an LSTM without biases started from states computed by Dense layers of
# another input (gradients flow into them) → BatchNorm over (N, T, H), whose
# channels are the time steps → Bidirectional SimpleRNN returning sequences, merged
# by "sum", as per-step logits; plus a Keras reset_after=False GRU branch (no torch
# module: written out from GRU-shaped parameters) and a linear Activation layer;
# categorical cross-entropy from logits over the N·T rows of (N, T, C).
class SeqMisc(nn.Module):
    def __init__(self):
        super().__init__()
        self.init_h = nn.Linear(5, 4)
        self.init_c = nn.Linear(5, 4)
        self.dec = nn.LSTM(3, 4, bias=False, batch_first=True)
        self.bn_seq = nn.BatchNorm1d(4)
        self.bsrnn = nn.RNN(4, 3, batch_first=True, bidirectional=True)
        self.gru_rb = nn.GRU(3, 3, batch_first=True)


def gru_reset_before(mod, x):
    """Keras GRU(reset_after=False) with torch's GRU parameters, from h0 = 0:
    n = tanh(W_in x + b_in + W_hn (r*h) + b_hn)."""
    H = mod.hidden_size
    w_ih, w_hh, b_ih, b_hh = mod.weight_ih_l0, mod.weight_hh_l0, mod.bias_ih_l0, mod.bias_hh_l0
    h = torch.zeros(x.shape[0], H)
    outs = []
    for t in range(x.shape[1]):
        gi = x[:, t] @ w_ih.T + b_ih
        r = torch.sigmoid(gi[:, :H] + h @ w_hh[:H].T + b_hh[:H])
        z = torch.sigmoid(gi[:, H:2 * H] + h @ w_hh[H:2 * H].T + b_hh[H:2 * H])
        n = torch.tanh(gi[:, 2 * H:] + (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:])
        h = (1 - z) * n + z * h
        outs.append(h)
    return torch.stack(outs, 1)


def seq_misc_forward(m, d):
    h0 = torch.tanh(m.init_h(d["ctx"]))
    c0 = m.init_c(d["ctx"])
    s, _ = m.dec(d["seq"], (h0.unsqueeze(0), c0.unsqueeze(0)))  # (N, 4, 4)
    s = m.bn_seq(s)
    s, _ = m.bsrnn(s)
    logits = s[..., :3] + s[..., 3:] + gru_reset_before(m.gru_rb, d["seq"])  # (N, 4, 3)
    return {"probs": F.softmax(logits, -1)}, softmax_ce(logits, d["soft"])


def main():
    check_constructions()
    models = []
    models.append(record("mlp", MLP(), {"x": randn(4, 12), "label": labels(4, 5)}, mlp_forward))
    models.append(record("cnn", CNN(), {"image": randn(3, 3, 10, 16), "onehot": one_hot(3, 5)}, cnn_forward))
    models.append(record("resblock", ResBlock(), {"x": randn(3, 4, 6, 6), "target": randn(3, 3)}, resblock_forward))
    models.append(record("ae", AE(), {"x": rand(3, 1, 8, 8)}, ae_forward))
    models.append(record("lstm_gru", LSTMGRU(), {"seq": randn(4, 5, 3), "label": labels(4, 3)}, lstm_gru_forward))
    models.append(record("birnn_huber", BiRNN("concat"), {"seq": randn(3, 4, 3), "target": randn(3, 2)},
                         birnn_forward("concat", "sum", "huber")))
    models.append(record("birnn_mae", BiRNN("ave"), {"seq": randn(3, 4, 3), "target": randn(3, 2)},
                         birnn_forward("ave", "mul", "mae")))
    models.append(record("conv_misc", ConvMisc(), {"x": randn(3, 2, 4, 5), "soft": soft_targets(3, 4)},
                         conv_misc_forward))
    # Per-channel offsets and scales, so that the batch norm has something to remove.
    x = randn(4, 4, 6) * torch.tensor([0.5, 1, 2, 1]).reshape(1, 4, 1) + torch.tensor([1, -2, 0, 0.5]).reshape(1, 4, 1)
    models.append(record("tensor_math", TensorMath(), {"x": rnd(x), "t": rand(4, 3)}, tensor_math_forward))
    models.append(record("seq_misc", SeqMisc(), {"ctx": randn(4, 5), "seq": randn(4, 4, 3),
                                                  "soft": soft_targets(4, 4, 3)}, seq_misc_forward))
    json.dump({"torch": torch.__version__, "models": models}, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
