#!/usr/bin/env python3
"""torch.mm on float32 (Debian's torch 1.13 over OpenBLAS) for bench/matmul.sh, which
compares dlgen's GEMM with onnxruntime's and OpenBLAS's on this machine (rt/GEMM.md).

Run it the way bench/run.sh runs bench.py: LD_LIBRARY_PATH at the OpenBLAS that
bench/torch/setup.sh unpacks, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset, OMP_NUM_THREADS
set to --threads (and OMP_WAIT_POLICY=PASSIVE on a shared machine). Otherwise torch
multiplies with the reference BLAS, and the numbers say nothing about OpenBLAS.

Timing is bench.py's measure() (warm-up, then R blocks of calls lasting >= min-ms, each
giving the mean wall ms per call) plus the process CPU time per call of each block
(time.process_time: every thread, user + system), for a cpu-GFLOP/s like rt's
BenchmarkGemm reports.

usage: matmul.py --threads 1 [--repeats 5] [--min-ms 200] [--shapes 256x256x256,...]
Shapes are m×k×n. Prints one JSON line per shape on stdout.
"""
import argparse
import json
import time

import torch

from bench import blas_name, openblas


def measure(fn, repeats, min_ms, warmup=3, warmup_ms=100):
    t0 = time.perf_counter()
    i = 0
    while i < warmup or (time.perf_counter() - t0) * 1e3 < warmup_ms:
        fn()
        i += 1
    ms, cpu_ms = [], []
    for _ in range(repeats):
        n, c0, t0 = 0, time.process_time(), time.perf_counter()
        t = t0
        while n == 0 or (t - t0) * 1e3 < min_ms:
            fn()
            n += 1
            t = time.perf_counter()
        ms.append((t - t0) * 1e3 / n)
        cpu_ms.append((time.process_time() - c0) * 1e3 / n)
    return ms, cpu_ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--min-ms', type=float, default=200)
    ap.add_argument('--shapes', default='256x256x256,512x512x512,1024x1024x1024,64x784x128')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    ob = openblas()
    if ob is not None:
        ob.openblas_set_num_threads(a.threads)
    version = '%s, %s' % (torch.__version__, blas_name())
    g = torch.Generator().manual_seed(0)
    for shape in a.shapes.split(','):
        m, k, n = map(int, shape.split('x'))
        rec = {'engine': 'torch', 'version': version, 'threads': a.threads, 'm': m, 'k': k, 'n': n}
        try:
            x = torch.rand(m, k, generator=g) * 2 - 1
            w = torch.rand(k, n, generator=g) * 2 - 1
            y = torch.empty(m, n)
            with torch.inference_mode():
                rec['ms'], rec['cpuMs'] = measure(lambda: torch.mm(x, w, out=y), a.repeats, a.min_ms)
            # A timing of something that is not A·B must not reach the table: compare with
            # float64, relative to Σ|a·b| (float32 sums stay below ~k·2⁻²⁴ of it).
            ref = x.double() @ w.double()
            err = ((y.double() - ref).abs() / (x.double().abs() @ w.double().abs())).max().item()
            rec['maxRelErr'] = err
            if not err < 1e-5:
                raise ValueError('wrong product: relative error %g' % err)
        except Exception as e:  # reported as n/a in the table, the other shapes go on
            rec['error'] = str(e).split('\n')[0][:160]
        print(json.dumps(rec), flush=True)


if __name__ == '__main__':
    main()
