#!/usr/bin/python3
"""Golden values for dlgen's convolution, pooling and upsampling kernels.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/conv_golden.py > testdata/torch/conv_golden.json

Every case is one dlgen op applied to the stored inputs: `attrs` uses the JSON names
of ir.Attrs, and `batched` marks inputs whose leading dimension is the batch. All
arithmetic is in float64.

PyTorch only pads symmetrically, and dlgen pads {top, left, bottom, right}
independently (Keras 'same' puts the odd pad at the end), so asymmetric cases are
built from PyTorch primitives: F.pad followed by the unpadded op. Each such
construction is first checked against PyTorch's own padding on a symmetric case.
The gradient-only ops (Conv2DFilterGrad, MaxPool2DGrad, ...) are compared with
torch.autograd.grad of the forward op.
"""

import json
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20240601)
DT = torch.float64


def randn(*shape):
    """Normal samples rounded to 3 decimals, which keeps the stored inputs short."""
    return torch.round(torch.randn(*shape, dtype=DT) * 1000) / 1000


def distinct(*shape):
    """A random permutation of evenly spaced values: no ties anywhere."""
    n = 1
    for d in shape:
        n *= d
    return (torch.randperm(n).to(DT) / 1000 * 4 - 2).reshape(shape)


def same_pads(n, k, s):
    """Keras/TensorFlow 'same': ceil(n/s) outputs, the odd pad at the end."""
    out = (n + s - 1) // s
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def keras_same(h, w, kh, kw, sh, sw):
    t, b = same_pads(h, kh, sh)
    l, r = same_pads(w, kw, sw)
    return [t, l, b, r]


def pad(x, pads, value=0.0):
    t, l, b, r = pads
    return F.pad(x, (l, r, t, b), value=value)


def conv(x, w, strides, pads):
    return F.conv2d(pad(x, pads), w, stride=tuple(strides))


def conv_t(x, w, strides, pads, out_pad):
    """ConvTranspose2d with per-side pads: the unpadded transposed convolution,
    extended by zeros at the bottom/right as out_pad asks, then cropped by the pads."""
    t, l, b, r = pads
    full = F.conv_transpose2d(x, w, stride=tuple(strides))
    kh, kw = w.shape[2], w.shape[3]
    ho = (x.shape[2] - 1) * strides[0] - t - b + kh + out_pad[0]
    wo = (x.shape[3] - 1) * strides[1] - l - r + kw + out_pad[1]
    full = F.pad(full, (0, max(0, l + wo - full.shape[3]), 0, max(0, t + ho - full.shape[2])))
    return full[:, :, t:t + ho, l:l + wo]


def max_pool(x, kernel, strides, pads):
    return F.max_pool2d(pad(x, pads, float("-inf")), tuple(kernel), tuple(strides))


def avg_pool(x, kernel, strides, pads, exclude):
    xs = F.avg_pool2d(pad(x, pads), tuple(kernel), tuple(strides))
    if not exclude:
        return xs  # zeros in the window, divisor kh*kw
    # Sum over the window divided by the number of real elements in it.
    ones = pad(torch.ones_like(x), pads)
    return xs / F.avg_pool2d(ones, tuple(kernel), tuple(strides))


def check_constructions():
    x = randn(2, 3, 7, 8)
    w = randn(4, 3, 3, 3)
    assert torch.allclose(conv(x, w, [2, 1], [1, 2, 1, 2]), F.conv2d(x, w, stride=(2, 1), padding=(1, 2)), atol=1e-12)
    wt = randn(3, 2, 3, 4)
    for op in ([1, 0], [0, 1]):
        ref = F.conv_transpose2d(x, wt, stride=(2, 2), padding=(1, 2), output_padding=tuple(op))
        assert torch.allclose(conv_t(x, wt, [2, 2], [1, 2, 1, 2], op), ref, atol=1e-12)
    assert torch.equal(max_pool(x, [3, 3], [2, 2], [1, 1, 1, 1]), F.max_pool2d(x, 3, 2, 1))
    ref = F.avg_pool2d(x, 3, 2, 1, count_include_pad=True)
    assert torch.allclose(avg_pool(x, [3, 3], [2, 2], [1, 1, 1, 1], False), ref, atol=1e-12)
    ref = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
    assert torch.allclose(avg_pool(x, [3, 3], [2, 2], [1, 1, 1, 1], True), ref, atol=1e-12)


