#!/usr/bin/python3
"""Golden values for dlgen's element-wise, activation, channel, shape and loss kernels,
for bilinear upsampling, Repeat (RepeatVector), zero padding and cropping, layer
normalisation, Transpose (Permute), ReluMax (ReLU6) and the parametric ReLU (PReLU).

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/ops_golden.py > testdata/torch/ops_golden.json

Every case is one dlgen op applied to the stored inputs: `attrs` uses the JSON names of
ir.Attrs, `batched` marks inputs whose leading dimension is the batch, and `dtype`
"int" marks class labels and embedding ids (stored as floats holding integers). All
arithmetic is in float64. The gradient-only ops (SigmoidGrad, SoftmaxGrad, SliceGrad, LossGrad, ...)
are compared with torch.autograd.grad of the forward op.

Keras' categorical_crossentropy has no PyTorch counterpart, so it is written out from
the Keras source (normalise, clip to [1e-7, 1-1e-7], -sum t*log p) in torch ops, as
is its sparse_categorical_crossentropy on probabilities (the same, at the label's
entry). A case with "graph" is several nodes (see graph_case).
"""

import json
import math
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20240602)
DT = torch.float64

cases = []


def t(values):
    return torch.tensor(values, dtype=DT)


def randn(*shape):
    """Normal samples rounded to 3 decimals, which keeps the stored inputs short."""
    return torch.round(torch.randn(*shape, dtype=DT) * 1000) / 1000


def uniform(lo, hi, *shape):
    return torch.round((lo + (hi - lo) * torch.rand(*shape, dtype=DT)) * 1000) / 1000


def inp(x, batched=True, dtype=None):
    d = {"shape": list(x.shape), "batched": batched, "data": x.detach().reshape(-1).tolist()}
    if dtype:
        d["dtype"] = dtype
    return d


def case(name, op, attrs, inputs, want, batch=None):
    """batch, for an op whose inputs have no batch dimension but whose output has,
    is the batch size the Go test must run with."""
    want = want.detach()
    c = {
        "name": name, "op": op, "attrs": attrs, "inputs": inputs,
        "want": {"shape": list(want.shape), "data": want.reshape(-1).tolist()},
    }
    if batch:
        c["batch"] = batch
    cases.append(c)


def grad_of(f, x, dy):
    """dL/dx for L = sum(f(x)·dy), i.e. the vector-Jacobian product dyᵀ·∂f/∂x."""
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, dy)
    return g


# ---- element-wise ----
a, b = randn(2, 3), randn(2, 3)
bpos = uniform(0.5, 2.0, 2, 3) * torch.sign(randn(2, 3))  # |b| ≥ 0.5: away from zero
case("identity copies its input", "Identity", {}, [inp(a)], a.clone())
case("add", "Add", {}, [inp(a), inp(b)], a + b)
case("sub", "Sub", {}, [inp(a), inp(b)], a - b)
case("mul", "Mul", {}, [inp(a), inp(b)], a * b)
case("div", "Div", {}, [inp(a), inp(bpos)], a / bpos)
case("scale by a negative constant", "Scale", {"alpha": -2.5}, [inp(a)], -2.5 * a)
case("add a scalar", "AddScalar", {"alpha": 0.75}, [inp(a)], a + 0.75)
case("exp", "Exp", {}, [inp(a)], torch.exp(a))
xpos = uniform(0.05, 3.0, 2, 3)
case("log of positive values", "Log", {}, [inp(xpos)], torch.log(xpos))
case("square", "Square", {}, [inp(a)], a * a)
case("rsqrt of positive values", "Rsqrt", {}, [inp(xpos)], torch.rsqrt(xpos))
case("unbatched add of parameter-like vectors", "Add", {}, [inp(a[0], False), inp(b[0], False)], a[0] + b[0])

# ---- activations ----
xs = t([[-800.0, -40.0, -2.0, -0.5, 0.0], [0.5, 2.0, 40.0, 800.0, 1e-3]])
case("sigmoid, saturating without overflow at ±800", "Sigmoid", {}, [inp(xs)], torch.sigmoid(xs))
case("tanh", "Tanh", {}, [inp(xs)], torch.tanh(xs))
case("relu is zero at and below zero", "Relu", {}, [inp(xs)], torch.relu(xs))
case("leaky relu with slope 0.2", "LeakyRelu", {"alpha": 0.2}, [inp(xs)], F.leaky_relu(xs, 0.2))
x23 = randn(2, 4)
case("softmax over the last axis", "Softmax", {}, [inp(x23)], torch.softmax(x23, -1))
big = t([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0], [-1e4, -1e4 + 1, -1e4 + 2]])
case("softmax of large logits does not overflow", "Softmax", {}, [inp(big)], torch.softmax(big, -1))
x3 = randn(2, 2, 3)
case("softmax of a rank-3 tensor normalises each last-axis row", "Softmax", {}, [inp(x3)], torch.softmax(x3, -1))

dy = randn(*xs.shape)
y = torch.sigmoid(xs)
case("sigmoid gradient from the output", "SigmoidGrad", {}, [inp(y), inp(dy)], grad_of(torch.sigmoid, xs, dy))
y = torch.tanh(xs)
case("tanh gradient from the output", "TanhGrad", {}, [inp(y), inp(dy)], grad_of(torch.tanh, xs, dy))
xr = t([[-2.0, -0.5, 0.0, 0.5, 2.0], [3.0, -3.0, 1e-3, -1e-3, 0.0]])
case("relu gradient, zero at zero", "ReluGrad", {}, [inp(xr), inp(dy)], grad_of(torch.relu, xr, dy))
case("leaky relu gradient", "LeakyReluGrad", {"alpha": 0.2}, [inp(xr), inp(dy)],
     grad_of(lambda v: F.leaky_relu(v, 0.2), xr, dy))
dys = randn(2, 4)
case("softmax gradient from the output", "SoftmaxGrad", {}, [inp(torch.softmax(x23, -1)), inp(dys)],
     grad_of(lambda v: torch.softmax(v, -1), x23, dys))

# ---- shape ops ----
x = randn(2, 2, 3)
case("reshape keeps the batch and row-major order", "Reshape", {"shape": [3, 2]}, [inp(x)], x.reshape(2, 3, 2))
x4 = randn(2, 2, 2, 3)
case("flatten is a reshape to one axis", "Reshape", {"shape": [12]}, [inp(x4)], x4.reshape(2, 12))
p, q, r = randn(2, 2, 3), randn(2, 1, 3), randn(2, 3, 3)
case("concat along axis 1 (channels)", "Concat", {"axis": 1}, [inp(p), inp(q), inp(r)], torch.cat([p, q, r], 1))
p2, q2 = randn(2, 2, 3), randn(2, 2, 1)
case("concat along axis 2", "Concat", {"axis": 2}, [inp(p2), inp(q2)], torch.cat([p2, q2], 2))
u, v = randn(2, 3), randn(1, 3)
case("concat of unbatched tensors along axis 0", "Concat", {"axis": 0}, [inp(u, False), inp(v, False)], torch.cat([u, v], 0))
x = randn(2, 4, 3)
case("slice [1:3] along axis 1", "Slice", {"axis": 1, "start": 1, "end": 3}, [inp(x)], x[:, 1:3, :])
case("slice [0:2] along the last axis", "Slice", {"axis": 2, "start": 0, "end": 2}, [inp(x)], x[:, :, 0:2])
dsl = randn(2, 2, 3)
case("slice gradient places dy and zero-fills", "SliceGrad", {"shape": [-1, 4, 3], "axis": 1, "start": 1},
     [inp(dsl)], grad_of(lambda v: v[:, 1:3, :], x, dsl))

