#!/usr/bin/env python3
"""PyTorch (CPU, Debian's 1.13) on the benchmark workloads W1-W4 for bench/run.sh.

Cases: inference at batch 1 and at the workload batch (eager under inference_mode, and
TorchScript: trace + freeze + optimize_for_inference, reported as engine "torch-jit"), and
the training step at the workload batch (zero_grad, forward, loss, backward, SGD lr 0.01).

Weights and inputs are the seeded mulberry32 streams of bench/js/common.js (same seeds,
order and arithmetic), converted from Keras layout to torch layout, so torch computes the
same function as every other engine. Timing is the same as bench/js/common.js measure():
warm-up, then R blocks of calls lasting >= min-ms each; each block gives mean ms per call.

usage: bench.py --threads 1 [--repeats 5] [--min-ms 200] [--only W1,W2] [--no-jit]
prints one JSON line per case on stdout.
"""
import argparse
import ctypes
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = {'W1': 64, 'W2': 64, 'W3': 16, 'W4': 32}
SEQ, FEAT, HIDDEN = 32, 32, 64
SEED_WEIGHTS = {'W1': 101, 'W2': 202, 'W3': 303, 'W4': 404}
SEED_DATA = {'W1': 11, 'W2': 22, 'W3': 33, 'W4': 44}
MASK = np.uint64(0xFFFFFFFF)


class Stream:
    """mulberry32, vectorised: its state after k draws is seed + k*0x6D2B79F5 (mod 2^32),
    so n draws are n independent evaluations of the output function."""

    def __init__(self, seed):
        self.seed, self.k = np.uint64(seed), 0

    def draw(self, n):
        k = np.arange(self.k + 1, self.k + n + 1, dtype=np.uint64)
        self.k += n
        s = (self.seed + k * np.uint64(0x6D2B79F5)) & MASK
        t = ((s ^ (s >> np.uint64(15))) * (s | np.uint64(1))) & MASK
        t = ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & MASK)) & MASK) ^ t
        return ((t ^ (t >> np.uint64(14))) & MASK).astype(np.float64) / 4294967296.0

    def uniform(self, n, lo, hi):
        return (lo + (hi - lo) * self.draw(n)).astype(np.float32)


def keras_weights(w):
    """Parameters in Keras layout and order, as bench/js/common.js weights()."""
    r = Stream(SEED_WEIGHTS[w])

    def glorot(shape, fan_in, fan_out):
        lim = math.sqrt(6 / (fan_in + fan_out))
        return r.uniform(int(np.prod(shape)), -lim, lim).reshape(shape)

    def dense(i, o):
        return [glorot((i, o), i, o), r.uniform(o, -0.05, 0.05)]

    def conv(k, ci, co):
        return [glorot((k, k, ci, co), k * k * ci, k * k * co), r.uniform(co, -0.05, 0.05)]

    if w == 'W1':
        return dense(784, 128) + dense(128, 10)
    if w == 'W2':
        return conv(5, 1, 6) + conv(5, 6, 16) + dense(400, 120) + dense(120, 84) + dense(84, 10)
    if w == 'W3':
        return [glorot((FEAT, 4 * HIDDEN), FEAT, 4 * HIDDEN), glorot((HIDDEN, 4 * HIDDEN), HIDDEN, 4 * HIDDEN),
                r.uniform(4 * HIDDEN, -0.05, 0.05)] + dense(HIDDEN, 10)
    return conv(3, 1, 32) + conv(3, 32, 32) + conv(3, 32, 32) + conv(3, 32, 32) + conv(3, 32, 1)


