#!/usr/bin/python3
"""Reference trajectories of torch.optim optimizers for rt/optim_golden_test.go.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/optim_golden.py > testdata/torch/optim_golden.json

One float32 parameter vector p0 takes len(grads) steps with the stored gradients
(fixed, not computed from a loss, so every optimizer sees the same ones). Gradient
scales swing from 3 to 0.01 so that AMSGrad's running maximum, Adamax's infinity norm
and Adagrad's accumulator all matter, and one gradient element is exactly 0 at one
step (eps placement). Each case records the parameters after every step and the
final per-element optimizer state under PyTorch's state_dict keys; "defaults" holds
each optimizer's default hyper-parameters.

NAdam runs with foreach=True: 1.13's default single-tensor NAdam divides the
momentum term by 1 - mu_product*mu*mu_next (an extra mu, fixed in PyTorch 2), while
its foreach path, its documentation and PyTorch 2 use 1 - mu_product*mu_next, which
rt.NAdam follows. The script checks that the two 1.13 paths do differ.
"""

import json

import torch

torch.manual_seed(20240607)
N, STEPS = 8, 8
p0 = torch.tensor([0.5, -1.25, 2.0, 0.0, -0.3, 1e-3, 3.0, -0.07])
scales = [1.0, 3.0, 0.2, 0.05, 1.5, 0.01, 0.5, 2.0]
grads = [torch.randn(N) * s for s in scales]
grads[2][5] = 0.0

CASES = [
    ("Adagrad", {}),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-3)),
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.05)),
    ("RMSprop", {}),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, alpha=0.9)),
    ("RMSprop", dict(lr=0.02, momentum=0.5, centered=True, weight_decay=0.1, eps=1e-3)),
    ("Adam", {}),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.9), amsgrad=True, weight_decay=0.05)),
    ("AdamW", {}),
    ("AdamW", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.3, amsgrad=True)),
    ("Adamax", {}),
    ("Adamax", dict(lr=0.05, betas=(0.7, 0.9), eps=1e-2, weight_decay=0.1)),
    ("NAdam", dict(foreach=True)),
    ("NAdam", dict(lr=0.05, betas=(0.8, 0.99), momentum_decay=0.05, weight_decay=0.1, foreach=True)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.0, foreach=True)),
]


def run(name, cfg):
    p = p0.clone().requires_grad_(True)
    opt = getattr(torch.optim, name)([p], **cfg)
    traj = []
    for g in grads:
        opt.zero_grad()
        p.grad = g.clone()
        opt.step()
        traj.append(p.detach().tolist())
    state = {k: v.tolist() for k, v in opt.state[p].items() if torch.is_tensor(v) and v.numel() == N}
    return traj, state


cases = []
for name, cfg in CASES:
    traj, state = run(name, cfg)
    config = {k: v for k, v in cfg.items() if k != "foreach"}
    cases.append(dict(optimizer=name, config=config, trajectory=traj, state=state))

single, _ = run("NAdam", dict(lr=0.05))
fe, _ = run("NAdam", dict(lr=0.05, foreach=True))
assert max(abs(a - b) for a, b in zip(single[-1], fe[-1])) > 1e-4, "1.13's NAdam paths agree: drop the foreach note"

# Each optimizer's default hyper-parameters, for rt's New<Name> constructors.
NUMERIC = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "rho",
           "alpha", "momentum", "centered", "betas", "amsgrad", "momentum_decay")
defaults = {}
for name in sorted({name for name, _ in CASES}):
    d = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    defaults[name] = {k: v for k, v in d.items() if k in NUMERIC}

print(json.dumps(dict(p0=p0.tolist(), grads=[g.tolist() for g in grads], defaults=defaults, cases=cases), indent=1))