# ---- per-channel ops ----
x = randn(2, 3, 2, 2)
bias = randn(3)
case("bias add on NCHW", "BiasAdd", {}, [inp(x), inp(bias, False)], x + bias.view(1, 3, 1, 1))
xd = randn(2, 3)
case("bias add on (N, C)", "BiasAdd", {}, [inp(xd), inp(bias, False)], xd + bias)
case("channel mul on NCHW", "ChannelMul", {}, [inp(x), inp(bias, False)], x * bias.view(1, 3, 1, 1))
case("channel sum over batch and space", "ChannelSum", {}, [inp(x)], x.sum(dim=(0, 2, 3)))
case("channel mean over batch and space", "ChannelMean", {}, [inp(x)], x.mean(dim=(0, 2, 3)))
case("channel mean on (N, C)", "ChannelMean", {}, [inp(xd)], xd.mean(dim=0))
case("channel broadcast", "ChannelBroadcast", {"shape": [-1, 3, 2, 2]}, [inp(bias, False)],
     bias.view(1, 3, 1, 1).expand(2, 3, 2, 2), batch=2)
case("channel broadcast with mean divides by N·H·W", "ChannelBroadcast", {"shape": [-1, 3, 2, 2], "mean": True},
     [inp(bias, False)], bias.view(1, 3, 1, 1).expand(2, 3, 2, 2) / 8, batch=2)
state, stat = uniform(0.5, 1.5, 3), uniform(0.5, 1.5, 3)
case("running update, PyTorch momentum 0.1", "RunningUpdate", {"momentum": 0.1},
     [inp(state, False), inp(stat, False), inp(x)], 0.9 * state + 0.1 * stat)
case("running update of a variance applies Bessel's correction m/(m-1)", "RunningUpdate",
     {"momentum": 0.1, "unbiased": True}, [inp(state, False), inp(stat, False), inp(x)],
     0.9 * state + 0.1 * stat * 8 / 7)

# ---- losses ----
dloss = t(0.7)  # the scalar that LossGrad multiplies by


def loss_cases(name, op, attrs, pred, target, f, grad=True, target_dtype=None):
    case(name, op, attrs, [inp(pred), inp(target, dtype=target_dtype)], f(pred, target))
    if grad:
        case(name + ": gradient", "LossGrad", dict(attrs, sub=op), [inp(pred), inp(target, dtype=target_dtype), inp(dloss, False)],
             grad_of(lambda v: f(v, target), pred, dloss))


pr, tg = randn(3, 4), randn(3, 4)
tg[0, 0] = pr[0, 0]  # a tie: MAE's subgradient there is 0, as torch.sign gives
loss_cases("mse", "MSELoss", {}, pr, tg, F.mse_loss)
loss_cases("mae, with one element where p = t", "MAELoss", {}, pr, tg, F.l1_loss)
hp = t([[0.3, -0.5, 1.5, -2.5], [0.99, 3.0, -1.01, 0.0]])
ht = t([[0.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.0, 0.2]])
loss_cases("huber with delta 1 on both sides of delta", "HuberLoss", {"alpha": 1.0}, hp, ht,
           lambda p, q: F.huber_loss(p, q, delta=1.0))
loss_cases("huber with delta 0.5", "HuberLoss", {"alpha": 0.5}, hp, ht, lambda p, q: F.huber_loss(p, q, delta=0.5))

bp = t([[0.0, 1.0, 0.0, 1.0], [0.2, 0.7, 0.5, 1e-50]])
bt = t([[0.0, 1.0, 1.0, 0.0], [0.3, 1.0, 0.0, 1.0]])
# p = 0 and 1 hit PyTorch's -100 log clamp. PyTorch's backward divides p - t by
# max(p(1-p), 1e-12) (a float EPSILON) rather than differentiating the clamp, and so
# does dlgen's: ±1e12 for a wrong certainty, 0 for a right one.
loss_cases("bce with p = 0 and 1 clamps each log at -100", "BCELoss", {}, bp, bt, F.binary_cross_entropy)
# Near saturation, p(1-p) < 1e-12 without any clamped log: the gradient is (p-t)/1e-12.
bps = t([[1e-13, 1 - 1e-13, 3e-12, 1 - 2e-12], [1e-20, 0.5, 1 - 1e-15, 0.999]])
bts = t([[1.0, 0.0, 0.5, 0.0], [1.0, 0.5, 1.0, 0.0]])
loss_cases("bce near saturation divides by max(p(1-p), 1e-12)", "BCELoss", {}, bps, bts, F.binary_cross_entropy)
bpi, bti = uniform(0.05, 0.95, 3, 4), uniform(0.0, 1.0, 3, 4)
bti[0] = torch.round(bti[0])
loss_cases("bce with interior probabilities and soft targets", "BCELoss", {}, bpi, bti, F.binary_cross_entropy)
zl = t([[-800.0, -30.0, -1.0, 0.0], [0.5, 2.0, 30.0, 800.0]])
zt = t([[0.0, 1.0, 0.3, 1.0], [0.0, 1.0, 0.0, 1.0]])
loss_cases("bce with logits, large |z| without overflow", "BCEWithLogitsLoss", {}, zl, zt,
           F.binary_cross_entropy_with_logits)

z = randn(3, 4) * 3
z[2] = t([1000.0, -1000.0, 999.0, 0.0])
onehot = F.one_hot(torch.tensor([2, 0, 1]), 4).to(DT)
loss_cases("softmax cross-entropy with one-hot targets and large logits", "SoftmaxCELoss", {}, z, onehot, F.cross_entropy)
soft = torch.softmax(randn(3, 4), -1)
loss_cases("softmax cross-entropy with soft labels", "SoftmaxCELoss", {}, z, soft, F.cross_entropy)
z3, s3 = randn(2, 3, 4), torch.softmax(randn(2, 3, 4), -1)
# A (N, T, C) prediction: every last-axis row is a distribution and the mean runs over
# all N·T of them, as PyTorch's cross_entropy does on (N, C, T) and Keras on (N, T, C).
loss_cases("softmax cross-entropy averages over every row of a rank-3 prediction", "SoftmaxCELoss", {}, z3, s3,
           lambda p, q: F.cross_entropy(p.permute(0, 2, 1), q.permute(0, 2, 1)))
