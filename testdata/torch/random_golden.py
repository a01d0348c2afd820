#!/usr/bin/python3
"""Randomized golden values: small models with layer configurations nobody chose by hand.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/random_golden.py > testdata/torch/random_golden.json

The script draws, from fixed seeds, MODELS small models: an input (an image (N, C, H,
W), a sequence (N, C, L), a recurrent sequence (N, T, F), features (N, F) or token
ids (N, L) for an Embedding), a stack of 1-5 layers with random hyper-parameters
(and random skip connections), a head (Flatten or a global pool, then Dense) and a
loss, at random input and parameter scales. Each model is described by a JSON "config" that
internal/torchmodels/random.go rebuilds with package nn: a layer's fields are the
arguments of its nn call as the user writes them (nn.K(3, 1) is "k": [3, 1],
nn.Pads(2) is "pads": [2]), and this script expands them as dlgen documents. The
first layer of model i is of kind KINDS[i % len(KINDS)], so every kind is drawn
many times. Layers are named l0, l1, ..., the head "head"; those are the torch
attribute names, so state_dict names are dlgen's parameter names.

Each model records what goldenlib.record records (parameters, inputs, eval and
train outputs and losses, every gradient, the batch-norm running statistics after
one train-mode forward), in float64 with values rounded to 3 decimals, plus its
config. models/random_torch_test.go compares all of them in the interpreter;
codegen's TestTheRandomTorchModelsMatchPyTorch compares the generated code of
the few of them listed in "generated", chosen to show between them every layer
kind, padding form, option, activation and loss that any model shows, among the
models that PyTorch itself run in float32 follows to 1e-5 ("float32_error"; the
generated code computes in float32, and at the larger scales a sigmoid can round to
exactly 1 before BCE, or a long relu recurrence lose digits, in any float32 code).

Where dlgen claims Keras' semantics the forward here writes them out with torch
primitives, as models_golden.py does (and checks against torch's own modules there):
same padding puts the odd pad at the end (F.pad), same max pooling pads with -inf,
same average pooling leaves the padding out of the divisor, a same or valid
transposed convolution is the unpadded one with output padding max(s - span, 0)
cropped by the pads of the convolution it is the adjoint of, causal pads (k-1)·d
before the sequence, and the cross-entropies on probabilities are Keras' (renormalise,
clip to [1e-7, 1-1e-7]).

Left out on purpose (docs/decisions.md):
  - Conv2DTranspose output padding at or above the stride ("Dilated convolutions":
    dlgen refuses it, PyTorch accepts it below the dilation);
  - GRU ResetBefore and RecurrentAct (no torch module computes them; rnn_golden.py
    writes ResetBefore out by hand), Dropout (random streams differ);
  - pooling with explicit pads above half the window (PyTorch refuses them).

After any layer a merge may join the output with an earlier tensor that fits (a
skip connection: nn.Add, Sub, Mul or Concat), named m<j>.

Convolutions (2-D and 1-D) sometimes have groups (nn.Groups, any count dividing the
channels and the filters, depthwise included); Permute draws a non-identity order of
the axes after the batch; the adaptive pools draw output sizes that divide the input
and that do not, up to one above it; the activations include relu6, hard_sigmoid and
hard_swish (hard_sigmoid written out as relu6(x + 3)/6: act_golden.py says why);
PReLU has PyTorch's one α or one per channel; LayerNorm normalises the last 1 to 3
axes, with random γ and β or without them (elementwise_affine=False).
"""

import copy
import json
import math
import os
import random
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for goldenlib, from any cwd
import goldenlib  # noqa: E402
from goldenlib import rand, randn, rnd  # noqa: E402

# The committed golden is MODELS models from SEED; RANDOM_MODELS and RANDOM_SEED
# override them to explore further (write elsewhere, or restore the file after).
MODELS = int(os.environ.get("RANDOM_MODELS", 300))
SEED = int(os.environ.get("RANDOM_SEED", 20261128))
# RANDOM_LARGE=k (exploring only: the JSON grows fast) draws k times the channels,
# filters and units, images up to 28×28 and examples up to k² times larger, so that
# generated code takes the matrix and convolution paths of real sizes.
LARGE = int(os.environ.get("RANDOM_LARGE", 1))
BIG = [16, 28] if LARGE > 1 else []

# The first layer's kind, one per model in turn.
KINDS = ["conv2d", "conv2d_t", "conv1d", "conv1d_t", "maxpool2d", "avgpool2d", "maxpool1d", "avgpool1d",
         "upsample2d", "upsample1d", "zeropad2d", "crop2d", "zeropad1d", "crop1d", "batchnorm", "dense",
         "act", "rnn", "lstm", "gru", "flatten", "embedding", "repeat", "reshape", "permute", "adaptive_avg2d",
         "adaptive_max2d", "prelu", "layernorm"]

ACTS = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu", "elu", "selu", "softplus",
        "gelu", "gelu_tanh", "swish", "silu", "relu6", "hard_sigmoid", "hard_swish"]

LOSSES = ["mse", "mae", "huber", "bce", "bce_logits", "cce", "cce_logits", "sce_logits", "sce_probs", "nll"]


def same_pads(n, k, s):
    """Keras/TensorFlow 'same' {before, after}: ceil(n/s) outputs, odd pad at the end."""
    out = (n + s - 1) // s
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def pair(v):
    return (v[0], v[0]) if len(v) == 1 else (v[0], v[1])


def sides(p):
    """nn.Pads' 1, 2 or 4 values as (top, left, bottom, right)."""
    if len(p) == 1:
        return p[0], p[0], p[0], p[0]
    if len(p) == 2:
        return p[0], p[1], p[0], p[1]
    return tuple(p)


