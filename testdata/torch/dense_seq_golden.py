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

import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261129)
torch.set_default_dtype(torch.float64)


def rnd(x):
    return torch.round(x * 1000) / 1000


def randn(*shape, scale=1.0):
    return rnd(scale * torch.randn(*shape))


def rand(*shape):
    return rnd(torch.rand(*shape))


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


def randomize(model):
    """Rounded random parameters: torch's default initialisation for weights, and for
    batch norms a random scale, shift and running statistics."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                c = mod.num_features
                mod.weight.copy_(rnd(1 + 0.3 * torch.randn(c)))
                mod.bias.copy_(randn(c, scale=0.3))
                mod.running_mean.copy_(randn(c, scale=0.5))
                mod.running_var.copy_(rnd(0.5 + torch.rand(c)))
            else:
                for p in mod.parameters(recurse=False):
                    p.copy_(rnd(p))
                    p[p == 0] = 0.001  # a zero bias would hide a missing one


def tensor(x):
    return {"shape": list(x.shape), "data": x.detach().reshape(-1).tolist()}


def flat(x):
    return x.detach().reshape(-1).tolist()


def record(name, model, inputs, forward):
    """Runs forward(model, inputs) -> (outputs dict, loss) in eval then train mode."""
    randomize(model)
    params = {k: tensor(v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    model.eval()
    with torch.no_grad():
        eval_out, eval_loss = forward(model, inputs)
    model.train()
    model.zero_grad()
    train_out, loss = forward(model, inputs)
    loss.backward()
    running = {k: flat(v) for k, v in model.state_dict().items()
               if k.endswith("running_mean") or k.endswith("running_var")}
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
        "running": running,
    }


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