def batch(w):
    """(x in torch layout, target): int64 labels for W1-W3, the clean image for W4."""
    r = Stream(SEED_DATA[w])
    b = BATCH[w]
    if w == 'W4':
        n = b * 784
        clean = r.uniform(n, 0, 1)
        u = r.draw(4 * n).reshape(n, 4)
        g = ((((u[:, 0] + u[:, 1]) + u[:, 2]) + u[:, 3]) - 2) * 1.7320508  # JS adds left to right
        noisy = np.clip(clean.astype(np.float64) + 0.5 * g, 0, 1).astype(np.float32)
        return torch.from_numpy(noisy.reshape(b, 1, 28, 28)), torch.from_numpy(clean.reshape(b, 1, 28, 28))
    shape = {'W1': (b, 784), 'W2': (b, 1, 28, 28), 'W3': (b, SEQ, FEAT)}[w]
    lo = -1 if w == 'W3' else 0
    x = r.uniform(int(np.prod(shape)), lo, 1).reshape(shape)
    y = np.floor(r.draw(b) * 10).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


class Net(nn.Module):
    """W1-W4 in one class: forward returns logits (W1-W3) or the sigmoid image (W4)."""

    def __init__(self, w):
        super().__init__()
        self.w = w
        if w == 'W1':
            self.fc = nn.ModuleList([nn.Linear(784, 128), nn.Linear(128, 10)])
        elif w == 'W2':
            self.conv = nn.ModuleList([nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)])
            self.fc = nn.ModuleList([nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)])
        elif w == 'W3':
            self.lstm = nn.LSTM(FEAT, HIDDEN, batch_first=True)
            self.fc = nn.ModuleList([nn.Linear(HIDDEN, 10)])
        else:
            self.conv = nn.ModuleList([nn.Conv2d(1, 32, 3, padding=1)] +
                                      [nn.Conv2d(32, 32, 3, padding=1) for _ in range(3)] +
                                      [nn.Conv2d(32, 1, 3, padding=1)])

    def forward(self, x):
        if self.w == 'W1':
            return self.fc[1](F.relu(self.fc[0](x)))
        if self.w == 'W2':
            x = F.max_pool2d(F.relu(self.conv[0](x)), 2)
            x = F.max_pool2d(F.relu(self.conv[1](x)), 2).flatten(1)
            return self.fc[2](F.relu(self.fc[1](F.relu(self.fc[0](x)))))
        if self.w == 'W3':
            _, (h, _) = self.lstm(x)
            return self.fc[0](h[0])
        c = self.conv
        x = F.max_pool2d(F.relu(c[0](x)), 2)
        x = F.max_pool2d(F.relu(c[1](x)), 2)
        x = F.interpolate(F.relu(c[2](x)), scale_factor=2.0, mode='nearest')
        x = F.interpolate(F.relu(c[3](x)), scale_factor=2.0, mode='nearest')
        return torch.sigmoid(c[4](x))