def t(x, batched):
    return {"shape": list(x.shape), "batched": batched, "data": x.flatten().tolist()}


cases = []


def case(name, op, attrs, inputs, want):
    cases.append({"name": name, "op": op, "attrs": attrs, "inputs": inputs,
                  "want": {"shape": list(want.shape), "data": want.flatten().tolist()}})


def vjp(f, x, dy):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, dy)
    return g


def conv_cases():
    def add(name, xs, ws, strides, pads):
        x, w = randn(*xs), randn(*ws)
        case(name, "Conv2D", {"strides": strides, "pads": pads}, [t(x, True), t(w, False)],
             conv(x, w, strides, pads))
        # The filter gradient of the same convolution, for an arbitrary dy.
        y = conv(x, w, strides, pads)
        dy = randn(*y.shape)
        dw = vjp(lambda w_: conv(x, w_, strides, pads), w, dy)
        case(name + ", filter gradient", "Conv2DFilterGrad",
             {"kernel": [ws[2], ws[3]], "strides": strides, "pads": pads},
             [t(x, True), t(dy, True)], dw)

    add("stride (2,3) with Keras same padding, asymmetric on both axes", (2, 3, 7, 9), (4, 3, 4, 4), [2, 3],
        keras_same(7, 9, 4, 4, 2, 3))
    add("3x3 same at stride 1", (2, 2, 5, 6), (3, 2, 3, 3), [1, 1], keras_same(5, 6, 3, 3, 1, 1))
    add("valid", (2, 3, 7, 9), (4, 3, 3, 3), [1, 1], [0, 0, 0, 0])
    add("valid with stride (2,3) that drops the last rows and columns", (2, 2, 8, 10), (3, 2, 3, 2), [2, 3], [0, 0, 0, 0])
    add("full (pads K-1 on each side)", (2, 2, 5, 6), (3, 2, 3, 2), [1, 1], [2, 1, 2, 1])
    add("explicit pads {1,2,0,3} at stride (2,1)", (1, 3, 6, 5), (2, 3, 3, 4), [2, 1], [1, 2, 0, 3])


def conv_t_cases():
    def add(name, xs, ws, strides, pads, out_pad):
        x, w = randn(*xs), randn(*ws)
        case(name, "Conv2DTranspose", {"strides": strides, "pads": pads, "out_pad": out_pad},
             [t(x, True), t(w, False)], conv_t(x, w, strides, pads, out_pad))

    x, w = randn(2, 3, 4, 5), randn(3, 2, 3, 3)
    case("stride 2, pads 1, out_pad 1 (torch conv_transpose2d)", "Conv2DTranspose",
         {"strides": [2, 2], "pads": [1, 1, 1, 1], "out_pad": [1, 1]}, [t(x, True), t(w, False)],
         F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1))
    add("stride (2,3), no pads, out_pad (1,2)", (2, 2, 3, 4), (2, 3, 2, 3), [2, 3], [0, 0, 0, 0], [1, 2])
    add("asymmetric pads as the gradient of a Keras-same conv", (2, 4, 4, 3), (4, 3, 4, 4), [2, 3], [1, 0, 2, 1], [0, 0])


