#!/usr/bin/python3
"""Golden values for dlgen's recurrent layers, from torch.nn.RNN, LSTM and GRU.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/rnn_golden.py > testdata/torch/rnn_golden.json

Each case runs one module in float64 with batch_first=True on an (N, T, F) input x,
with PyTorch's default initialisation (U(±1/sqrt(H)), rounded to 3 decimals), and
records the layer output y as dlgen defines it: every state (N, T, D·H) with return
sequences, else the final state(s), h_n, of shape (N, D·H) (the two directions
joined), with "sum" merging the two directions by adding them instead of
concatenating. The loss is sum(y * r) for a fixed random r, and the case records the
gradients of x, of every parameter (torch state_dict names) and of the initial states
when the case gives them.

gru_reset_before has no torch module: it is Keras' GRU with reset_after=False,
written out with torch operations from GRU-shaped parameters (n = tanh(W_in x + b_in
+ W_hn (r*h) + b_hn)).
"""

import json
import sys

import torch

torch.manual_seed(20240611)
DT = torch.float64


def rnd(x):
    return torch.round(x * 1000) / 1000


def flat(t):
    return t.detach().reshape(-1).tolist()


def gru_reset_before(mod, x, h0):
    """Keras GRU(reset_after=False) with torch's parameter layout."""
    H = mod.hidden_size
    w_ih, w_hh, b_ih, b_hh = mod.weight_ih_l0, mod.weight_hh_l0, mod.bias_ih_l0, mod.bias_hh_l0
    h = h0[0]
    outs = []
    for t in range(x.shape[1]):
        gi = x[:, t] @ w_ih.T + b_ih
        r = torch.sigmoid(gi[:, :H] + h @ w_hh[:H].T + b_hh[:H])
        z = torch.sigmoid(gi[:, H:2 * H] + h @ w_hh[H:2 * H].T + b_hh[H:2 * H])
        n = torch.tanh(gi[:, 2 * H:] + (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:])
        h = (1 - z) * n + z * h
        outs.append(h)
    return torch.stack(outs, 1), h.unsqueeze(0)


def case(name, kind, T=5, F=3, H=4, N=2, seq=False, bi=False, merge="concat", bias=True,
         nonlinearity="tanh", states=False, reset_before=False):
    D = 2 if bi else 1
    cls = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind]
    kw = {"nonlinearity": nonlinearity} if kind == "RNN" else {}
    mod = cls(F, H, batch_first=True, bidirectional=bi, bias=bias, **kw).to(DT)
    with torch.no_grad():
        for p in mod.parameters():
            p.copy_(rnd(p))
    x = rnd(torch.randn(N, T, F, dtype=DT)).requires_grad_()
    init = []
    if states:
        init = [rnd(0.5 * torch.randn(D, N, H, dtype=DT)).requires_grad_() for _ in range(2 if kind == "LSTM" else 1)]
    if reset_before:
        out, h_n = gru_reset_before(mod, x, init[0] if init else torch.zeros(1, N, H, dtype=DT))
    elif init:
        out, h_n = mod(x, tuple(init) if kind == "LSTM" else init[0])
    else:
        out, h_n = mod(x)
    if kind == "LSTM" and not reset_before:
        h_n = h_n[0]
    if seq:
        y = out if merge == "concat" else out[..., :H] + out[..., H:]
    else:
        y = torch.cat(list(h_n), -1) if merge == "concat" else h_n[0] + h_n[1]
    r = rnd(torch.randn(*y.shape, dtype=DT))
    (y * r).sum().backward()
    c = {
        "name": name, "kind": kind, "T": T, "F": F, "H": H, "N": N,
        "return_sequences": seq, "bidirectional": bi, "merge": merge, "bias": bias,
        "nonlinearity": nonlinearity, "reset_before": reset_before,
        "x": flat(x), "r": flat(r), "y": flat(y),
        "params": {k: flat(v) for k, v in mod.state_dict().items()},
        "grads": {"x": flat(x.grad), **{k: flat(v.grad) for k, v in mod.named_parameters()}},
    }
    # Initial states as dlgen takes them: per direction, h (and c), each (N, H).
    c["states"] = []
    for d in range(D):
        for i, s in enumerate(init):
            nm = ["h0", "c0"][i] + ("_reverse" if d else "")
            c["states"].append(nm)
            c[nm] = flat(s[d])
            c["grads"][nm] = flat(s.grad[d])
    return c


cases = [
    case("simple_rnn_tanh_last", "RNN"),
    case("simple_rnn_relu_sequences_with_h0", "RNN", nonlinearity="relu", seq=True, states=True),
    case("simple_rnn_no_bias", "RNN", bias=False, T=3),
    case("lstm_last", "LSTM"),
    case("lstm_sequences", "LSTM", seq=True, T=4, F=2, H=3, N=3),
    case("lstm_with_h0_c0", "LSTM", states=True),
    case("lstm_no_bias_sequences", "LSTM", bias=False, seq=True, T=3),
    case("gru_last", "GRU"),
    case("gru_sequences_with_h0", "GRU", seq=True, states=True),
    case("gru_no_bias", "GRU", bias=False, T=4),
    case("gru_reset_before", "GRU", seq=True, reset_before=True, states=True),
    case("bidirectional_lstm_concat_sequences", "LSTM", bi=True, seq=True),
    case("bidirectional_lstm_sum_last", "LSTM", bi=True, merge="sum"),
    case("bidirectional_gru_concat_last_with_states", "GRU", bi=True, states=True),
    case("bidirectional_gru_sum_sequences", "GRU", bi=True, merge="sum", seq=True, T=3),
    case("bidirectional_simple_rnn_concat_last", "RNN", bi=True, T=4),
]
json.dump({"torch": torch.__version__, "cases": cases}, sys.stdout, indent=None, separators=(",", ":"))
sys.stdout.write("\n")