class Predict(nn.Module):
    """What dlgen's Predict returns: probabilities (W1-W3) or the reconstruction (W4)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        y = self.net(x)
        return y if self.net.w == 'W4' else torch.softmax(y, dim=-1)


def build(w):
    k = [torch.from_numpy(np.ascontiguousarray(a)) for a in keras_weights(w)]
    net = Net(w)

    def dense(lin, kern, b):  # Keras [in,out] -> torch [out,in]
        lin.weight.copy_(kern.t())
        lin.bias.copy_(b)

    def conv(cv, kern, b):  # Keras [kh,kw,ci,co] -> torch OIHW
        cv.weight.copy_(kern.permute(3, 2, 0, 1))
        cv.bias.copy_(b)

    with torch.no_grad():
        if w == 'W1':
            dense(net.fc[0], k[0], k[1])
            dense(net.fc[1], k[2], k[3])
        elif w == 'W2':
            conv(net.conv[0], k[0], k[1])
            conv(net.conv[1], k[2], k[3])
            # Keras flattens HWC, torch CHW: reorder fc1's input rows (hw*16+c -> c*25+hw).
            dense(net.fc[0], k[4].reshape(25, 16, 120).permute(1, 0, 2).reshape(400, 120), k[5])
            dense(net.fc[1], k[6], k[7])
            dense(net.fc[2], k[8], k[9])
        elif w == 'W3':
            # Keras gates i,f,c,o are torch's i,f,g,o; Keras has one bias, torch two.
            net.lstm.weight_ih_l0.copy_(k[0].t())
            net.lstm.weight_hh_l0.copy_(k[1].t())
            net.lstm.bias_ih_l0.copy_(k[2])
            net.lstm.bias_hh_l0.zero_()
            dense(net.fc[0], k[3], k[4])
        else:
            for i in range(5):
                conv(net.conv[i], k[2 * i], k[2 * i + 1])
    return net


def checksum(t):
    a = t.detach().double().flatten().numpy()
    return float((a * (1 + np.arange(a.size) % 13)).sum())


def measure(fn, repeats, min_ms, warmup=3, warmup_ms=100):
    t0 = time.perf_counter()
    fn()
    if time.perf_counter() - t0 < 0.5:
        i = 1
        while i < warmup or (time.perf_counter() - t0) * 1e3 < warmup_ms:
            fn()
            i += 1
    out = []
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        t = t0
        while n == 0 or (t - t0) * 1e3 < min_ms:
            fn()
            n += 1
            t = time.perf_counter()
        out.append((t - t0) * 1e3 / n)
    return out


def openblas():
    with open('/proc/self/maps') as f:
        for p in {line.split()[-1] for line in f if 'openblas' in line}:
            try:
                lib = ctypes.CDLL(p)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                return lib
            except OSError:
                pass
    return None


def blas_name():
    ob = openblas()
    if ob is not None:
        return 'OpenBLAS (%s)' % ob.openblas_get_corename().decode()
    with open('/proc/self/maps') as f:
        return 'reference BLAS' if any('libblas.so' in line for line in f) else 'unknown BLAS'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--min-ms', type=float, default=200)
    ap.add_argument('--only', default='W1,W2,W3,W4')
    ap.add_argument('--no-jit', action='store_true')
    a = ap.parse_args()
    # Keep freed tensors in the heap: with glibc's defaults the large W4 activations are
    # mmap'ed and unmapped on every call (thousands of page faults per batch).
    libc = ctypes.CDLL('libc.so.6')
    libc.mallopt(-1, 1 << 30)   # M_TRIM_THRESHOLD
    libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    ob = openblas()
    if ob is not None:
        ob.openblas_set_num_threads(a.threads)
    version = '%s, %s' % (torch.__version__, blas_name())

    def emit(rec):
        print(json.dumps(rec), flush=True)

    for w in a.only.split(','):
        x, y = batch(w)
        for case in ('infer_b1', 'infer_bN', 'train_bN'):
            for eng in ['torch'] if a.no_jit else ['torch', 'torch-jit']:
                rec = {'engine': eng, 'version': version, 'threads': a.threads, 'workload': w, 'case': case}
                if eng == 'torch-jit' and case == 'train_bN':
                    emit(dict(rec, error='inference only'))
                    continue
                try:
                    if case == 'train_bN':
                        net = build(w).train()
                        opt = torch.optim.SGD(net.parameters(), lr=0.01)
                        lossf = nn.BCELoss() if w == 'W4' else nn.CrossEntropyLoss()
                        first = []

                        def step():
                            opt.zero_grad()
                            loss = lossf(net(x), y)
                            loss.backward()
                            opt.step()
                            if not first:
                                first.append(float(loss))
                        rec['ms'] = measure(step, a.repeats, a.min_ms)
                        rec['loss_first'] = first[0]
                    else:
                        xin = x[:1].clone() if case == 'infer_b1' else x
                        mod = Predict(build(w)).eval()
                        with torch.no_grad():
                            if eng == 'torch-jit':
                                mod = torch.jit.optimize_for_inference(torch.jit.freeze(
                                    torch.jit.trace(mod, xin, check_trace=False)))

                        def infer():
                            with torch.inference_mode():
                                return mod(xin)
                        rec['ms'] = measure(infer, a.repeats, a.min_ms)
                        rec['checksum'] = checksum(infer())
                except Exception as e:  # noqa: BLE001 -- a failing case is a result, not a crash
                    rec['error'] = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
                emit(rec)
    return 0


if __name__ == '__main__':
    sys.exit(main())
