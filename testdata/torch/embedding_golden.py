#!/usr/bin/python3
"""Golden values for dlgen models that start with an Embedding fed by int ids.

Regenerate with (PyTorch 1.13, Debian's python3-torch):

    /usr/bin/python3 testdata/torch/embedding_golden.py > testdata/torch/embedding_golden.json

Each model here is mirrored layer for layer by a model built with package nn in
internal/torchmodels/embedding.go (compared in the interpreter by
models/embedding_test.go, in generated code by codegen's
TestTheTorchModelsMatchPyTorch and TestEmbeddingModelsMatchTheInterpreterAndPyTorch),
with the torch module names as dlgen layer names, so the state_dict names are
dlgen's parameter names. Everything is float64; parameters are drawn at random and
rounded to 3 decimals, so the JSON holds them exactly. Each record is that of
models_golden.py: params, inputs (ids and labels as integers), eval_outputs,
eval_loss, train_outputs, loss, grads (of the train-mode loss, for every parameter)
and running (no batch norms here: empty).

The ids repeat within an example and across examples (so the embedding's gradient
sums several rows of dy into one row), and include 0 and vocab-1. In the tagger the
embedding has padding_idx=0: the ids hold 0 at the end of shorter sentences, the
padding row is set to random values (torch zeroes it at initialisation; the forward
must read what it holds), and its gradient is 0.
"""

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for goldenlib, from any cwd
from goldenlib import randomize, record, rnd  # noqa: E402
# Each model is randomized (randomize) before record, which leaves its parameters as they are.

torch.manual_seed(20261201)
torch.set_default_dtype(torch.float64)


# embed_lstm: Embedding(50, 8) on (N, 12) ids → LSTM(8→6), its last hidden state →
# Dense(6→4) logits; cross-entropy against (N) labels.
class EmbedLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.lstm = nn.LSTM(8, 6, batch_first=True)
        self.fc = nn.Linear(6, 4)


def embed_lstm_forward(m, d):
    _, (h, _) = m.lstm(m.embed(d["tokens"]))  # h: (1, N, 6)
    logits = m.fc(h[0])
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits, d["label"])


# embed_tagger: Embedding(30, 5, padding_idx=0) on (N, 7) ids → bidirectional GRU
# (5→4 each way) returning every step, the directions concatenated → Dense(8→3) per
# step; cross-entropy from logits against (N, 7) labels (on (N, C, T)).
class EmbedTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 5, padding_idx=0)
        self.bigru = nn.GRU(5, 4, batch_first=True, bidirectional=True)
        self.out = nn.Linear(8, 3)


def embed_tagger_forward(m, d):
    s, _ = m.bigru(m.embed(d["words"]))  # (N, 7, 8): forward then backward states
    logits = m.out(s)  # (N, 7, 3)
    return {"probs": F.softmax(logits, -1)}, F.cross_entropy(logits.permute(0, 2, 1), d["tags"])


def main():
    models = []

    lstm = EmbedLSTM()
    randomize(lstm)
    tokens = torch.randint(0, 50, (5, 12))
    tokens[0, :4] = torch.tensor([0, 49, 0, 49])  # the first and last rows, repeated
    tokens[3, 5:9] = torch.tensor([7, 7, 7, 7])   # one id four times in one example
    tokens[4, 0] = 7                              # and in another
    models.append(record("embed_lstm", lstm, {"tokens": tokens, "label": torch.randint(0, 4, (5,))},
                         embed_lstm_forward))

    tagger = EmbedTagger()
    randomize(tagger)
    with torch.no_grad():
        tagger.embed.weight[0] = rnd(torch.randn(5))  # torch zeroed it; the forward must read what it holds
    assert (tagger.embed.weight[0] != 0).all()
    words = torch.randint(1, 30, (4, 7))
    words[0, 5:] = 0  # padding at the end of shorter sentences
    words[2, 3:] = 0
    words[1, 2] = 29
    words[3, 1:3] = torch.tensor([29, 29])
    models.append(record("embed_tagger", tagger, {"words": words, "tags": torch.randint(0, 3, (4, 7))},
                         embed_tagger_forward))
    assert all(v == 0 for v in models[-1]["grads"]["embed.weight"][:5]), "the padding row gets no gradient"

    json.dump({"generator": "testdata/torch/embedding_golden.py", "torch": torch.__version__, "models": models},
              sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
