# Reference trajectories of torch.optim.SGD for rt/optim_test.go.
# Regenerate with: /usr/bin/python3 rt/testdata/sgd_golden.py > rt/testdata/sgd_golden.json
import json
import torch

torch.manual_seed(0)
p0 = [0.5, -1.25, 2.0, 0.0, -0.3]
grads = [[0.1, -0.2, 0.3, -0.4, 0.5], [-0.6, 0.7, 0.05, 0.9, -1.0], [0.25, 0.25, -0.75, 0.1, 0.0], [1.5, -0.5, 0.2, -0.2, 0.3]]
cases = []
for cfg in [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.8, dampening=0.3),
    dict(lr=0.1, momentum=0.9, weight_decay=0.01),
    dict(lr=0.2, weight_decay=0.1),
]:
    p = torch.tensor(p0, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.SGD([p], **cfg)
    traj = []
    for g in grads:
        opt.zero_grad()
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        traj.append(p.detach().tolist())
    cases.append(dict(config=cfg, trajectory=traj))
print(json.dumps(dict(p0=p0, grads=grads, cases=cases), indent=1))
