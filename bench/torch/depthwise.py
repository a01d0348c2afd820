#!/usr/bin/python3
"""One depthwise-separable block in PyTorch, one thread: the comparison in
docs/decisions.md ("Grouped convolutions"). The same model in dlgen:

    m := nn.New("dw64")
    x := m.Input("x", 3, 32, 32)
    h := x.Conv2D("stem", 64, nn.K(3), nn.Same, nn.Act("relu"))
    h = h.DepthwiseConv2D("dw", 1, nn.K(3), nn.Same, nn.NoBias).BatchNorm("bn").Activation("r", "relu6")
    h = h.Conv2D("pw", 128, nn.K(1), nn.Act("relu6")).GlobalAvgPool2D("gap")
    logits := h.Dense("fc", 10)  // sparse cross-entropy from logits, output softmax

generated with `dlgen generate ... -max-batch 32 -cmd` and timed by its command's
`bench -threads 1`.

    bench/torch/setup.sh   # once: Debian's OpenBLAS unpacked into bench/torch/openblas
    LD_LIBRARY_PATH=$PWD/bench/torch/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp \
        OMP_NUM_THREADS=1 /usr/bin/python3 bench/torch/depthwise.py

(the convolutions go through oneDNN either way: without the OpenBLAS path the
figures were within 3 %).
"""
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
m = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(),
                  nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False), nn.BatchNorm2d(64), nn.ReLU6(),
                  nn.Conv2d(64, 128, 1), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
x, y = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
m.eval()
with torch.inference_mode():
    for _ in range(3):
        m(x)
    t, n = time.time(), 20
    for _ in range(n):
        m(x)
    print("inference, batch 32: %.1f ms" % ((time.time() - t) / n * 1000))
m.train()
opt = torch.optim.SGD(m.parameters(), lr=0.01)
for _ in range(3):
    opt.zero_grad()
    F.cross_entropy(m(x), y).backward()
    opt.step()
t, n = time.time(), 10
for _ in range(n):
    opt.zero_grad()
    F.cross_entropy(m(x), y).backward()
    opt.step()
print("SGD step, batch 32: %.1f ms" % ((time.time() - t) / n * 1000))
