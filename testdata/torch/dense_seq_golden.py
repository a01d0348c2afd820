#!/usr/bin/python3
"""Golden values for dlgen models that apply Dense to the last axis of a rank ≥ 3
input, as torch.nn.Linear does: per-step layers after recurrent layers, and Dense on
(N, A, B, F).

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/dense_seq_golden.py > testdata/torch/dense_seq_golden.json

Each model here is mirrored layer for layer by a model built with package nn in
internal/torchmodels/denseseq.go, with the torch module names as dlgen layer names, so the
state_dict names are dlgen's parameter names. Everything is float64; parameters,
inputs and targets are drawn at random and rounded to 3 decimals, so the JSON holds
them exactly. The record of each model is that of models_golden.py: params, inputs,
eval_outputs, eval_loss, train_outputs, loss, grads (of the train-mode loss, for every
parameter) and running (batch-norm statistics after the train-mode forward).

The per-step cross-entropy is written as dlgen's CategoricalCrossEntropy with
FromLogits on (N, T, C) one-hot targets, -mean over the N·T rows of
sum(t·log_softmax(z)); check() asserts that it is PyTorch's own F.cross_entropy on
(N, C, T) logits and (N, T) class indices.
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

torch.manual_seed(20261129)
torch.set_default_dtype(torch.float64)

# Each model gets goldenlib.randomize: torch's initialisation rounded, random batch norms.
record = functools.partial(goldenlib.record, randomize=goldenlib.randomize)


def softmax_ce(z, t):
    """CategoricalCrossEntropy with FromLogits: mean over the rows of the last axis."""
    return -(t * F.log_softmax(z, -1)).sum(-1).mean()


def keras_cce(p, t):
    """CategoricalCrossEntropy on probabilities (Keras): renormalised, clipped."""
    p = p / p.sum(-1, keepdim=True)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(t * torch.log(p)).sum(-1).mean()


def check():
    z, c = randn(3, 5, 4), torch.randint(0, 4, (3, 5))
    t = F.one_hot(c, 4).to(torch.float64)
    assert torch.allclose(softmax_ce(z, t), F.cross_entropy(z.permute(0, 2, 1), c), atol=1e-14)
    # Linear on (N, T, F) is Linear on the N·T rows.
    lin = nn.Linear(4, 2)
    assert torch.allclose(lin(z), lin(z.reshape(-1, 4)).reshape(3, 5, 2), atol=1e-14)


# tagger: an LSTM returning every step → Dense(6→5, tanh) per step → Dense(5→4)
# logits per step; categorical cross-entropy from logits over the N·T steps against
# one-hot targets; softmax probabilities per step out.
class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.LSTM(3, 6, batch_first=True)
        self.proj = nn.Linear(6, 5)
        self.out = nn.Linear(5, 4)


def tagger_forward(m, d):
    s, _ = m.enc(d["seq"])  # (N, 5, 6)
    logits = m.out(torch.tanh(m.proj(s)))  # (N, 5, 4)
    return {"probs": F.softmax(logits, -1)}, softmax_ce(logits, d["onehot"])


# seq_ae: an LSTM autoencoder: LSTM(3→5) returning every step → Dense(5→4) without
# bias per step → BatchNorm1d over (N, 4, 4), whose channels are the 4 steps and not
# the 4 units → GRU(4→6) returning every step → Dense(6→3, sigmoid) per step, the
# reconstruction; MSE against the input sequence.
class SeqAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.LSTM(3, 5, batch_first=True)
        self.code = nn.Linear(5, 4, bias=False)
        self.bn = nn.BatchNorm1d(4)
        self.dec = nn.GRU(4, 6, batch_first=True)
        self.recon = nn.Linear(6, 3)


def seq_ae_forward(m, d):
    s, _ = m.enc(d["seq"])  # (N, 4, 5)
    h = m.bn(m.code(s))  # (N, 4, 4), normalised over the steps
    s, _ = m.dec(h)  # (N, 4, 6)
    recon = torch.sigmoid(m.recon(s))  # (N, 4, 3)
    return {"recon": recon}, F.mse_loss(recon, d["seq"])


# grid: Dense on the last axis of (N, 2, 3, 5): Dense(5→6, leaky_relu 0.2) →
# Dense(6→3, no bias, softmax) with Keras' categorical cross-entropy on the
# probabilities against soft targets, and a second head Dense(6→2) on the same
# features with MSE, added with weight 0.3.
class Grid(nn.Module):
    def __init__(self):
        super().__init__()
        self.d1 = nn.Linear(5, 6)
        self.d2 = nn.Linear(6, 3, bias=False)
        self.reg = nn.Linear(6, 2)


def grid_forward(m, d):
    h = F.leaky_relu(m.d1(d["x"]), 0.2)  # (N, 2, 3, 6)
    p = F.softmax(m.d2(h), -1)  # (N, 2, 3, 3)
    r = m.reg(h)  # (N, 2, 3, 2)
    return {"probs": p, "reg": r}, keras_cce(p, d["soft"]) + 0.3 * F.mse_loss(r, d["t"])


def main():
    check()
    models = []
    onehot = F.one_hot(torch.randint(0, 4, (4, 5)), 4).to(torch.float64)
    models.append(record("tagger", Tagger(), {"seq": randn(4, 5, 3), "onehot": onehot}, tagger_forward))
    models.append(record("seq_ae", SeqAE(), {"seq": rand(3, 4, 3)}, seq_ae_forward))
    soft = rnd(F.softmax(2 * torch.randn(3, 2, 3, 3), -1))
    models.append(record("grid", Grid(), {"x": randn(3, 2, 3, 5), "soft": soft, "t": randn(3, 2, 3, 2)}, grid_forward))
    json.dump({"generator": "testdata/torch/dense_seq_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
