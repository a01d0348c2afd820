#!/usr/bin/python3
"""Gradient clipping by torch.nn.utils for rt/clip_test.go.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/optim_clip.py > testdata/torch/optim_clip.json

Three float32 gradient tensors of different sizes (norm about 8); clip_grad_norm_
with max_norm below the norm (scaled), far above it (untouched), 1e-7 below it
(scaled by a factor a few 1e-7 below 1, torch's +1e-6 included) and 1e-5 above it
(untouched); clip_grad_value_ at 0.5 (clamps) and 10 (does not). Each case records the returned total norm, the norm of each tensor and the
gradients afterwards.
"""

import json

import torch

torch.manual_seed(20240608)
shapes = [(3, 4), (5,), (2, 2, 3)]
grads0 = [torch.randn(s) * 1.5 for s in shapes]
norm0 = torch.norm(torch.stack([torch.norm(g) for g in grads0])).item()

cases = []
for kind, arg in [("norm", 1.0), ("norm", 100.0), ("norm", 3.5), ("norm", norm0 - 1e-7),
                  ("norm", norm0 + 1e-5), ("value", 0.5), ("value", 10.0)]:
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads0]
    for p, g in zip(params, grads0):
        p.grad = g.clone()
    case = dict(kind=kind, arg=arg)
    if kind == "norm":
        case["total_norm"] = torch.nn.utils.clip_grad_norm_(params, arg).item()
    else:
        torch.nn.utils.clip_grad_value_(params, arg)
    case["grads"] = [p.grad.flatten().tolist() for p in params]
    cases.append(case)

print(json.dumps(dict(grads=[g.flatten().tolist() for g in grads0],
                      norms=[torch.norm(g).item() for g in grads0], cases=cases), indent=1))
