#!/usr/bin/python3
"""Golden values for dlgen models trained with the sparse categorical cross-entropy
on probabilities (Keras' default, from_logits=False) and with a class label per step.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/sce_golden.py > testdata/torch/sce_golden.json

Each model here is mirrored layer for layer by a model built with package nn in
internal/torchmodels/sce.go (compared in the interpreter by models/sce_test.go, in
generated code by codegen/sce_test.go), with the torch module names as dlgen layer
names, so the state_dict names are dlgen's parameter names. Everything is float64;
parameters and inputs are drawn at random and rounded to 3 decimals, so the JSON
holds them exactly. Each record is that of models_golden.py: params, inputs (labels
as class indices), eval_outputs, eval_loss, train_outputs, loss, grads (of the
train-mode loss, for every parameter) and running (no batch norms here: empty).

The losses:
  - from logits with (N, T) labels: PyTorch's own F.cross_entropy on the logits moved
    to (N, C, T), the mean over the N·T steps;
  - on probabilities: Keras' sparse_categorical_crossentropy as its torch and jax
    backends compute it, written out with torch.gather: each row renormalised to sum
    1, clipped to [1e-7, 1-1e-7], -log of the label's entry, the mean over all rows.
    check() asserts that it is dlgen's CategoricalCrossEntropy (Keras' categorical
    cross-entropy) on the same probabilities against one-hot targets, and PyTorch's
    F.nll_loss of their log where no clipping happens.

In mlp_probs two examples are scaled up (300 times) until the softmax saturates, and given the
labels whose probability is then far below 1e-7 (clipped up: that row's loss is
-ln(1e-7) and it passes no gradient) and far above 1-1e-7 (clipped down, no
gradient either), so the clip shows in the loss and the gradients.
"""

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for goldenlib, from any cwd
from goldenlib import randn, randomize, record, rnd  # noqa: E402
# Each model is randomized (randomize) before record, which leaves its parameters as they are.

torch.manual_seed(20261130)
torch.set_default_dtype(torch.float64)

EPS = 1e-7  # Keras' backend epsilon


def sparse_ce_probs(p, labels):
    """Keras sparse_categorical_crossentropy(labels, p), from_logits=False, mean over rows."""
    q = p / p.sum(-1, keepdim=True)
    q = torch.clamp(q, EPS, 1 - EPS)
    return -torch.log(torch.gather(q, -1, labels.unsqueeze(-1))).mean()


def keras_cce(p, t):
    """dlgen's CategoricalCrossEntropy on probabilities (Keras): renormalised, clipped."""
    p = p / p.sum(-1, keepdim=True)
    p = p.clamp(EPS, 1 - EPS)
    return -(t * torch.log(p)).sum(-1).mean()


def check():
    p = F.softmax(randn(3, 5, 4, scale=2), -1)
    c = torch.randint(0, 4, (3, 5))
    want = keras_cce(p, F.one_hot(c, 4).to(torch.float64))
    assert torch.allclose(sparse_ce_probs(p, c), want, rtol=1e-15, atol=0)
    assert torch.allclose(sparse_ce_probs(p, c), F.nll_loss(torch.log(p).permute(0, 2, 1), c), atol=1e-14)
    # Unnormalised rows with a clipped entry: still CCE against one-hot targets.
    u = torch.tensor([[2.0, 1.0, 1.0], [0.0, 0.4, 0.6], [1.0, 0.0, 0.0]])
    c = torch.tensor([0, 0, 0])
    assert torch.allclose(sparse_ce_probs(u, c), keras_cce(u, F.one_hot(c, 3).to(torch.float64)), rtol=1e-15, atol=0)


# mlp_probs: Dense(12→16, relu) → Dense(16→5, softmax); Keras' sparse categorical
# cross-entropy on the probabilities against (N) labels.
class MLPProbs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 16)
        self.fc2 = nn.Linear(16, 5)


def mlp_probs_forward(m, d):
    probs = F.softmax(m.fc2(torch.relu(m.fc1(d["x"]))), -1)
    return {"probs": probs}, sparse_ce_probs(probs, d["label"])


# tagger_labels: LSTM(3→6) returning every step → Dense(6→5, tanh) per step →
# Dense(5→4) logits per step; cross-entropy from logits against (N, T) labels.
class TaggerLabels(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.LSTM(3, 6, batch_first=True)
        self.proj = nn.Linear(6, 5)
        self.out = nn.Linear(5, 4)


def tagger_labels_forward(m, d):
    s, _ = m.enc(d["seq"])  # (N, 5, 6)
    logits = m.out(torch.tanh(m.proj(s)))  # (N, 5, 4)
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits.permute(0, 2, 1), d["tags"])


# tagger_probs: GRU(3→5) returning every step → Dense(5→3, softmax) per step; Keras'
# sparse categorical cross-entropy on the per-step probabilities against (N, T) labels.
class TaggerProbs(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.GRU(3, 5, batch_first=True)
        self.out = nn.Linear(5, 3)


def tagger_probs_forward(m, d):
    s, _ = m.enc(d["seq"])  # (N, 4, 5)
    probs = F.softmax(m.out(s), -1)  # (N, 4, 3)
    return {"probs": probs}, sparse_ce_probs(probs, d["tags"])


def main():
    check()
    models = []

    mlp = MLPProbs()
    randomize(mlp)
    x = randn(5, 12)
    x[:2] = rnd(300 * x[:2])  # large inputs, a saturated softmax
    label = torch.randint(0, 5, (5,))
    with torch.no_grad():
        p = mlp_probs_forward(mlp, {"x": x, "label": label})[0]["probs"]
    label[0], label[1] = p[0].argmin(), p[1].argmax()
    assert p[0, label[0]] < 1e-3 * EPS and p[1, label[1]] > 1 - 1e-3 * EPS, p[:2]
    assert (p[2:].gather(-1, label[2:].unsqueeze(-1)) > 100 * EPS).all()
    models.append(record("mlp_probs", mlp, {"x": x, "label": label}, mlp_probs_forward))

    tagger = TaggerLabels()
    randomize(tagger)
    models.append(record("tagger_labels", tagger, {"seq": randn(4, 5, 3), "tags": torch.randint(0, 4, (4, 5))},
                         tagger_labels_forward))

    tagger = TaggerProbs()
    randomize(tagger)
    models.append(record("tagger_probs", tagger, {"seq": randn(3, 4, 3), "tags": torch.randint(0, 3, (3, 4))},
                         tagger_probs_forward))

    json.dump({"generator": "testdata/torch/sce_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
