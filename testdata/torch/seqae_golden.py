#!/usr/bin/python3
"""Golden values for a sequence-to-sequence (LSTM) autoencoder, the model of the Keras
blog's "Building Autoencoders in Keras": an LSTM encoder reads the sequence to its
last state, RepeatVector copies that vector to every step, an LSTM decoder returning
every step and a per-step Dense with sigmoid reconstruct the sequence.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/seqae_golden.py > testdata/torch/seqae_golden.json

The model is mirrored layer for layer by internal/torchmodels/seqae.go (compared in
the interpreter by models/seqae_test.go, in generated code by codegen's
TestTheTorchModelsMatchPyTorch), with the torch module names as dlgen layer names, so
the state_dict names are dlgen's parameter names. Keras' RepeatVector(n) is written
as PyTorch users write it, code.unsqueeze(1).repeat(1, n, 1). Everything is float64;
parameters are drawn at random and rounded to 3 decimals. Each record is that of
models_golden.py (see goldenlib.record).
"""

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for goldenlib, from any cwd
from goldenlib import rand, randomize, record  # noqa: E402

torch.manual_seed(20261202)
torch.set_default_dtype(torch.float64)

T, FEAT = 6, 4


# seq2seq_ae: x (N, 6, 4) in [0, 1] → LSTM(4→5), its last hidden state (N, 5) →
# RepeatVector(6) → (N, 6, 5) → LSTM(5→3) returning every step → Linear(3→4) per
# step → sigmoid; binary cross-entropy against x itself.
class Seq2SeqAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.LSTM(FEAT, 5, batch_first=True)
        self.dec = nn.LSTM(5, 3, batch_first=True)
        self.out = nn.Linear(3, FEAT)


def seq2seq_ae_forward(m, d):
    x = d["x"]
    _, (h, _) = m.enc(x)  # h: (1, N, 5)
    rep = h[0].unsqueeze(1).repeat(1, T, 1)  # RepeatVector(6): (N, 6, 5)
    s, _ = m.dec(rep)  # (N, 6, 3)
    recon = torch.sigmoid(m.out(s))  # (N, 6, 4)
    return {"recon": recon}, F.binary_cross_entropy(recon, x)


def main():
    ae = Seq2SeqAE()
    randomize(ae)
    models = [record("seq2seq_ae", ae, {"x": rand(5, T, FEAT)}, seq2seq_ae_forward)]
    json.dump({"generator": "testdata/torch/seqae_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
