#!/usr/bin/env python3
"""Prints the reference numbers pinned in bench/go/wl/reference.go: per workload, the
checksum of the batch-N inference output (float64 run of the float32 weights), the loss
at the seeded weights and the loss after one SGD step with lr 1 (wl.CheckLR: large enough that
float32 rounding of the loss does not hide the step), with PyTorch in float64.
usage: /usr/bin/python3 bench/torch/reference.py"""
import torch
import torch.nn as nn

import bench

for w in ('W1', 'W2', 'W3', 'W4'):
    x, y = bench.batch(w)
    net = bench.build(w).double()
    x = x.double()
    yy = y.double() if w == 'W4' else y
    with torch.no_grad():
        cs = bench.checksum(bench.Predict(net)(x))
    lossf = nn.BCELoss() if w == 'W4' else nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    l0 = lossf(net(x), yy)
    l0.backward()
    opt.step()
    with torch.no_grad():
        l1 = lossf(net(x), yy)
    print('\t"%s": {Checksum: %.17g, Loss0: %.17g, Loss1: %.17g},' % (w, cs, float(l0), float(l1)))