labels = torch.tensor([2, 0, 3])
loss_cases("sparse softmax cross-entropy", "SparseSoftmaxCELoss", {}, z, labels.to(DT),
           lambda p, q: F.cross_entropy(p, q.long()), target_dtype="int")


def keras_cce(p, q):
    p = p / p.sum(-1, keepdim=True)
    p = torch.clamp(p, 1e-7, 1 - 1e-7)
    return (-(q * torch.log(p)).sum(-1)).mean()


cp = t([[0.2, 0.3, 0.5], [0.0, 0.4, 0.6], [2.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
ct = t([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
loss_cases("categorical cross-entropy normalises and clips to [1e-7, 1-1e-7]", "CategoricalCELoss", {}, cp, ct, keras_cce)

# ---- dense on the last axis: torch.nn.functional.linear on (N, T, F) and (N, A, B, F) ----
# Dense lowers to MatMul(x, W, trans_b) of the stacked rows and BiasAddLast; its
# backward pass is MatMul(dy, W) for dx, MatMul(dy, x, trans_a) for dW (contracting
# the batch and every other leading axis) and BiasAddLastGrad(dy) for db. Each is
# compared with the forward value or the autograd gradient of F.linear.
for label, shape in [("(N, T, F)", (3, 4, 5)), ("(N, A, B, F)", (2, 3, 2, 5))]:
    xl, wl, bl = randn(*shape), randn(6, 5), randn(6)
    dyl = randn(*shape[:-1], 6)
    xg, wg, bg = (v.clone().requires_grad_(True) for v in (xl, wl, bl))
    gx, gw, gb = torch.autograd.grad(F.linear(xg, wg, bg), (xg, wg, bg), dyl)
    case("linear on " + label + ": x·Wᵀ of the stacked rows", "MatMul", {"trans_b": True},
         [inp(xl), inp(wl, False)], F.linear(xl, wl))
    case("linear on " + label + ": x·W, a stack times a plain matrix", "MatMul", {},
         [inp(xl), inp(wl.T.contiguous(), False)], xl @ wl.T)
    case("linear on " + label + ": the bias along the last axis", "BiasAddLast", {},
         [inp(F.linear(xl, wl)), inp(bl, False)], F.linear(xl, wl, bl))
    case("linear on " + label + ": dx = dy·W", "MatMul", {}, [inp(dyl), inp(wl, False)], gx)
    case("linear on " + label + ": dW = dyᵀ·x over every leading axis", "MatMul", {"trans_a": True},
         [inp(dyl), inp(xl)], gw)
    case("linear on " + label + ": dWᵀ = xᵀ·dy over every leading axis", "MatMul", {"trans_a": True},
         [inp(xl), inp(dyl)], gw.T)
    case("linear on " + label + ": db = dy summed over every axis but the last", "BiasAddLastGrad", {},
         [inp(dyl)], gb)

# ---- sparse categorical cross-entropy: labels of any rank, logits or probabilities ----
# Labels hold one class per row of the prediction's last axis: (N) for (N, C), (N, T)
# for (N, T, C). From logits it is one op, SparseSoftmaxCELoss, compared with PyTorch's
# F.cross_entropy on the prediction with its class axis moved to 1, (N, C, T). On
# probabilities nn builds OneHot(labels) and Keras' CategoricalCELoss against it; the
# reference is Keras' sparse_categorical_crossentropy written from its formula
# (renormalise each row, clip to [1e-7, 1-1e-7], -log of the label's entry, mean
# over every row) with torch.gather, not with a one-hot product. Those cases are
# graphs: "graph" lists the nodes, each reading the case's inputs (0, 1, ...) and the
# earlier nodes (numbered after the inputs); the last node is the result.


def graph_case(name, nodes, inputs, want):
    want = want.detach()
    cases.append({
        "name": name, "op": nodes[-1]["op"], "attrs": nodes[-1].get("attrs", {}), "graph": nodes, "inputs": inputs,
        "want": {"shape": list(want.shape), "data": want.reshape(-1).tolist()},
    })


def keras_scce(p, labels):
    q = p / p.sum(-1, keepdim=True)
    q = torch.clamp(q, 1e-7, 1 - 1e-7)
    return -torch.log(torch.gather(q, -1, labels.unsqueeze(-1))).mean()


def scce_probs_cases(name, p, labels):
    """The forward graph OneHot → CategoricalCELoss and its gradient with respect to p."""
    shape = [-1] + list(p.shape[1:])
    onehot = {"op": "OneHot", "attrs": {"shape": shape}, "inputs": [1]}
    ins = [inp(p), inp(labels.to(DT), dtype="int")]
    # SCCE on probabilities is CCE on the same probabilities against one-hot targets.
    assert torch.allclose(keras_scce(p, labels), keras_cce(p, F.one_hot(labels, p.shape[-1]).to(DT)), rtol=1e-15, atol=0)
    graph_case(name, [onehot, {"op": "CategoricalCELoss", "inputs": [0, 2]}], ins, keras_scce(p, labels))
    graph_case(name + ": gradient", [onehot, {"op": "LossGrad", "attrs": {"sub": "CategoricalCELoss"}, "inputs": [0, 3, 2]}],
               ins + [inp(dloss, False)], grad_of(lambda v: keras_scce(v, labels), p, dloss))


tags = torch.tensor([[2, 0, 3], [1, 1, 0]])
case("one-hot of (N, T) labels", "OneHot", {"shape": [-1, 3, 4]}, [inp(tags.to(DT), dtype="int")],
     F.one_hot(tags, 4).to(DT))
zt = randn(2, 3, 4) * 3
loss_cases("sparse softmax cross-entropy over (N, T, C) logits and (N, T) labels, as cross_entropy on (N, C, T)",
           "SparseSoftmaxCELoss", {}, zt, tags.to(DT), lambda p, q: F.cross_entropy(p.permute(0, 2, 1), q.long()),
           target_dtype="int")
zg, grid = randn(2, 2, 3, 5), torch.tensor([[[4, 0, 1], [2, 2, 3]], [[0, 1, 4], [3, 0, 0]]])
loss_cases("sparse softmax cross-entropy over (N, A, B, C) logits, as cross_entropy on (N, C, A, B)",
           "SparseSoftmaxCELoss", {}, zg, grid.to(DT), lambda p, q: F.cross_entropy(p.permute(0, 3, 1, 2), q.long()),
           target_dtype="int")
# Rows: a distribution; the label's probability 0 (clipped up to 1e-7, no gradient);
# rows summing to 4 and to 0.6 (renormalised); the label's probability 1 (clipped down
# to 1-1e-7, no gradient, the row's other entries clipped up); a label's probability
# just above the clip (2e-7, kept, a large gradient); one below it (3e-8).
sp = t([[0.2, 0.3, 0.5], [0.0, 0.4, 0.6], [2.0, 1.0, 1.0], [0.1, 0.2, 0.3], [1.0, 0.0, 0.0],
        [2e-7, 0.4, 0.6], [3e-8, 0.5, 0.5]])
scce_probs_cases("sparse categorical cross-entropy on probabilities (Keras): renormalised, clipped, at the label",
                 sp, torch.tensor([2, 0, 0, 1, 0, 0, 0]))
sp3 = torch.softmax(randn(2, 3, 4), -1)
sp3[0, 1] = t([0.0, 1.0, 0.5, 0.5])  # sums to 2; the label's entry is 0
sp3[1, 2] = t([0.05, 0.05, 0.05, 0.05])  # sums to 0.2
scce_probs_cases("sparse categorical cross-entropy on (N, T, C) probabilities and (N, T) labels", sp3, tags)
# ---- smooth activations: ELU, SELU, softplus, GELU (exact and tanh), SiLU ----
# Values at and around 0 (-0 included: ELU's and SELU's x ≤ 0 branch holds there, and
# so their derivatives there are alpha and scale·alpha), on both sides of softplus'
# threshold of 20, and far out, where no kernel may overflow or give NaN. Each
# gradient-only op takes (x, dy) and is compared with autograd's gradient of the
# forward op.
xa = t([[-800.0, -100.0, -20.0, -8.0, -2.0, -0.75, -1e-3, -0.0],
        [0.0, 1e-3, 0.5, 2.0, 19.999, 20.0, 20.001, 800.0]])
xb = t([[-40.0, -10.0, -5.0, -1.0, -1e-6, 1e-6, 1.0, 3.0],
        [5.0, 10.0, 30.0, 100.0, -30.0, -3.0, -0.25, 0.25]])
dya = uniform(-2.0, 2.0, 2, 8)
smooth = [
    ("elu with alpha 1", "Elu", {"alpha": 1.0}, F.elu),
    ("elu with alpha 0.5", "Elu", {"alpha": 0.5}, lambda v: F.elu(v, 0.5)),
    ("elu with a negative alpha", "Elu", {"alpha": -0.3}, lambda v: F.elu(v, -0.3)),
    ("selu", "Selu", {}, F.selu),
    ("softplus with PyTorch's threshold 20", "Softplus", {}, F.softplus),
    ("exact gelu", "Gelu", {}, F.gelu),
    ("gelu, tanh approximation", "Gelu", {"sub": "tanh"}, lambda v: F.gelu(v, approximate="tanh")),
    ("silu (swish)", "Silu", {}, F.silu),
]
for name, op, attrs, f in smooth:
    for label, xv in [("", xa), (", more points", xb)]:
        case(name + label, op, attrs, [inp(xv)], f(xv))
        case(name + " gradient" + label, op + "Grad", attrs, [inp(xv), inp(dya)], grad_of(f, xv, dya))

# ---- embedding: F.embedding and its weight gradient ----
# Ids of rank 1, 2 and 3 (as (N), (N, T), (N, A, B) inputs) that repeat, within an item
# and across items (their rows of dy add up in the gradient), that select the first
# and the last row, and that leave rows unselected (gradient 0). With padding_idx the
# forward still reads that row (here not zero), and the gradient leaves it 0.
# EmbeddingGrad takes (ids, dy) and the weight's shape, and is compared with
# autograd's gradient of F.embedding with respect to the weight.
def embedding_cases(name, ids, vocab, dim, pad=None):
    w = randn(vocab, dim)
    dye = randn(*ids.shape, dim)
    attrs = {} if pad is None else {"extra": [pad]}
    f = lambda v: F.embedding(ids, v, padding_idx=pad)
    ids_in = inp(ids.to(DT), dtype="int")
    case("embedding " + name, "Embedding", attrs, [ids_in, inp(w, False)], f(w))
    case("embedding " + name + ": weight gradient", "EmbeddingGrad", dict(attrs, shape=[vocab, dim]),
         [ids_in, inp(dye)], grad_of(f, w, dye))


embedding_cases("of one id per item (N), repeated, rows 0 and V-1", torch.tensor([4, 0, 4, 2, 4]), 5, 3)
embedding_cases("of (N, T) ids, repeated within and across items", torch.tensor([[0, 3, 3, 6], [6, 1, 3, 0], [2, 3, 6, 6]]), 7, 4)
embedding_cases("of (N, A, B) ids, repeated", torch.tensor([[[1, 0], [3, 1]], [[0, 0], [2, 3]]]), 4, 2)
embedding_cases("with padding_idx 0: its rows get no gradient", torch.tensor([[0, 2, 5, 0], [5, 0, 2, 1]]), 6, 3, pad=0)
embedding_cases("with padding_idx V-1", torch.tensor([[4, 1, 4], [0, 4, 1]]), 5, 2, pad=4)
# ---- bilinear upsampling: UpSampleBilinear2D and its gradient ----
# F.interpolate(mode="bilinear", align_corners=False) by integer factors at odd sizes:
# a 1×1 input (every output reads its one pixel), 3×5 and 7×4, by (2, 2), by (3, 2)
# (an odd factor, whose middle phase reads one row) and by (1, 4) (one axis kept);
# 3×5 also by (5, 3). The gradient-only op takes dy and is compared with autograd.
#
# TensorFlow's ResizeBilinear with half_pixel_centers=True (what Keras' UpSampling2D
# with interpolation="bilinear" runs in TF 2) is written out below from its kernel,
# and must give the same values: it does not clamp the source coordinate at 0, but
# both of its taps are then input 0 (floor and ceil clamped to [0, n-1]), so the
# output is that input either way; elsewhere its taps and weights are PyTorch's,
# combined as lerps (a + (b - a)·t) instead of weighted sums, which differs only in
# rounding. Its gradient (ResizeBilinearGrad) spreads dy with the same weights.


def tf_taps(o, s, n):
    src = (o + 0.5) * (n / (n * s)) - 0.5  # HalfPixelScaler, scale = in/out
    lo, hi = max(math.floor(src), 0), min(math.ceil(src), n - 1)
    return lo, hi, src - math.floor(src)


def tf_resize_bilinear(x, sh, sw):
    n, c, h, w = x.shape
    y = torch.zeros(n, c, h * sh, w * sw, dtype=DT)
    for oh in range(h * sh):
        t, b, ly = tf_taps(oh, sh, h)
        for ow in range(w * sw):
            lft, rgt, lx = tf_taps(ow, sw, w)
            top = x[:, :, t, lft] + (x[:, :, t, rgt] - x[:, :, t, lft]) * lx
            bottom = x[:, :, b, lft] + (x[:, :, b, rgt] - x[:, :, b, lft]) * lx
            y[:, :, oh, ow] = top + (bottom - top) * ly
    return y


def tf_resize_bilinear_grad(dy, h, w, sh, sw):
    n, c = dy.shape[:2]
    dx = torch.zeros(n, c, h, w, dtype=DT)
    for oh in range(h * sh):
        t, b, ly = tf_taps(oh, sh, h)
        for ow in range(w * sw):
            lft, rgt, lx = tf_taps(ow, sw, w)
            g = dy[:, :, oh, ow]
            dx[:, :, t, lft] += g * (1 - ly) * (1 - lx)
            dx[:, :, t, rgt] += g * (1 - ly) * lx
            dx[:, :, b, lft] += g * ly * (1 - lx)
            dx[:, :, b, rgt] += g * ly * lx
    return dx


for (h, w), (sh, sw) in [(hw, s) for hw in [(1, 1), (3, 5), (7, 4)] for s in [(2, 2), (3, 2), (1, 4)]] + [((3, 5), (5, 3))]:
    xu, dyu = randn(2, 2, h, w), randn(2, 2, h * sh, w * sw)
    up = lambda v: F.interpolate(v, scale_factor=(sh, sw), mode="bilinear", align_corners=False)
    y = up(xu)
    assert torch.allclose(y, tf_resize_bilinear(xu, sh, sw), rtol=0, atol=1e-12)
    dxu = grad_of(up, xu, dyu)
    assert torch.allclose(dxu, tf_resize_bilinear_grad(dyu, h, w, sh, sw), rtol=0, atol=1e-12)
    name = f"bilinear upsampling of {h}×{w} by ({sh}, {sw})"
    case(name, "UpSampleBilinear2D", {"scale": [sh, sw]}, [inp(xu)], y)
    case(name + ": gradient", "UpSampleBilinear2DGrad", {"scale": [sh, sw]}, [inp(dyu)], dxu)

# ---- Repeat (Keras' RepeatVector) and its gradient RepeatGrad ----
# RepeatVector(n) on (N, F) is x.unsqueeze(1).repeat(1, n, 1) in PyTorch (expand gives
# the same values); the other cases insert the new axis elsewhere, and one copy is the
# input with an axis of 1. The gradient-only op takes dy and is compared with
# autograd's gradient of the repeat: the sum over the new axis.
for shape, axis, n in [((3, 4), 1, 5), ((2, 3), 1, 1), ((2, 3, 4), 2, 3), ((2, 3, 2), 3, 2)]:
    xr = randn(*shape)
    reps = [1] * (len(shape) + 1)
    reps[axis] = n
    rep = lambda v: v.unsqueeze(axis).repeat(*reps)
    y = rep(xr)
    assert torch.equal(y, xr.unsqueeze(axis).expand(*y.shape))
    dyr = randn(*y.shape)
    name = f"repeat of {'×'.join(map(str, shape[1:]))} {n} times along a new axis {axis}"
    case(name, "Repeat", {"axis": axis, "repeats": n}, [inp(xr)], y)
    case(name + ": gradient", "RepeatGrad", {"axis": axis}, [inp(dyr)], grad_of(rep, xr, dyr))

# ---- dilated convolutions: Conv2D, Conv2DTranspose, Conv2DFilterGrad with dilations ----
# Forward against F.conv2d / F.conv_transpose2d (and conv1d / conv_transpose1d for
# the 1-D layers' (N, C, 1, L) views), the input and weight gradients against
# autograd: a Conv2D's input gradient is a Conv2DTranspose of dy with the same
# strides, pads and dilations (and the out_pad that restores x's size), its weight
# gradient Conv2DFilterGrad(x, dy); a Conv2DTranspose's input gradient is Conv2D(dy,
# w), its weight gradient Conv2DFilterGrad(dy, x). Asymmetric pads {top, left,
# bottom, right} are F.pad before the convolution, and a crop of the full result
# after a transposed one. Keras' same pads are computed from the dilated span
# (k-1)·d+1 as TensorFlow does, and at stride 1 checked against PyTorch's
# padding="same", which must agree.


def span(k, d):
    return (k - 1) * d + 1


def same_pads(n, k, s):
    out = (n + s - 1) // s
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def conv_fwd(x, w, s, pads, d):
    top, left, bottom, right = pads
    return F.conv2d(F.pad(x, (left, right, top, bottom)), w, stride=s, dilation=d)


def deconv_fwd(x, w, s, pads, op, d):
    top, left, bottom, right = pads
    full = F.conv_transpose2d(x, w, stride=s, dilation=d)
    ho = (x.shape[2] - 1) * s[0] - top - bottom + span(w.shape[2], d[0]) + op[0]
    wo = (x.shape[3] - 1) * s[1] - left - right + span(w.shape[3], d[1]) + op[1]
    full = F.pad(full, (0, max(0, left + wo - full.shape[3]), 0, max(0, top + ho - full.shape[2])))
    return full[:, :, top:top + ho, left:left + wo]


def dilated_conv_cases(name, x, w, s, pads, d, fwd=None):
    """fwd, if given, is PyTorch's own computation of the same forward (a 1-D
    convolution or padding="same"), which must agree with conv_fwd."""
    f = lambda v: conv_fwd(v, w, s, pads, d)
    y = f(x)
    if fwd is not None:
        assert torch.allclose(y, fwd(x), rtol=0, atol=1e-12), name
    dy = randn(*y.shape)
    attrs = {"strides": list(s), "pads": list(pads), "dilations": list(d)}
    out_pad = [x.shape[2 + a] + pads[a] + pads[a + 2] - span(w.shape[2 + a], d[a]) - (y.shape[2 + a] - 1) * s[a] for a in range(2)]
    case("dilated conv " + name, "Conv2D", attrs, [inp(x), inp(w, False)], y)
    case("dilated conv " + name + ": input gradient", "Conv2DTranspose", dict(attrs, out_pad=out_pad),
         [inp(dy), inp(w, False)], grad_of(f, x, dy))
    case("dilated conv " + name + ": weight gradient", "Conv2DFilterGrad", dict(attrs, kernel=list(w.shape[2:])),
         [inp(x), inp(dy)], grad_of(lambda v: conv_fwd(x, v, s, pads, d), w, dy))


def dilated_deconv_cases(name, x, w, s, pads, op, d, fwd=None):
    f = lambda v: deconv_fwd(v, w, s, pads, op, d)
    y = f(x)
    if fwd is not None:
        assert torch.allclose(y, fwd(x), rtol=0, atol=1e-12), name
    dy = randn(*y.shape)
    attrs = {"strides": list(s), "pads": list(pads), "dilations": list(d)}
    case("dilated transposed conv " + name, "Conv2DTranspose", dict(attrs, out_pad=list(op)), [inp(x), inp(w, False)], y)
    case("dilated transposed conv " + name + ": input gradient", "Conv2D", attrs, [inp(dy), inp(w, False)], grad_of(f, x, dy))
    case("dilated transposed conv " + name + ": weight gradient", "Conv2DFilterGrad", dict(attrs, kernel=list(w.shape[2:])),
         [inp(dy), inp(x)], grad_of(lambda v: deconv_fwd(x, v, s, pads, op, d), w, dy))


xd, wd = randn(2, 3, 7, 9), randn(4, 3, 3, 3)
dilated_conv_cases("3×3 by 2, same at stride 1 (PyTorch padding='same')", xd, wd, (1, 1), (2, 2, 2, 2), (2, 2),
                   fwd=lambda v: F.conv2d(v, wd, padding="same", dilation=2))
dilated_conv_cases("3×2 by (3, 2), strides (2, 3), pads {3, 1, 2, 4}", randn(2, 2, 9, 11), randn(3, 2, 3, 2), (2, 3), (3, 1, 2, 4), (3, 2))
t0, b0 = same_pads(8, span(2, 2), 2)
l0, r0 = same_pads(10, span(3, 3), 1)
dilated_conv_cases("2×3 by (2, 3), Keras same at strides (2, 1)", randn(2, 2, 8, 10), randn(2, 2, 2, 3), (2, 1), (t0, l0, b0, r0), (2, 3))
dilated_conv_cases("3×3 by (1, 2), valid", randn(1, 3, 5, 8), randn(2, 3, 3, 3), (1, 1), (0, 0, 0, 0), (1, 2))
# 1-D: the (N, C, 1, L) view of Conv1d.
x1, w1 = randn(2, 3, 13), randn(2, 3, 3)
dilated_conv_cases("1-D causal, k 3 by 4 (Keras' causal: (k-1)·d before)", x1.unsqueeze(2), w1.unsqueeze(2), (1, 1), (0, 8, 0, 0), (1, 4),
                   fwd=lambda v: F.conv1d(F.pad(v.squeeze(2), (8, 0)), w1, dilation=4).unsqueeze(2))
x1, w1 = randn(2, 3, 10), randn(2, 3, 2)
dilated_conv_cases("1-D k 2 by 2, stride 2, pads (1, 2)", x1.unsqueeze(2), w1.unsqueeze(2), (1, 2), (0, 1, 0, 2), (1, 2),
                   fwd=lambda v: F.conv1d(F.pad(v.squeeze(2), (1, 2)), w1, stride=2, dilation=2).unsqueeze(2))
x1, w1 = randn(2, 2, 9), randn(3, 2, 3)
dilated_conv_cases("1-D k 3 by 2, same (PyTorch padding='same')", x1.unsqueeze(2), w1.unsqueeze(2), (1, 1), (0, 2, 0, 2), (1, 2),
                   fwd=lambda v: F.conv1d(v.squeeze(2), w1, padding="same", dilation=2).unsqueeze(2))
xt, wt = randn(2, 3, 4, 5), randn(3, 2, 3, 3)
dilated_deconv_cases("3×3 by 2, stride 2, padding 2, output_padding 1 (PyTorch)", xt, wt, (2, 2), (2, 2, 2, 2), (1, 1), (2, 2),
                     fwd=lambda v: F.conv_transpose2d(v, wt, stride=2, padding=2, output_padding=1, dilation=2))
dilated_deconv_cases("2×3 by (3, 2), strides (1, 2), pads {1, 0, 2, 1}, out_pad (0, 1)", randn(2, 2, 3, 4), randn(2, 3, 2, 3), (1, 2), (1, 0, 2, 1), (0, 1), (3, 2))
x1, w1 = randn(2, 3, 5), randn(3, 2, 3)
p0, p1 = same_pads(10, span(3, 2), 2)
dilated_deconv_cases("1-D k 3 by 2, Keras same at stride 2", x1.unsqueeze(2), w1.unsqueeze(2), (1, 2), (0, p0, 0, p1), (0, 0), (1, 2))
x1, w1 = randn(2, 2, 6), randn(2, 3, 2)
dilated_deconv_cases("1-D k 2 by 4, stride 3, padding 1, output_padding 2 (PyTorch)", x1.unsqueeze(2), w1.unsqueeze(2), (1, 3), (0, 1, 0, 1), (0, 2), (1, 4),
                     fwd=lambda v: F.conv_transpose1d(v.squeeze(2), w1, stride=3, padding=1, output_padding=2, dilation=4).unsqueeze(2))
# ---- zero padding and cropping: Pad2D ----
# F.pad(x, (left, right, top, bottom)) with zeros; dlgen's pads are {top, left,
# bottom, right}. Negative amounts crop (F.pad narrows first, then pads), which the
# script checks against slicing, x[:, :, top:H-bottom, left:W-right], the crop Keras'
# Cropping2D makes. The gradient of Pad2D is Pad2D of dy with the pads negated: its
# case feeds dy to that op and compares with autograd's gradient of F.pad. Sizes:
# a 28×28 → 32×32-like pad of every side, asymmetric pads, crops of every side, a
# crop and a pad on each axis, a crop to 1×1, a crop of more rows than are padded
# back, and a 1×1 input padded.


def torch_pads(p):
    top, left, bottom, right = p
    return (left, right, top, bottom)


for (h, w), p in [((4, 4), (2, 2, 2, 2)), ((3, 5), (2, 0, 1, 3)), ((6, 7), (-1, -2, -2, -1)),
                  ((5, 4), (1, -2, -3, 2)), ((3, 4), (-1, -3, -1, 0)), ((4, 3), (-3, 1, 2, 0)),
                  ((1, 1), (0, 2, 1, 1))]:
    xp = randn(2, 3, h, w)
    f = lambda v: F.pad(v, torch_pads(p))
    y = f(xp)
    if all(v <= 0 for v in p):
        top, left, bottom, right = (-v for v in p)
        assert torch.equal(y, xp[:, :, top:h - bottom, left:w - right])
    dyp = randn(*y.shape)
    name = f"Pad2D of {h}×{w} by {{top, left, bottom, right}} = {list(p)}"
    case(name, "Pad2D", {"pads": list(p)}, [inp(xp)], y)
    case(name + ": gradient, Pad2D of dy by the negated pads", "Pad2D", {"pads": [-v for v in p]}, [inp(dyp)], grad_of(f, xp, dyp))

# ---- log-softmax and the negative log-likelihood loss ----
# F.log_softmax over the last axis, including logits 2000 apart, where
# log(softmax(x)) is -inf in float64 and log_softmax is finite; its gradient-only op
# takes (y, dy), y the output, and is compared with autograd. F.nll_loss reads any
# values, log-probabilities or not, and averages -x[label] over the rows of the last
# axis: on (N, T, C) and (N, A, B, C) it is nll_loss on x moved to (N, C, ...).
lsm = lambda v: F.log_softmax(v, -1)
xl = randn(3, 5) * 3
xl[2] = t([1000.0, -1000.0, 999.0, 0.0, -3.0])
assert torch.isinf(torch.log(torch.softmax(xl, -1))).any() and torch.isfinite(lsm(xl)).all()
dyl = randn(3, 5)
case("log-softmax over the last axis, logits 2000 apart stay finite", "LogSoftmax", {}, [inp(xl)], lsm(xl))
case("log-softmax gradient from the output", "LogSoftmaxGrad", {}, [inp(lsm(xl)), inp(dyl)], grad_of(lsm, xl, dyl))
xl3, dyl3 = randn(2, 3, 4), randn(2, 3, 4)
case("log-softmax of a rank-3 tensor, each last-axis row", "LogSoftmax", {}, [inp(xl3)], lsm(xl3))
case("log-softmax gradient of a rank-3 tensor", "LogSoftmaxGrad", {}, [inp(lsm(xl3)), inp(dyl3)], grad_of(lsm, xl3, dyl3))
loss_cases("nll of log-probabilities", "NLLLoss", {}, lsm(randn(4, 5)), torch.tensor([4, 0, 2, 0]).to(DT),
           lambda p, q: F.nll_loss(p, q.long()), target_dtype="int")
loss_cases("nll of arbitrary values (no check that they are log-probabilities)", "NLLLoss", {}, randn(3, 4) * 5,
           torch.tensor([1, 3, 1]).to(DT), lambda p, q: F.nll_loss(p, q.long()), target_dtype="int")
ntags = torch.tensor([[2, 0, 3], [1, 1, 0]])
loss_cases("nll over (N, T, C) and (N, T) labels, as nll_loss on (N, C, T)", "NLLLoss", {}, lsm(randn(2, 3, 4)),
           ntags.to(DT), lambda p, q: F.nll_loss(p.permute(0, 2, 1), q.long()), target_dtype="int")
ngrid = torch.tensor([[[4, 0, 1], [2, 2, 3]], [[0, 1, 4], [3, 0, 0]]])
loss_cases("nll over (N, A, B, C), as nll_loss on (N, C, A, B)", "NLLLoss", {}, randn(2, 2, 3, 5),
           ngrid.to(DT), lambda p, q: F.nll_loss(p.permute(0, 3, 1, 2).contiguous(), q.long()), target_dtype="int")
# LogSoftmax then NLLLoss is PyTorch's cross_entropy of the logits, large ones too.
zn, zlab = randn(3, 5) * 3, torch.tensor([1, 4, 0])
zn[0] = t([1000.0, -1000.0, 999.0, 0.0, -3.0])
nll_ins = [inp(zn), inp(zlab.to(DT), dtype="int")]
graph_case("log-softmax then nll is cross_entropy of the logits",
           [{"op": "LogSoftmax", "inputs": [0]}, {"op": "NLLLoss", "inputs": [2, 1]}], nll_ins, F.cross_entropy(zn, zlab))

# ---- ignore_index of the sparse cross-entropy and NLLLoss ----
# PyTorch's ignore_index (attrs extra = [ignore_index]): rows whose label is it count
# neither in the sum nor in the divisor, and get no gradient. On (N, C) with the
# default -100, on (N, T, C) as padded sequences (as cross_entropy on (N, C, T)), with
# an ignore index that is a class (0: a padding class), and with every row ignored:
# PyTorch's loss is then NaN (0/0), which JSON cannot hold, so only the gradient (0
# everywhere) is a case and the Go test checks the NaN.
zi = randn(4, 5) * 3
zi[1] = t([1000.0, -1000.0, 999.0, 0.0, -3.0])
yi = torch.tensor([3, 1, -100, 0])
loss_cases("sparse softmax cross-entropy ignoring label -100", "SparseSoftmaxCELoss", {"extra": [-100]}, zi, yi.to(DT),
           lambda p, q: F.cross_entropy(p, q.long(), ignore_index=-100), target_dtype="int")
loss_cases("nll ignoring label -100", "NLLLoss", {"extra": [-100]}, lsm(zi), yi.to(DT),
           lambda p, q: F.nll_loss(p, q.long(), ignore_index=-100), target_dtype="int")
zi3 = randn(3, 4, 3)
yi3 = torch.tensor([[2, 0, -100, -100], [1, 1, 2, 0], [0, -100, -100, -100]])
loss_cases("sparse softmax cross-entropy over padded sequences (N, T, C), pads -100", "SparseSoftmaxCELoss", {"extra": [-100]},
           zi3, yi3.to(DT), lambda p, q: F.cross_entropy(p.permute(0, 2, 1), q.long(), ignore_index=-100), target_dtype="int")
loss_cases("nll over padded sequences (N, T, C), pads -100", "NLLLoss", {"extra": [-100]}, lsm(zi3), yi3.to(DT),
           lambda p, q: F.nll_loss(p.permute(0, 2, 1), q.long(), ignore_index=-100), target_dtype="int")
yc = torch.tensor([[2, 0, 0, 1], [1, 1, 2, 0], [0, 0, 2, 0]])
loss_cases("sparse softmax cross-entropy ignoring class 0", "SparseSoftmaxCELoss", {"extra": [0]}, zi3, yc.to(DT),
           lambda p, q: F.cross_entropy(p.permute(0, 2, 1), q.long(), ignore_index=0), target_dtype="int")
loss_cases("nll ignoring label 7 when no label is 7 is plain nll", "NLLLoss", {"extra": [7]}, lsm(zi), torch.tensor([3, 1, 2, 0]).to(DT),
           lambda p, q: F.nll_loss(p, q.long(), ignore_index=7), target_dtype="int")
yall = torch.tensor([-100, -100, -100, -100])
for op, f in (("SparseSoftmaxCELoss", lambda p, q: F.cross_entropy(p, q.long(), ignore_index=-100)),
              ("NLLLoss", lambda p, q: F.nll_loss(p, q.long(), ignore_index=-100))):
    assert torch.isnan(f(zi, yall))
    case(f"{op} with every row ignored: gradient 0 everywhere", "LossGrad", {"sub": op, "extra": [-100]},
         [inp(zi), inp(yall.to(DT), dtype="int"), inp(dloss, False)], grad_of(lambda v: f(v, yall), zi, dloss))

# ---- LayerNorm (PyTorch's nn.LayerNorm, Keras' LayerNormalization) and its gradients ----
# LayerNorm over the axes from `axis` is F.layer_norm with normalized_shape =
# x.shape[axis:] (biased variance, eps inside the square root); γ and β are its weight
# and bias. LayerNormGrad(x, dy[, γ]) is autograd's input gradient, LayerNormWeightGrad
# and LayerNormBiasGrad its weight and bias gradients. Cases: the features of (N, F)
# and of (N, T, F), (C, H, W) and (H, W) of an image, no affine parameters, γ alone
# (F.layer_norm with weight only), Keras' eps 1e-3 on rows of small variance (where eps
# matters), rows whose mean is 100 times their spread, and a row of one element (x̂ = 0).


def ln_cases(name, x, axis, eps, weight=True, bias=True):
    shape = tuple(x.shape[axis:])
    w = uniform(0.5, 1.5, *shape) if weight else None
    b = randn(*shape) if bias and weight else None
    dy = randn(*x.shape)
    f = lambda v, w=w, b=b: F.layer_norm(v, shape, w, b, eps)
    ins = [inp(x)] + ([inp(w, False)] if w is not None else []) + ([inp(b, False)] if b is not None else [])
    attrs = {"axis": axis, "eps": eps}
    case(name, "LayerNorm", attrs, ins, f(x))
    case(name + ": input gradient", "LayerNormGrad", attrs,
         [inp(x), inp(dy)] + ([inp(w, False)] if w is not None else []), grad_of(f, x, dy))
    if w is not None:
        case(name + ": weight gradient", "LayerNormWeightGrad", attrs, [inp(x), inp(dy)],
             grad_of(lambda v: F.layer_norm(x, shape, v, b, eps), w, dy))
    if b is not None:
        case(name + ": bias gradient", "LayerNormBiasGrad", {"axis": axis}, [inp(dy)],
             grad_of(lambda v: F.layer_norm(x, shape, w, v, eps), b, dy))


ln_cases("layer norm over the features of (N, F)", randn(4, 6), 1, 1e-5)
ln_cases("layer norm over the features of (N, T, F)", randn(2, 3, 5), 2, 1e-5)
ln_cases("layer norm over (C, H, W)", randn(2, 3, 2, 4), 1, 1e-5)
ln_cases("layer norm over (H, W)", randn(2, 3, 2, 4), 2, 1e-5)
ln_cases("layer norm without affine parameters", randn(3, 4, 5), 2, 1e-5, weight=False)
ln_cases("layer norm with a weight and no bias", randn(3, 7), 1, 1e-5, bias=False)
ln_cases("layer norm with Keras' eps on rows of small variance", randn(3, 5) * 0.03, 1, 1e-3)
ln_cases("layer norm of rows whose mean is 100 times their spread", randn(3, 8) + 100, 1, 1e-5)
ln_cases("layer norm of a row of one element", randn(3, 2, 1), 2, 1e-5)

# ---- Transpose (Keras' Permute, PyTorch's permute) ----
# The forward is x.permute(*perm); the gradient, a Transpose of dy by the inverse
# permutation, is compared with autograd's gradient of the permute.
for shape, perm, batched in [((2, 3, 4), (0, 2, 1), True), ((2, 3, 2, 4), (0, 3, 1, 2), True),
                             ((2, 3, 2, 4), (0, 2, 3, 1), True), ((2, 2, 3, 1, 2), (0, 4, 2, 1, 3), True),
                             ((3, 5), (0, 1), True), ((3, 4), (1, 0), False)]:
    xp = randn(*shape)
    inv = [perm.index(i) for i in range(len(perm))]
    f = lambda v, perm=perm: v.permute(*perm)
    dyp = randn(*f(xp).shape)
    name = f"transpose of {'×'.join(map(str, shape))} by {list(perm)}" + ("" if batched else " (unbatched)")
    case(name, "Transpose", {"perm": list(perm)}, [inp(xp, batched)], f(xp).contiguous())
    case(name + ": gradient", "Transpose", {"perm": inv}, [inp(dyp, batched)], grad_of(f, xp, dyp))

# ---- ReluMax (ReLU6, Keras' ReLU(max_value)) and its gradient ----
# Forward against F.relu6 and F.hardtanh(x, 0, cap); the gradient-only op takes the
# output (as autodiff passes it) and is compared with autograd's gradient, which is
# zero at both bounds, 0 and cap, exactly.
xc = t([[-3.0, 0.0, 1e-3, 2.5, 6.0], [5.999, 6.001, 40.0, -1e-3, 3.0]])
dyc = randn(*xc.shape)
case("relu6 caps at 6", "ReluMax", {"alpha": 6.0}, [inp(xc)], F.relu6(xc))
case("relu6 gradient from the output, none at 0 and 6", "ReluMaxGrad", {"alpha": 6.0}, [inp(F.relu6(xc)), inp(dyc)],
     grad_of(F.relu6, xc, dyc))
xk = t([[-1.0, 0.0, 0.7, 1.5, 2.0], [1.499, 1.501, 0.2, -0.2, 1.0]])
case("relu capped at 1.5", "ReluMax", {"alpha": 1.5}, [inp(xk)], F.hardtanh(xk, 0.0, 1.5))
case("relu capped at 1.5: gradient", "ReluMaxGrad", {"alpha": 1.5}, [inp(F.hardtanh(xk, 0.0, 1.5)), inp(dyc)],
     grad_of(lambda v: F.hardtanh(v, 0.0, 1.5), xk, dyc))
# ---- parametric ReLU ----
# PReLU(x, α) is y = x where x > 0, else α·x, α broadcast over the batch, its own
# axes of size 1 and x's axes past its last (α's axes are x's from axis 1 on).
# F.prelu takes PyTorch's one α, (1), or one per channel, (C), also stored as dlgen's
# full-rank (1, 1, 1); Keras' α per element or shared over some axes is
# torch.where(x > 0, x, α·x) with α broadcast.
# PReLUGrad(x, α, dy) is autograd's input gradient (α·dy at x = 0, as PyTorch's) and
# PReLUAlphaGrad(x, dy) its α gradient. Every x holds exact zeros.


def with_zeros(x, every=4):
    flat = x.clone().reshape(-1)
    flat[::every] = 0
    return flat.reshape(x.shape)


def prelu_cases(name, x, alpha, shape, f):
    """alpha is what f takes; shape is dlgen's shape of α (the same values)."""
    dy = randn(*x.shape)
    a_in = inp(alpha.reshape(shape), False)
    case("prelu " + name, "PReLU", {}, [inp(x), a_in], f(x, alpha))
    case("prelu " + name + ": input gradient", "PReLUGrad", {}, [inp(x), a_in, inp(dy)],
         grad_of(lambda v: f(v, alpha), x, dy))
    case("prelu " + name + ": α gradient", "PReLUAlphaGrad", {"shape": list(shape)}, [inp(x), inp(dy)],
         grad_of(lambda v: f(x, v), alpha, dy).reshape(shape))


def keras_prelu(v, a):
    return torch.where(v > 0, v, a * v)


prelu_cases("with PyTorch's one α on (N, F)", with_zeros(randn(4, 5)), t([0.25]), (1,), F.prelu)
prelu_cases("with an α per channel of (N, C)", with_zeros(randn(4, 3)), uniform(-0.5, 1.5, 3), (3,), F.prelu)
prelu_cases("with PyTorch's one α on an image", with_zeros(randn(2, 3, 2, 3), 5), t([0.1]), (1,), F.prelu)
prelu_cases("with an α per channel of an image", with_zeros(randn(2, 3, 2, 3), 3), uniform(-0.5, 1.5, 3), (3,), F.prelu)
prelu_cases("with α of rank 3 shared over an image", with_zeros(randn(2, 3, 2, 3), 5), t([0.1]), (1, 1, 1), F.prelu)
prelu_cases("with Keras' α per element of (N, T, F)", with_zeros(randn(3, 2, 4)), uniform(-0.5, 1.5, 2, 4), (2, 4), keras_prelu)
prelu_cases("with Keras' α shared over the steps of (N, T, F)", with_zeros(randn(3, 2, 4), 3), uniform(-0.5, 1.5, 1, 4), (1, 4), keras_prelu)
prelu_cases("with Keras' α shared over an image's plane, per channel", with_zeros(randn(2, 3, 2, 2), 3),
            uniform(-0.5, 1.5, 3, 1, 1), (3, 1, 1), keras_prelu)


json.dump({"generator": "testdata/torch/ops_golden.py", "torch": torch.__version__, "cases": cases},
          sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