def sides1(p):
    """A 1-D layer's 1 or 2 values as (left, right)."""
    return (p[0], p[0]) if len(p) == 1 else (p[0], p[1])


def span(k, d):
    return (k - 1) * d + 1


def activation(x, name, args):
    a = args[0] if args else None
    if name == "linear":
        return x
    if name == "relu":
        return F.relu(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "softmax":
        return F.softmax(x, -1)
    if name == "log_softmax":
        return F.log_softmax(x, -1)
    if name == "leaky_relu":
        return F.leaky_relu(x, 0.01 if a is None else a)
    if name == "elu":
        return F.elu(x, 1.0 if a is None else a)
    if name == "selu":
        return F.selu(x)
    if name == "softplus":
        return F.softplus(x)
    if name == "gelu":
        return F.gelu(x)
    if name == "gelu_tanh":
        return F.gelu(x, approximate="tanh")
    if name in ("swish", "silu"):
        return F.silu(x)
    if name == "relu6":
        return F.relu6(x)
    if name == "hard_sigmoid":
        # Written out: torch 1.13's Hardsigmoid backward multiplies by the float32
        # 1/6 even in float64 (act_golden.py checks the two agree to 1e-7).
        return F.relu6(x + 3) / 6
    if name == "hard_swish":
        return F.hardswish(x)
    raise ValueError(name)


def crop2(y, t, l, b, r):
    return y[:, :, t:y.shape[2] - b, l:y.shape[3] - r]


def pad_or_crop2(x, t, l, b, r):
    """dlgen's Pad2D: positive amounts add zeros, negative ones crop (F.pad)."""
    return F.pad(x, (l, r, t, b))


# Each layer kind: make(cfg, in_shape) -> module or None; apply(mod, cfg, x) -> y.

def make_module(c, shape):
    t = c["type"]
    if t == "conv2d":
        k, d = pair(c["k"]), pair(c.get("dilation", [1]))
        return nn.Conv2d(shape[1], c["filters"], k, stride=pair(c.get("strides", [1])), dilation=d, bias=c["bias"],
                         groups=c.get("groups", 1))
    if t == "conv2d_t":
        k, s, d = pair(c["k"]), pair(c.get("strides", [1])), pair(c.get("dilation", [1]))
        if c["padding"] == "pads":
            op = pair(c.get("outpad", [0]))
            t_, l_, b_, r_ = sides(c["pads"])
            p = (t_, l_) if (t_, l_) == (b_, r_) else (0, 0)  # else cropped in apply
        else:
            op, p = tuple(max(s[a] - span(k[a], d[a]), 0) for a in range(2)), (0, 0)
        return nn.ConvTranspose2d(shape[1], c["filters"], k, stride=s, padding=p, output_padding=op, dilation=d,
                                  bias=c["bias"])
    if t == "conv1d":
        return nn.Conv1d(shape[1], c["filters"], c["k"][0], stride=c.get("strides", [1])[0],
                         dilation=c.get("dilation", [1])[0], bias=c["bias"], groups=c.get("groups", 1))
    if t == "conv1d_t":
        k, s, d = c["k"][0], c.get("strides", [1])[0], c.get("dilation", [1])[0]
        if c["padding"] == "pads":
            op = c.get("outpad", [0])[0]
            l_, r_ = sides1(c["pads"])
            p = l_ if l_ == r_ else 0  # else cropped in apply
        else:
            op, p = max(s - span(k, d), 0), 0
        return nn.ConvTranspose1d(shape[1], c["filters"], k, stride=s, padding=p, output_padding=op, dilation=d,
                                  bias=c["bias"])
    if t == "batchnorm":
        cls = nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d
        return cls(shape[1], eps=c["eps"], momentum=c["momentum"])
    if t in ("dense", "head"):
        return nn.Linear(shape[-1], c["units"], bias=c["bias"])
    if t == "embedding":
        return nn.Embedding(c["vocab"], c["dim"], padding_idx=c.get("padding_idx"))
    if t == "prelu":
        return nn.PReLU(shape[1] if c.get("per_channel") else 1)
    if t == "layernorm":
        ln = nn.LayerNorm(tuple(shape[len(shape) - c["axes"]:]), eps=c["eps"], elementwise_affine=c["affine"])
        if c["affine"]:
            # γ and β varying per element (their init, 1 and 0, would hide a
            # misplaced one), before goldenlib.randomize scales them.
            with torch.no_grad():
                ln.weight.copy_(1 + 0.3 * torch.randn(ln.weight.shape))
                ln.bias.copy_(0.3 * torch.randn(ln.bias.shape))
        return ln
    if t == "rnn":
        cls = {"simple_rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[c["cell"]]
        kw = {"nonlinearity": c["act"]} if c["cell"] == "simple_rnn" else {}
        return cls(shape[2], c["units"], batch_first=True, bidirectional=c["bi"], bias=c["bias"], **kw)
    return None


def apply(mod, c, x, d):
    # Crops are views; some torch 1.13 backward kernels (max pooling's) refuse a
    # non-contiguous gradient, so every layer hands on a contiguous tensor.
    return apply_layer(mod, c, x, d).contiguous()


def apply_layer(mod, c, x, d):
    t = c["type"]
    act = lambda y: activation(y, c.get("act", "linear"), c.get("act_arg", []))  # noqa: E731
    if t == "conv2d":
        k, s, dl = pair(c["k"]), pair(c.get("strides", [1])), pair(c.get("dilation", [1]))
        sp = (span(k[0], dl[0]), span(k[1], dl[1]))
        p = c["padding"]
        if p == "valid":
            pads = (0, 0, 0, 0)
        elif p == "same":
            (pt, pb), (pl, pr) = same_pads(x.shape[2], sp[0], s[0]), same_pads(x.shape[3], sp[1], s[1])
            pads = (pt, pl, pb, pr)
        elif p == "full":
            pads = (sp[0] - 1, sp[1] - 1, sp[0] - 1, sp[1] - 1)
        else:
            pads = sides(c["pads"])
        if pads[0] == pads[2] and pads[1] == pads[3]:
            mod.padding = (pads[0], pads[1])  # torch's own symmetric padding
            y = mod(x)
        else:
            y = mod(F.pad(x, (pads[1], pads[3], pads[0], pads[2])))
        return act(y)
    if t == "conv2d_t":
        y = mod(x)
        if c["padding"] == "pads" and mod.padding == (0, 0):
            # Pads (top, left, bottom, right) that torch's symmetric padding cannot
            # express: the transposed convolution is the adjoint of the convolution
            # with those pads, so its output is the unpadded one, cropped.
            pt, pl, pb, pr = sides(c["pads"])
            y = y[:, :, pt:y.shape[2] - pb, pl:y.shape[3] - pr]
        if c["padding"] == "same":
            k, s, dl = pair(c["k"]), pair(c.get("strides", [1])), pair(c.get("dilation", [1]))
            ho, wo = x.shape[2] * s[0], x.shape[3] * s[1]
            pt, _ = same_pads(ho, span(k[0], dl[0]), s[0])
            pl, _ = same_pads(wo, span(k[1], dl[1]), s[1])
            y = y[:, :, pt:pt + ho, pl:pl + wo]
        return act(y)
    if t == "conv1d":
        k, s, dl = c["k"][0], c.get("strides", [1])[0], c.get("dilation", [1])[0]
        sp = span(k, dl)
        p = c["padding"]
        if p == "valid":
            pads = (0, 0)
        elif p == "same":
            pads = same_pads(x.shape[2], sp, s)
        elif p == "full":
            pads = (sp - 1, sp - 1)
        elif p == "causal":
            pads = (sp - 1, 0)
        else:
            pads = sides1(c["pads"])
        if pads[0] == pads[1]:
            mod.padding = (pads[0],)
            y = mod(x)
        else:
            y = mod(F.pad(x, pads))
        return act(y)
    if t == "conv1d_t":
        y = mod(x)
        if c["padding"] == "pads" and mod.padding == (0,):
            pl, pr = sides1(c["pads"])
            y = y[:, :, pl:y.shape[2] - pr]
        if c["padding"] == "same":
            k, s, dl = c["k"][0], c.get("strides", [1])[0], c.get("dilation", [1])[0]
            lo = x.shape[2] * s
            pl, _ = same_pads(lo, span(k, dl), s)
            y = y[:, :, pl:pl + lo]
        return act(y)
    if t in ("maxpool2d", "avgpool2d"):
        k = pair(c["k"])
        s = pair(c["strides"]) if "strides" in c else k
        p = c["padding"]
        if p == "same":
            (pt, pb), (pl, pr) = same_pads(x.shape[2], k[0], s[0]), same_pads(x.shape[3], k[1], s[1])
            if t == "maxpool2d":
                return F.max_pool2d(F.pad(x, (pl, pr, pt, pb), value=-math.inf), k, s)
            sums = F.avg_pool2d(F.pad(x, (pl, pr, pt, pb)), k, s, divisor_override=1)
            counts = F.avg_pool2d(F.pad(torch.ones_like(x), (pl, pr, pt, pb)), k, s, divisor_override=1)
            return sums / counts
        pt, pl, pb, pr = sides(c["pads"]) if p == "pads" else (0, 0, 0, 0)
        if (pt, pl) != (pb, pr):
            # Pads torch's pooling cannot take: pad first (max pooling with -inf,
            # which never wins; average pooling with zeros that count, as
            # count_include_pad counts torch's own padding).
            fill = -math.inf if t == "maxpool2d" else 0.0
            x, pt, pl = F.pad(x, (pl, pr, pt, pb), value=fill), 0, 0
        if t == "maxpool2d":
            return F.max_pool2d(x, k, s, (pt, pl))
        return F.avg_pool2d(x, k, s, (pt, pl), count_include_pad=True)
    if t in ("maxpool1d", "avgpool1d"):
        k = c["k"][0]
        s = c["strides"][0] if "strides" in c else k
        p = c["padding"]
        if p == "same":
            pl, pr = same_pads(x.shape[2], k, s)
            if t == "maxpool1d":
                return F.max_pool1d(F.pad(x, (pl, pr), value=-math.inf), k, s)
            sums = F.avg_pool1d(F.pad(x, (pl, pr)), k, s) * k
            counts = F.avg_pool1d(F.pad(torch.ones_like(x), (pl, pr)), k, s) * k
            return sums / counts
        pl, pr = sides1(c["pads"]) if p == "pads" else (0, 0)
        if pl != pr:
            fill = -math.inf if t == "maxpool1d" else 0.0
            x, pl = F.pad(x, (pl, pr), value=fill), 0
        if t == "maxpool1d":
            return F.max_pool1d(x, k, s, pl)
        return F.avg_pool1d(x, k, s, pl, count_include_pad=True)
    if t == "gap2d":
        return x.mean((2, 3))
    if t == "gmp2d":
        return F.adaptive_max_pool2d(x, 1).flatten(1)
    if t == "gap1d":
        return x.mean(2)
    if t == "gmp1d":
        return F.adaptive_max_pool1d(x, 1).flatten(1)
    if t == "upsample2d":
        sh, sw = pair(c["size"]) if c["size"] else (2, 2)
        if c["bilinear"]:
            return F.interpolate(x, scale_factor=(sh, sw), mode="bilinear", align_corners=False)
        return x.repeat_interleave(sh, dim=2).repeat_interleave(sw, dim=3)
    if t == "upsample1d":
        s = c["size"][0] if c["size"] else 2
        return x.repeat_interleave(s, dim=2)
    if t in ("zeropad2d", "crop2d"):
        sign = 1 if t == "zeropad2d" else -1
        tp, l, b, r = sides(c["amounts"])
        return F.pad(x, (sign * l, sign * r, sign * tp, sign * b))
    if t in ("zeropad1d", "crop1d"):
        sign = 1 if t == "zeropad1d" else -1
        l, r = sides1(c["amounts"])
        return F.pad(x, (sign * l, sign * r))
    if t == "batchnorm":
        return mod(x)
    if t in ("dense", "head"):
        return act(mod(x))
    if t == "act":
        return act(x)
    if t == "flatten":
        return x.flatten(1)
    if t == "embedding":
        return mod(x)
    if t == "repeat":
        return x.unsqueeze(1).repeat(1, c["n"], 1)
    if t == "reshape":
        return x.reshape(x.shape[0], *c["dims"])
    if t == "permute":
        return x.permute(0, *c["dims"])
    if t in ("prelu", "layernorm"):
        return mod(x)
    if t == "adaptive_avg2d":
        return F.adaptive_avg_pool2d(x, tuple(c["size"]))
    if t == "adaptive_max2d":
        return F.adaptive_max_pool2d(x, tuple(c["size"]))
    if t == "merge":
        # The current tensor joined with an earlier one (a skip connection).
        other = d[c["with"]]
        if c["op"] == "concat":
            return torch.cat([x, other], c["axis"])
        return {"add": torch.add, "sub": torch.sub, "mul": torch.mul}[c["op"]](x, other)
    if t == "rnn":
        D, H = (2 if c["bi"] else 1), c["units"]
        init = None
        if c.get("init_state"):
            hs = torch.stack([d["h0"]] + ([d["h0_reverse"]] if c["bi"] else []))
            if c["cell"] == "lstm":
                cs = torch.stack([d["c0"]] + ([d["c0_reverse"]] if c["bi"] else []))
                init = (hs, cs)
            else:
                init = hs
        out, h_n = mod(x, init) if init is not None else mod(x)
        if c["cell"] == "lstm":
            h_n = h_n[0]
        if c["seq"]:
            parts = [out[..., :H], out[..., H:]] if D == 2 else [out]
        else:
            parts = list(h_n)
        return merge(parts, c.get("merge", "concat"))
    raise ValueError(t)


def merge(parts, mode):
    if len(parts) == 1:
        return parts[0]
    a, b = parts
    return {"concat": lambda: torch.cat([a, b], -1), "sum": lambda: a + b, "mul": lambda: a * b,
            "ave": lambda: (a + b) / 2}[mode]()


def keras_cce(p, t):
    p = p / p.sum(-1, keepdim=True)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(t * torch.log(p)).sum(-1).mean()


def loss_of(c, y, d):
    kind = c["type"]
    if kind == "mse":
        return F.mse_loss(y, d["target"])
    if kind == "mae":
        return F.l1_loss(y, d["target"])
    if kind == "huber":
        return F.huber_loss(y, d["target"], delta=c["delta"])
    if kind == "bce":
        return F.binary_cross_entropy(y, d["target"])
    if kind == "bce_logits":
        return F.binary_cross_entropy_with_logits(y, d["target"])
    if kind == "cce":
        return keras_cce(y, d["target"])
    if kind == "cce_logits":
        return -(d["target"] * F.log_softmax(y, -1)).sum(-1).mean()
    ign = c.get("ignore")
    kw = {"ignore_index": ign} if ign is not None else {}
    if kind == "sce_logits":
        return F.cross_entropy(y.movedim(-1, 1).contiguous(), d["labels"], **kw)
    if kind == "nll":
        return F.nll_loss(y.movedim(-1, 1).contiguous(), d["labels"], **kw)
    if kind == "sce_probs":
        return keras_cce(y, F.one_hot(d["labels"], y.shape[-1]).to(y.dtype))
    raise ValueError(kind)


# Head activation per loss: what the loss reads.
HEAD_ACT = {"bce": "sigmoid", "cce": "softmax", "sce_probs": "softmax", "nll": "log_softmax",
            "bce_logits": "linear", "cce_logits": "linear", "sce_logits": "linear"}


class Net(nn.Module):
    pass


def forward(cfg):
    def run(m, d):
        x, env = d["x"], dict(d)  # env: the inputs and every layer's output, by name
        for c in cfg["layers"] + [cfg["head"]]:
            x = apply(getattr(m, c["name"], None), c, x, env)
            env[c["name"]] = x
        return {"y": x}, loss_of(cfg["loss"], x, d)
    return run


# ---- drawing configurations ----

class Drawer:
    def __init__(self, r):
        self.r = r
        self.vocab = None  # the vocabulary of a token input

    def choice(self, xs):
        return self.r.choice(xs)

    def int(self, a, b):
        return self.r.randint(a, b)

    def coin(self, p=0.5):
        return self.r.random() < p

    def vals(self, lo, hi, max_len=2):
        """A 1- or 2-value option (nn.K(3) or nn.K(3, 1))."""
        if max_len == 1 or self.coin():
            return [self.int(lo, hi)]
        return [self.int(lo, hi), self.int(lo, hi)]

    def act(self, allow_softmax, rnn=False):
        if rnn:
            return {"act": self.choice(["tanh", "relu"])}
        acts = ACTS if allow_softmax else [a for a in ACTS if a not in ("softmax", "log_softmax")]
        a = self.choice(acts)
        c = {"act": a}
        if a in ("leaky_relu", "elu") and self.coin(0.7):
            # Negative and above-one slopes and alphas too: both frameworks take any.
            c["act_arg"] = [round(self.r.uniform(-0.5, 2.0), 2)]
        return c

    def groups(self, c, channels):
        """Now and then a group count above 1 dividing the input's channels and the
        filters (PyTorch's groups, dlgen's nn.Groups)."""
        divs = [g for g in range(2, channels + 1) if channels % g == 0 and c["filters"] % g == 0]
        if divs and self.coin(0.6):
            c["groups"] = self.choice(divs)

    def layer(self, kind, shape):
        """A random layer of kind for an input of shape (batch first), or None if kind
        does not apply to that rank."""
        rank = len(shape)
        if kind == "conv2d" and rank == 4:
            c = {"type": "conv2d", "filters": self.int(1, 4 * LARGE), "k": self.vals(1, 5), "bias": self.coin(0.75),
                 "padding": self.choice(["valid", "same", "full", "pads"])}
            if self.coin(0.6):
                c["strides"] = self.vals(1, 4)
            if self.coin(0.3):
                c["dilation"] = self.vals(1, 3)
            if c["padding"] == "pads":
                c["pads"] = [self.int(0, 3) for _ in range(self.choice([1, 2, 4]))]
            self.groups(c, shape[1])
            c.update(self.act(False))
            return c
        if kind == "conv2d_t" and rank == 4:
            c = {"type": "conv2d_t", "filters": self.int(1, 4 * LARGE), "k": self.vals(1, 5), "bias": self.coin(0.75),
                 "padding": self.choice(["valid", "same", "pads"])}
            if self.coin(0.7):
                c["strides"] = self.vals(1, 3)
            if self.coin(0.25):
                c["dilation"] = self.vals(1, 2)
            if c["padding"] == "pads":
                c["pads"] = [self.int(0, 2) for _ in range(self.choice([1, 2, 4]))]
                s = pair(c.get("strides", [1]))
                if max(s) > 1 and self.coin(0.7):
                    c["outpad"] = [self.int(0, s[0] - 1)] if s[0] == s[1] else [self.int(0, s[0] - 1), self.int(0, s[1] - 1)]
            c.update(self.act(False))
            return c
        if kind == "conv1d" and rank == 3:
            c = {"type": "conv1d", "filters": self.int(1, 4 * LARGE), "k": [self.int(1, 5)], "bias": self.coin(0.75),
                 "padding": self.choice(["valid", "same", "full", "causal", "pads"])}
            if self.coin(0.6):
                c["strides"] = [self.int(1, 3)]
            if self.coin(0.3):
                c["dilation"] = [self.int(1, 3)]
            if c["padding"] == "pads":
                c["pads"] = [self.int(0, 2) for _ in range(self.choice([1, 2]))]
            self.groups(c, shape[1])
            c.update(self.act(False))
            return c
        if kind == "conv1d_t" and rank == 3:
            c = {"type": "conv1d_t", "filters": self.int(1, 4 * LARGE), "k": [self.int(1, 5)], "bias": self.coin(0.75),
                 "padding": self.choice(["valid", "same", "pads"])}
            if self.coin(0.7):
                c["strides"] = [self.int(1, 3)]
            if self.coin(0.25):
                c["dilation"] = [self.int(1, 2)]
            if c["padding"] == "pads":
                c["pads"] = [self.int(0, 2) for _ in range(self.choice([1, 2]))]
                s = c.get("strides", [1])[0]
                if s > 1 and self.coin(0.7):
                    c["outpad"] = [self.int(0, s - 1)]
            c.update(self.act(False))
            return c
        if kind in ("maxpool2d", "avgpool2d") and rank == 4:
            c = {"type": kind, "k": self.vals(1, 4), "padding": self.choice(["valid", "same", "pads"])}
            if self.coin(0.5):
                c["strides"] = self.vals(1, 3)
            if c["padding"] == "pads":
                # At most half the window on each side, as torch requires: every
                # window then overlaps the input, as dlgen requires.
                kh, kw = pair(c["k"])
                n = self.choice([1, 2, 4])
                if n == 1:
                    c["pads"] = [self.int(0, min(kh, kw) // 2)]
                elif n == 2:
                    c["pads"] = [self.int(0, kh // 2), self.int(0, kw // 2)]
                else:
                    c["pads"] = [self.int(0, kh // 2), self.int(0, kw // 2), self.int(0, kh // 2), self.int(0, kw // 2)]
            return c
        if kind in ("maxpool1d", "avgpool1d") and rank == 3:
            c = {"type": kind, "k": [self.int(1, 5)], "padding": self.choice(["valid", "same", "pads"])}
            if self.coin(0.5):
                c["strides"] = [self.int(1, 3)]
            if c["padding"] == "pads":
                c["pads"] = [self.int(0, c["k"][0] // 2) for _ in range(self.choice([1, 2]))]
            return c
        if kind == "upsample2d" and rank == 4:
            return {"type": "upsample2d", "size": self.choice([[], [2], [3], [1, 2], [2, 3], [3, 1]]),
                    "bilinear": self.coin()}
        if kind == "upsample1d" and rank == 3:
            return {"type": "upsample1d", "size": self.choice([[], [2], [3]])}
        if kind in ("zeropad2d", "crop2d") and rank == 4:
            n = self.choice([1, 2, 4])
            hi = 2 if kind == "zeropad2d" else 1
            return {"type": kind, "amounts": [self.int(0, hi) for _ in range(n)]}
        if kind in ("zeropad1d", "crop1d") and rank == 3:
            n = self.choice([1, 2])
            hi = 2 if kind == "zeropad1d" else 1
            return {"type": kind, "amounts": [self.int(0, hi) for _ in range(n)]}
        if kind == "batchnorm":
            return {"type": "batchnorm", "eps": self.choice([1e-5, 1e-3, 0.1]), "momentum": self.choice([0.1, 0.3, 0.9, 1.0, 0.0])}
        if kind == "dense":
            c = {"type": "dense", "units": self.int(1, 6 * LARGE), "bias": self.coin(0.8)}
            c.update(self.act(True))
            return c
        if kind == "act":
            c = {"type": "act"}
            c.update(self.act(rank < 4))
            return c
        if kind == "flatten" and rank > 2:
            return {"type": "flatten"}
        if kind == "embedding" and self.vocab:
            c = {"type": "embedding", "vocab": self.vocab, "dim": self.int(1, 5)}
            if self.coin(0.5):
                c["padding_idx"] = self.int(0, self.vocab - 1)
            return c
        if kind == "repeat" and rank == 2:
            return {"type": "repeat", "n": self.int(1, 5)}
        if kind == "reshape":
            # The example's elements as 1-3 axes of a random factorisation, one of
            # them (sometimes) given as -1.
            total = 1
            for n in shape[1:]:
                total *= n
            dims = []
            left = total
            for _ in range(self.int(0, 2)):
                divs = [f for f in range(2, left) if left % f == 0]
                if not divs:
                    break
                f = self.choice(divs)
                dims.append(f)
                left //= f
            dims.append(left)
            self.r.shuffle(dims)
            if self.coin(0.5):
                dims[self.int(0, len(dims) - 1)] = -1
            return {"type": "reshape", "dims": dims}
        if kind == "permute" and rank in (3, 4):
            dims = list(range(1, rank))
            while dims == sorted(dims):
                self.r.shuffle(dims)
            return {"type": "permute", "dims": dims}
        if kind == "layernorm":
            # Over the last 1 to 3 axes (never the batch), with or without γ and β.
            return {"type": "layernorm", "axes": self.int(1, rank - 1), "eps": self.choice([1e-5, 1e-3, 0.1]),
                    "affine": self.coin(0.7)}
        if kind == "prelu":
            # PyTorch's one α, or one per channel (axis 1) when there is one.
            return {"type": "prelu", "per_channel": rank > 1 and self.coin()}
        if kind in ("adaptive_avg2d", "adaptive_max2d") and rank == 4:
            # Output sizes that divide the input and that do not, up to one above it.
            return {"type": kind, "size": [self.int(1, shape[2] + 1), self.int(1, shape[3] + 1)]}
        if kind in ("rnn", "lstm", "gru") and rank == 3:
            cell = {"rnn": "simple_rnn", "lstm": "lstm", "gru": "gru"}[kind]
            c = {"type": "rnn", "cell": cell, "units": self.int(1, 5 * LARGE), "seq": self.coin(), "bi": self.coin(0.4),
                 "bias": self.coin(0.8)}
            if cell == "simple_rnn":
                c.update(self.act(False, rnn=True))
            if c["bi"]:
                c["merge"] = self.choice(["concat", "sum", "mul", "ave"])
            return c
        return None

    def merge(self, j, x, env):
        """A merge of x with an earlier tensor of env that fits, or None."""
        fits = []
        for name, t in env.items():
            if name in STATES or t.dim() != x.dim() or t is x or not t.is_floating_point():
                continue
            differ = [a for a in range(1, x.dim()) if t.shape[a] != x.shape[a]]
            if not differ:
                fits.append((name, self.choice(["add", "sub", "mul", "concat"]), self.int(1, x.dim() - 1)))
            elif len(differ) == 1:
                fits.append((name, "concat", differ[0]))
        if not fits:
            return None
        name, op, axis = self.choice(fits)
        c = {"type": "merge", "name": "m%d" % j, "op": op, "with": name}
        if op == "concat":
            c["axis"] = axis
        return c

    def input(self, kind):
        if kind == "embedding":
            return "tokens"
        if kind == "repeat":
            return "flat"
        if kind in ("conv2d", "conv2d_t", "maxpool2d", "avgpool2d", "upsample2d", "zeropad2d", "crop2d",
                    "adaptive_avg2d", "adaptive_max2d"):
            return "image"
        if kind in ("conv1d", "conv1d_t", "maxpool1d", "avgpool1d", "upsample1d", "zeropad1d", "crop1d"):
            return "seq"
        if kind in ("rnn", "lstm", "gru"):
            return "rnn"
        if kind in ("flatten", "permute"):
            return self.choice(["image", "seq", "rnn"])
        return self.choice(["image", "seq", "rnn", "flat"])

    def input_shape(self, kind, batch):
        if kind == "image":
            return (batch, self.int(1, 4 * LARGE), self.choice([1, 3, 4, 5, 7, 9, 11] + BIG), self.choice([3, 5, 6, 7, 9, 17] + BIG))
        if kind == "seq":
            return (batch, self.int(1, 4), self.choice([3, 5, 7, 11, 17]))
        if kind == "rnn":
            return (batch, self.choice([1, 3, 5, 7, 17]), self.choice([1, 2, 3, 5]))
        if kind == "tokens":
            return (batch, self.choice([1, 3, 5, 7]))
        return (batch, self.choice([1, 3, 5, 7, 17]))


# Layer kinds drawn after the first, by the rank of the tensor.
FOLLOW = {
    4: ["conv2d", "conv2d_t", "maxpool2d", "avgpool2d", "upsample2d", "zeropad2d", "crop2d", "batchnorm", "act", "dense",
        "reshape", "permute", "adaptive_avg2d", "adaptive_max2d", "prelu", "layernorm"],
    3: ["conv1d", "conv1d_t", "maxpool1d", "avgpool1d", "upsample1d", "zeropad1d", "crop1d", "batchnorm", "act",
        "dense", "rnn", "lstm", "gru", "reshape", "permute", "prelu", "layernorm"],
    2: ["dense", "batchnorm", "act", "repeat", "reshape", "prelu", "layernorm"],
}


def probe(layers, shape, x, env):
    """Builds the layer's module on shape and runs it on x in train mode; returns the
    module and output, or None if torch refuses the configuration."""
    mod = make_module(layers, shape)
    try:
        with torch.no_grad():
            if mod is not None:
                mod.train()
            y = apply(mod, layers, x, env)
    except (RuntimeError, ValueError, IndexError):
        return None
    if min(y.shape) < 1 or y[0].numel() > 600 * LARGE * LARGE:
        return None
    return mod, y


STATES = {}


def draw_model(i, r):
    global STATES
    d = Drawer(r)
    first = KINDS[i % len(KINDS)]
    batch = d.choice([1, 3, 3, 2])
    while True:
        in_kind = d.input(first)
        shape = d.input_shape(in_kind, batch)
        d.vocab = d.int(2, 9) if in_kind == "tokens" else None
        x = torch.randint(0, d.vocab, shape) if d.vocab else torch.randn(*shape)
        model, layers = Net(), []
        n = d.int(1, 5)
        STATES = {}
        env = {"x": x}
        ok = True
        for j in range(n):
            rank = len(x.shape)
            for attempt in range(30):
                kind = first if j == 0 else d.choice(FOLLOW[rank])
                c = d.layer(kind, x.shape)
                if c is None:
                    continue
                c["name"] = "l%d" % j
                if c["type"] == "rnn" and j == 0 and d.coin(0.4):
                    c["init_state"] = True
                    D = 2 if c["bi"] else 1
                    for dir_ in range(D):
                        suf = "_reverse" if dir_ else ""
                        STATES["h0" + suf] = torch.randn(batch, c["units"])
                        if c["cell"] == "lstm":
                            STATES["c0" + suf] = torch.randn(batch, c["units"])
                    env.update(STATES)
                res = probe(c, tuple(x.shape), x, env)
                if res is None:
                    continue
                mod, x = res
                if mod is not None:
                    setattr(model, c["name"], mod)
                layers.append(c)
                env[c["name"]] = x
                break
            else:
                ok = False
                break
            # Now and then a skip connection: the output joined with an earlier
            # tensor of the same shape (add, sub, mul or concat along any non-batch
            # axis), or of a shape that differs on one axis (concat along it).
            if d.coin(0.3):
                m = d.merge(j, x, env)
                if m is not None:
                    x = apply(None, m, x, env)
                    layers.append(m)
                    env[m["name"]] = x
        if ok:
            break
    # The head: reduce an image or sequence (sometimes), then Dense.
    head_in = []
    rank = len(x.shape)
    # The mean over axes that a LayerNorm without γ and β has just normalised is
    # exactly zero: every output would be rounding noise, so no global average then.
    last = layers[-1]
    centred = last["type"] == "layernorm" and not last["affine"] and last["axes"] >= rank - 2
    if rank == 4 and d.coin(0.75):
        head_in = [d.choice([c for c in [{"type": "flatten"}, {"type": "gap2d"}, {"type": "gmp2d"}]
                             if not (centred and c["type"] == "gap2d")])]
    elif rank == 3 and d.coin(0.5):
        head_in = [d.choice([c for c in [{"type": "flatten"}, {"type": "gap1d"}, {"type": "gmp1d"}]
                             if not (centred and c["type"] == "gap1d")])]
    for c in head_in:
        c["name"] = "l%d" % len(layers)
        x = apply(None, c, x, STATES)
        layers.append(c)
    loss = {"type": d.choice(LOSSES)}
    if loss["type"] == "huber":
        loss["delta"] = d.choice([0.3, 0.7, 1.0, 2.0])
    classes = d.int(2, 5) if loss["type"] not in ("mse", "mae", "huber", "bce", "bce_logits") else d.int(1, 4)
    head = {"type": "head", "name": "head", "units": classes, "bias": d.coin(0.85)}
    if loss["type"] in HEAD_ACT:
        head["act"] = HEAD_ACT[loss["type"]]
    else:
        head.update(d.act(True))
    if loss["type"] in ("sce_logits", "nll") and d.coin(0.3):
        loss["ignore"] = -1
    setattr(model, "head", make_module(head, tuple(x.shape)))
    out_shape = tuple(x.shape[:-1]) + (classes,)
    # Inputs and parameters at larger scales now and then, so that activations
    # saturate and the losses' clamps and thresholds are reached.
    cfg = {"input": list(shape[1:]), "batch": batch, "layers": layers, "head": head, "loss": loss,
           "scale": d.choice([1, 1, 4, 20, 60]), "param_scale": d.choice([1, 1, 3])}
    if d.vocab:
        cfg["vocab"] = d.vocab  # x holds token ids in [0, vocab)
    return model, cfg, out_shape


def inputs_of(cfg, out_shape, d):
    batch = cfg["batch"]
    if "vocab" in cfg:
        ins = {"x": torch.randint(0, cfg["vocab"], (batch, *cfg["input"]))}
    else:
        ins = {"x": randn(batch, *cfg["input"], scale=cfg["scale"])}
    for k in sorted(STATES):
        ins[k] = randn(*STATES[k].shape, scale=0.5)
    kind = cfg["loss"]["type"]
    if kind in ("mse", "mae", "huber"):
        ins["target"] = randn(*out_shape)
    elif kind in ("bce", "bce_logits"):
        ins["target"] = rand(*out_shape)
    elif kind in ("cce", "cce_logits"):
        ins["target"] = rnd(F.softmax(2 * torch.randn(*out_shape), -1))
    else:
        labels = torch.randint(0, out_shape[-1], out_shape[:-1])
        if cfg["loss"].get("ignore") is not None:
            flat = labels.view(-1)
            # Ignore every third row but never all of them (0/0 is PyTorch's NaN).
            for j in range(1, flat.numel(), 3):
                flat[j] = -1
        ins["labels"] = labels
    return ins


def describe(cfg):
    parts = []
    for c in cfg["layers"]:
        t = c["type"]
        if t == "rnn":
            t = ("bi" if c["bi"] else "") + c["cell"]
        parts.append(t)
    return "_".join(parts + [cfg["loss"]["type"]])


def features(cfg):
    """What a model exercises, for choosing the models whose generated code is tested:
    each layer's kind with its padding form, strides, dilation, output padding or
    interpolation (a recurrent layer's cell, direction, sequences, initial state),
    the head's activation and the loss."""
    out = set()
    for c in cfg["layers"]:
        t = c["type"]
        if t == "rnn":
            out.add(" ".join([c["cell"], "bi" if c["bi"] else "uni", "seq" if c["seq"] else "last"]))
            out.add(c["cell"] + (" init" if c.get("init_state") else ""))
            continue
        out.add(t)
        if "padding" in c:
            out.add(t + " " + c["padding"] + (str(len(c["pads"])) if c["padding"] == "pads" else ""))
        if c.get("groups", 1) > 1:
            out.add(t + " groups")
        if t == "permute":
            out.add(t + " " + "".join(map(str, c["dims"])))
        if t == "prelu":
            out.add(t + (" per channel" if c["per_channel"] else " one"))
        if t == "layernorm":
            out.add("%s over %d axes%s" % (t, c["axes"], "" if c["affine"] else " no affine"))
        for opt in ("strides", "dilation", "outpad"):
            if max(c.get(opt, [0])) > 1 or (opt == "outpad" and max(c.get(opt, [0])) > 0):
                out.add(t + " " + opt)
        if t == "upsample2d":
            out.add(t + (" bilinear" if c["bilinear"] else " nearest"))
        if "act" in c:
            out.add("act " + c["act"])
    out.add("act " + cfg["head"].get("act", "linear"))
    out.add("loss " + cfg["loss"]["type"] + (" ignore" if "ignore" in cfg["loss"] else ""))
    return out


def float32_error(model, rec, ins, cfg):
    """The largest disagreement of the model run in float32 with its float64 record,
    each value relative to max(|its float64 value|, min(1, its tensor's largest)),
    gradients also to 1e-2 of the largest gradient (as CheckGenerated holds generated
    code). Generated code computes in float32: a model that float32 itself cannot
    follow (a sigmoid that rounds to exactly 1 before BCE, a relu that float32 rounding
    flips) says nothing about the code generator."""
    m32 = copy.deepcopy(model).float()
    m32.load_state_dict({k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"])
                         for k, v in rec["params"].items()}, strict=False)
    ins32 = {k: v.float() if v.is_floating_point() else v for k, v in ins.items()}
    run = forward(cfg)
    m32.eval()
    with torch.no_grad():
        eval_out, eval_loss = run(m32, ins32)
    m32.train()
    _, loss = run(m32, ins32)
    loss.backward()
    largest = max((max(abs(g) for g in v) for v in rec["grads"].values()), default=0.0)

    def err(want, got, floor=0.0):
        got = [float(g) for g in got]
        scale = max(min(1.0, max(abs(w) for w in want)), floor)
        return max(0.0 if g == w else abs(g - w) / max(abs(w), scale) if max(abs(w), scale) > 0 else math.inf
                   for w, g in zip(want, got))
    worst = err(rec["eval_outputs"]["y"], eval_out["y"].detach().reshape(-1).tolist())
    worst = max(worst, err([rec["eval_loss"]], [eval_loss.item()]), err([rec["loss"]], [loss.item()]))
    for k, p in m32.named_parameters():
        worst = max(worst, err(rec["grads"][k], p.grad.reshape(-1).tolist(), 1e-2 * largest))
    return worst


def choose_generated(records, most):
    """Greedily, up to most models that between them show every feature of all the
    models, preferring small models (each is a package to compile); only models
    that float32 follows to 1e-5 (float32_error) are candidates."""
    records = [r for r in records if r["float32_error"] <= 1e-5]
    left = set().union(*(features(r["config"]) for r in records))
    chosen = []
    while left and len(chosen) < most:
        best = max(records, key=lambda r: (len(features(r["config"]) & left), -len(r["config"]["layers"])))
        gain = features(best["config"]) & left
        if not gain:
            break
        chosen.append(best["name"])
        left -= gain
    assert not left, "features no generated model shows: %s" % sorted(left)
    return sorted(chosen)


GENERATED = 40  # at most this many models' generated code is tested


def main():
    torch.manual_seed(SEED)
    torch.set_default_dtype(torch.float64)
    r = random.Random(SEED)
    out = []
    for i in range(MODELS):
        model, cfg, out_shape = draw_model(i, r)
        name = "r%03d_%s" % (i, describe(cfg))
        ins = inputs_of(cfg, out_shape, None)
        rec = goldenlib.record(name, model, ins, forward(cfg),
                               randomize=lambda m: goldenlib.randomize(m, cfg["param_scale"]))
        # A relu or a max can tie; goldens should not depend on how a framework
        # breaks ties in rounding, but exact ties (padding zeros) are kept: dlgen
        # claims PyTorch's rule for them.
        for k, v in rec["grads"].items():
            assert all(math.isfinite(g) for g in v), (name, k)
        assert math.isfinite(rec["loss"]), name
        rec["config"] = cfg
        # Capped at 1 and to two digits: JSON has no inf, and float32 runs of a badly
        # conditioned model differ from run to run in the digits that do not matter.
        rec["float32_error"] = float("%.2g" % min(float32_error(model, rec, ins, cfg), 1.0))
        out.append(rec)
    json.dump({"torch": torch.__version__, "seed": SEED, "generated": choose_generated(out, GENERATED), "models": out},
              sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
