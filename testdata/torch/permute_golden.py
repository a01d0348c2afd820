#!/usr/bin/python3
"""Golden values for whole models with Permute (PyTorch's x.permute, Keras' Permute):
the layout changes between channels-last data and channels-first layers that users
write in both frameworks.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/permute_golden.py > testdata/torch/permute_golden.json

The models are mirrored layer for layer by internal/torchmodels/permute.go (compared
in the interpreter by models/permute_test.go, in generated code by codegen's
TestTheTorchModelsMatchPyTorch), with the torch module names as dlgen layer names, so
the state_dict names are dlgen's parameter names. Everything is float64; parameters
are drawn at random and rounded to 3 decimals. Each record is that of
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

torch.manual_seed(20261203)
torch.set_default_dtype(torch.float64)


# text_cnn: Embedding(15, 6) on (N, 9) ids, (N, 9, 6) → permute(0, 2, 1) → (N, 6, 9)
# → Conv1d(6→5, 3) → relu → max over the steps (N, 5) → Linear(5→3) logits;
# cross-entropy against (N) labels. The text CNN of PyTorch tutorials.
class TextCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(15, 6)
        self.conv = nn.Conv1d(6, 5, 3)
        self.fc = nn.Linear(5, 3)


def text_cnn_forward(m, d):
    h = F.relu(m.conv(m.embed(d["words"]).permute(0, 2, 1)))  # (N, 5, 7)
    logits = m.fc(h.max(dim=2).values)
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


# nhwc_cnn: a channels-last image (N, 5, 4, 3) → permute(0, 3, 1, 2) → (N, 3, 5, 4) →
# Conv2d(3→4, 3×3, padding 1) → tanh → permute(0, 2, 3, 1), back to channels-last
# (N, 5, 4, 4) → flatten → Linear(80→2); mean squared error against a target. Neither
# permutation is its own inverse, so the gradient must take the inverse one.
class NHWCCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(80, 2)


def nhwc_cnn_forward(m, d):
    h = torch.tanh(m.conv(d["img"].permute(0, 3, 1, 2)))  # (N, 4, 5, 4)
    y = m.fc(h.permute(0, 2, 3, 1).flatten(1))
    return {"y": y}, F.mse_loss(y, d["t"])


# steps_mean: x (N, 6, 4) → LSTM(4→5) returning every step (N, 6, 5) → permute(0, 2,
# 1) → mean over the steps (N, 5) → Linear(5→3); cross-entropy. Keras writes the
# middle as GlobalAveragePooling1D on (N, 6, 5); dlgen as Permute then
# GlobalAvgPool1D.
class StepsMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, batch_first=True)
        self.fc = nn.Linear(5, 3)


def steps_mean_forward(m, d):
    s, _ = m.lstm(d["x"])  # (N, 6, 5)
    logits = m.fc(s.permute(0, 2, 1).mean(dim=2))
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


def main():
    models = []
    cnn = TextCNN()
    randomize(cnn)
    words = torch.randint(0, 15, (4, 9))
    models.append(record("text_cnn", cnn, {"words": words, "label": torch.randint(0, 3, (4,))}, text_cnn_forward))

    img = NHWCCNN()
    randomize(img)
    models.append(record("nhwc_cnn", img, {"img": rand(3, 5, 4, 3), "t": rand(3, 2)}, nhwc_cnn_forward))

    sm = StepsMean()
    randomize(sm)
    models.append(record("steps_mean", sm, {"x": rand(5, 6, 4), "label": torch.randint(0, 3, (5,))},
                         steps_mean_forward))

    json.dump({"generator": "testdata/torch/permute_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
