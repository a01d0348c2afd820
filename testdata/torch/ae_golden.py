#!/usr/bin/python3
"""Golden values for dlgen's autoencoder building blocks (issue 8).

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/ae_golden.py > testdata/torch/ae_golden.json

"cases" has the format of ops_golden.json: one dlgen op applied to the stored inputs
(attrs in ir.Attrs' JSON names), read by ir/interp/ae_test.go. Gradient-only ops are
compared with torch.autograd.grad of the forward formula written in torch ops.

The other sections check whole builder constructs end to end (nn/*_test.go):

- "contractive_encoder": the contractive penalty of a dense sigmoid encoder computed
  the slow, obviously right way, as the squared Frobenius norm of the Jacobian that
  torch.autograd.functional.jacobian returns (averaged over the batch), and its
  gradients with respect to x, W and b by double backward through that Jacobian.
  This checks the closed form of the ContractivePenalty op and the way autodiff
  combines its two gradient rules with the encoder's.
- "kl_normal": the VAE KL term -1/2 sum(1 + logvar - mu^2 - exp(logvar)) per
  example, averaged over the batch, and its gradients.
- "l1_activity": Keras' (tf.keras 2) activity_regularizer=l1(lam): lam*sum|h|,
  divided by the batch size.
- "kl_sparsity": beta * sum_j KL(rho || mean_n h[n, j]) on a sigmoid layer, and its
  gradient with respect to the layer's pre-activation.
"""

import json
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20240808)
DT = torch.float64
CLIP = 1e-7

cases = []


def randn(*shape):
    """Normal samples rounded to 3 decimals, which keeps the stored inputs short."""
    return torch.round(torch.randn(*shape, dtype=DT) * 1000) / 1000


def uniform(lo, hi, *shape):
    return torch.round((lo + (hi - lo) * torch.rand(*shape, dtype=DT)) * 1000) / 1000


def inp(x, batched=True):
    return {"shape": list(x.shape), "batched": batched, "data": x.detach().reshape(-1).tolist()}


def flat(x):
    return {"shape": list(x.shape), "data": x.detach().reshape(-1).tolist()}


def case(name, op, attrs, inputs, want):
    cases.append({"name": name, "op": op, "attrs": attrs, "inputs": inputs, "want": flat(want)})


def kl_sparsity(h, rho):
    q = torch.clamp(h.reshape(h.shape[0], -1).mean(0), CLIP, 1 - CLIP)
    return (rho * torch.log(rho / q) + (1 - rho) * torch.log((1 - rho) / (1 - q))).sum()


def contractive(h, w):
    a = h * (1 - h)
    return ((a * a) * (w * w).sum(1)).sum(1).mean()


# Abs and its gradient (0 at 0).
x = torch.tensor([[-1.5, 0.0, 2.25], [3.0, -0.125, 0.0]], dtype=DT)
case("abs", "Abs", {}, [inp(x)], torch.abs(x))
dy = randn(2, 3)
xr = x.clone().requires_grad_()
(g,) = torch.autograd.grad(torch.abs(xr), xr, dy)
case("abs grad is sign(x)·dy and 0 at 0", "AbsGrad", {}, [inp(x), inp(dy)], g)

# KL sparsity on (N, H) and on (N, C, H, W) activations.
for name, shape, rho in [("kl sparsity of (4, 3) activations", (4, 3), 0.05),
                         ("kl sparsity of (2, 2, 2, 2) activations, units over C, H, W", (2, 2, 2, 2), 0.2)]:
    h = uniform(0.01, 0.99, *shape)
    case(name, "KLSparsity", {"alpha": rho}, [inp(h)], kl_sparsity(h, rho))
    hr = h.clone().requires_grad_()
    d = torch.tensor(1.7, dtype=DT)
    (g,) = torch.autograd.grad(kl_sparsity(hr, rho), hr, d)
    case(name + ", gradient", "KLSparsityGrad", {"alpha": rho}, [inp(h), inp(d, False)], g)

# The contractive penalty on given h and w, and its partial derivatives.
h = uniform(0.01, 0.99, 3, 4)
w = randn(4, 5)
case("contractive penalty", "ContractivePenalty", {}, [inp(h), inp(w, False)], contractive(h, w))
hr, wr = h.clone().requires_grad_(), w.clone().requires_grad_()
d = torch.tensor(-0.8, dtype=DT)
gh, gw = torch.autograd.grad(contractive(hr, wr), (hr, wr), d)
case("contractive penalty, gradient with respect to h", "ContractivePenaltyGradH", {}, [inp(h), inp(w, False), inp(d, False)], gh)
case("contractive penalty, gradient with respect to w", "ContractivePenaltyGradW", {}, [inp(h), inp(w, False), inp(d, False)], gw)

# End to end: a dense sigmoid encoder and its Jacobian.
x = uniform(0, 1, 3, 5).requires_grad_()
W = (randn(4, 5) * 0.8).requires_grad_()
b = (randn(4) * 0.5).requires_grad_()
lam = 0.3


def encoder(v):
    return torch.sigmoid(F.linear(v, W, b))


fro = []
for n in range(x.shape[0]):
    J = torch.autograd.functional.jacobian(encoder, x[n], create_graph=True)  # (4, 5)
    fro.append((J * J).sum())
penalty = lam * torch.stack(fro).mean()
gx, gW, gb = torch.autograd.grad(penalty, (x, W, b))
assert torch.allclose(penalty, lam * contractive(encoder(x), W))
contractive_encoder = {
    "x": flat(x), "weight": flat(W), "bias": flat(b), "lambda": lam,
    "penalty": penalty.item(), "dx": flat(gx), "dweight": flat(gW), "dbias": flat(gb),
}

# The VAE's KL term.
mu = randn(3, 2).requires_grad_()
logvar = randn(3, 2).requires_grad_()
kl = (-0.5 * (1 + logvar - mu * mu - torch.exp(logvar)).sum(1)).mean()
gmu, glv = torch.autograd.grad(kl, (mu, logvar))
kl_normal = {"mu": flat(mu), "logvar": flat(logvar), "kl": kl.item(), "dmu": flat(gmu), "dlogvar": flat(glv)}

# Keras' L1 activity regularization, batch-normalised as tf.keras 2's base layer does.
hl = randn(3, 4).requires_grad_()
lam1 = 0.01
l1 = lam1 * hl.abs().sum() / hl.shape[0]
(gl,) = torch.autograd.grad(l1, hl)
l1_activity = {"h": flat(hl), "lambda": lam1, "penalty": l1.item(), "dh": flat(gl)}

# KL sparsity through a sigmoid layer, weighted by beta.
z = randn(4, 3).requires_grad_()
rho, beta = 0.1, 3.0
ks = beta * kl_sparsity(torch.sigmoid(z), rho)
(gz,) = torch.autograd.grad(ks, z)
kl_sparsity_case = {"z": flat(z), "rho": rho, "beta": beta, "penalty": ks.item(), "dz": flat(gz)}

json.dump({"torch": torch.__version__, "cases": cases, "contractive_encoder": contractive_encoder,
           "kl_normal": kl_normal, "l1_activity": l1_activity, "kl_sparsity": kl_sparsity_case},
          sys.stdout, indent=1)
sys.stdout.write("\n")
