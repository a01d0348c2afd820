#!/usr/bin/python3
"""Learning rates of torch.optim.lr_scheduler for rt/schedule_test.go.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/optim_schedule.py > testdata/torch/optim_schedule.json

Each case steps the scheduler the usual way (optimizer.step(); scheduler.step() once
per epoch, so PyTorch uses its recursive get_lr, not the closed form rt implements)
and records get_last_lr() at epochs 0..EPOCHS-1; cosine cases run past T_max, where
the rate climbs back.
"""

import json
import warnings

import torch

EPOCHS = 40
BASE = 0.1
CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=7)),
]

cases = []
for name, cfg in CASES:
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=BASE)
    sched = getattr(torch.optim.lr_scheduler, name)(opt, **cfg)
    lrs = []
    for epoch in range(EPOCHS):
        lrs.append(sched.get_last_lr()[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.step()
        sched.step()
    cases.append(dict(scheduler=name, config=cfg, base=BASE, lrs=lrs))

print(json.dumps(dict(cases=cases), indent=1))