def pool_cases():
    def add_max(name, xs, kernel, strides, pads, x=None):
        if x is None:
            x = distinct(*xs)
        a = {"kernel": kernel, "strides": strides, "pads": pads}
        case(name, "MaxPool2D", a, [t(x, True)], max_pool(x, kernel, strides, pads))
        y = max_pool(x, kernel, strides, pads)
        dy = randn(*y.shape)
        case(name + ", gradient", "MaxPool2DGrad", a, [t(x, True), t(dy, True)],
             vjp(lambda x_: max_pool(x_, kernel, strides, pads), x, dy))

    x = randn(2, 3, 6, 8)
    case("max 2x2 stride 2 (torch max_pool2d)", "MaxPool2D", {"kernel": [2, 2], "strides": [2, 2], "pads": [0, 0, 0, 0]},
         [t(x, True)], F.max_pool2d(x, 2, 2))
    x = randn(2, 3, 7, 9)
    case("max 3x3 stride 2 pad 1 (torch max_pool2d)", "MaxPool2D", {"kernel": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
         [t(x, True)], F.max_pool2d(x, 3, 2, 1))
    add_max("max 2x2 stride 2", (2, 3, 6, 8), [2, 2], [2, 2], [0, 0, 0, 0])
    add_max("max 3x3 stride 2 pad 1, overlapping windows", (2, 3, 7, 9), [3, 3], [2, 2], [1, 1, 1, 1])
    add_max("max 2x2 with Keras same padding", (1, 2, 5, 7), [2, 2], [2, 2], keras_same(5, 7, 2, 2, 2, 2))
    # Small integers tie often: the first maximum in row-major window order wins.
    add_max("max 3x3 stride 2 pad 1 with ties", (2, 2, 7, 7), [3, 3], [2, 2], [1, 1, 1, 1],
            x=torch.randint(0, 3, (2, 2, 7, 7)).to(DT))

    def add_avg(name, xs, kernel, strides, pads, exclude, native=None):
        x = randn(*xs)
        a = {"kernel": kernel, "strides": strides, "pads": pads, "exclude": exclude}
        f = native or (lambda x_: avg_pool(x_, kernel, strides, pads, exclude))
        case(name, "AvgPool2D", a, [t(x, True)], f(x))
        y = f(x)
        dy = randn(*y.shape)
        g = dict(a, shape=[-1] + list(xs[1:]))
        case(name + ", gradient", "AvgPool2DGrad", g, [t(dy, True)], vjp(f, x, dy))

    add_avg("avg 2x2 stride 2 without padding", (2, 3, 6, 8), [2, 2], [2, 2], [0, 0, 0, 0], False,
            lambda x_: F.avg_pool2d(x_, 2, 2))
    add_avg("avg 2x2 stride 2 without padding, exclude (same divisor)", (2, 3, 6, 8), [2, 2], [2, 2], [0, 0, 0, 0], True,
            lambda x_: F.avg_pool2d(x_, 2, 2, count_include_pad=False))
    add_avg("avg 3x3 stride 2 pad 1 counting the padding (torch count_include_pad=True)", (2, 3, 7, 9), [3, 3], [2, 2],
            [1, 1, 1, 1], False, lambda x_: F.avg_pool2d(x_, 3, 2, 1, count_include_pad=True))
    add_avg("avg 3x3 stride 2 pad 1 excluding the padding (torch count_include_pad=False)", (2, 3, 7, 9), [3, 3], [2, 2],
            [1, 1, 1, 1], True, lambda x_: F.avg_pool2d(x_, 3, 2, 1, count_include_pad=False))
    add_avg("avg 3x3 stride (2,3) Keras same, counting the padding", (2, 2, 7, 9), [3, 3], [2, 3],
            keras_same(7, 9, 3, 3, 2, 3), False)
    add_avg("avg 2x2 stride 2 Keras same, excluding the padding (Keras/TF)", (2, 2, 5, 7), [2, 2], [2, 2],
            keras_same(5, 7, 2, 2, 2, 2), True)

    x = randn(2, 3, 5, 7)
    case("global average", "GlobalAvgPool2D", {}, [t(x, True)], x.mean(dim=(2, 3)))
    dy = randn(2, 3)
    case("global average, gradient", "GlobalAvgPool2DGrad", {"shape": [-1, 3, 5, 7]}, [t(dy, True)],
         vjp(lambda x_: x_.mean(dim=(2, 3)), x, dy))

    for sc in ([2, 2], [2, 3]):
        x = randn(2, 2, 3, 4)
        f = lambda x_: F.interpolate(x_, scale_factor=tuple(float(s) for s in sc), mode="nearest")
        y = f(x)
        case("upsample %dx%d nearest (torch interpolate)" % tuple(sc), "UpSample2D", {"scale": sc}, [t(x, True)], y)
        dy = randn(*y.shape)
        case("upsample %dx%d, gradient" % tuple(sc), "UpSample2DGrad", {"scale": sc}, [t(dy, True)], vjp(f, x, dy))


def main():
    check_constructions()
    conv_cases()
    conv_t_cases()
    pool_cases()
    json.dump({"generator": "testdata/torch/conv_golden.py", "torch": torch.__version__, "cases": cases},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
