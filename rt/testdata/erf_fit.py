#!/usr/bin/python3
"""Fits the two polynomials of rt.Erf32, rt.Erfc32 and rt.Gelu32 (rt/erf.go).

    /usr/bin/python3 rt/testdata/erf_fit.py

Needs numpy and mpmath (Debian's python3-numpy, python3-mpmath). Each fit minimises
the largest relative error on 1600 Chebyshev points by Lawson's iteration
(iteratively reweighted least squares, which converges to the minimax fit), with
mpmath's erf and erfc at 40 digits as the reference, and prints the coefficients
rounded to float32 with the fit's error and the error of a float32 evaluation
(numpy float32, Horner's rule, every operation rounded) on a fine grid.

  erf(x) = x + x·q(x²) for |x| < 1, q of degree 6.
  erfc(a) = exp(-a²)·R(a) for a in [1/2, 12.5], with R(a) = t·P(t - 1/2),
            t = 1/(1 + a/2), P of degree 8. R is erfcx, the scaled complementary
            error function: smooth and between 0.045 and 0.62 there.
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 40
f32 = np.float32


def cheb(lo, hi, n):
    k = np.arange(n)
    return (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / n)


def lawson(A, g, scale, iters=400):
    """Coefficients c minimising max |A·c - g| / scale."""
    Ar, gr = A / scale[:, None], g / scale
    w = np.ones(len(g)) / len(g)
    for _ in range(iters):
        sw = np.sqrt(w)
        c, *_ = np.linalg.lstsq(Ar * sw[:, None], gr * sw, rcond=None)
        e = Ar @ c - gr
        w = w * np.abs(e)
        w /= w.sum()
    return c, np.max(np.abs(e))


def horner(cs, v):
    q = cs[-1]
    for c in cs[-2::-1]:
        q = f32(f32(q * v) + c)
    return q


def erf_small():
    s = cheb(0, 1, 1600)
    e = np.array([float(mp.erf(mp.sqrt(v)) / mp.sqrt(v)) for v in s])  # erf(x)/x
    A = np.array([[v ** k for k in range(7)] for v in s])
    c, fit = lawson(A, e - 1, e)
    cs = [f32(v) for v in c]
    worst = 0.0
    for x in np.linspace(-1, 1, 100001).astype(f32):
        y = f32(x + f32(x * horner(cs, f32(x * x))))
        ref = mp.erf(mp.mpf(float(x)))
        if ref != 0:
            worst = max(worst, abs(float((y - ref) / ref)))
    return cs, fit, worst


def erfcx():
    a = cheb(0.5, 12.5, 1600)
    r = np.array([float(mp.exp(v * v) * mp.erfc(v)) for v in a])
    t = 1 / (1 + a / 2)
    A = np.array([[tv * (tv - 0.5) ** k for k in range(9)] for tv in t])
    c, fit = lawson(A, r, r)
    cs = [f32(v) for v in c]
    worst = 0.0
    for v in np.linspace(0.5, 12.5, 60001).astype(f32):
        tv = f32(f32(1) / f32(f32(1) + f32(f32(0.5) * v)))
        y = f32(tv * horner(cs, f32(tv - f32(0.5))))
        ref = mp.exp(mp.mpf(float(v)) ** 2) * mp.erfc(mp.mpf(float(v)))
        worst = max(worst, abs(float((y - ref) / ref)))
    return cs, fit, worst


for name, (cs, fit, worst) in [("q (erf, |x| < 1)", erf_small()), ("P (erfcx, a in [1/2, 12.5])", erfcx())]:
    print("%s: fit %.3g, float32 evaluation %.3g (%.2f ulp)" % (name, fit, worst, worst / 2 ** -24))
    for i, c in enumerate(cs):
        print("  c%d = %s" % (i, np.format_float_scientific(c, unique=True)))
