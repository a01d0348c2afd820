"""Load weights that dlgen's generated LeNet command wrote (safetensors) into the same
network written in PyTorch and measure its test accuracy, to show that the weight file
is PyTorch's state dict (names, layouts) and that both compute the same model.

    /usr/bin/python3 train/testdata/torch_lenet.py lenet.safetensors MNIST_DIR

MNIST_DIR holds t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (testdata/mnist
or the full set). Reads safetensors with the standard library (the format is an 8-byte
header length, a JSON header and raw little-endian data), so only torch is needed.
"""
import gzip
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", (name, t["dtype"])
        b, e = t["data_offsets"]
        buf = bytearray(data[8 + n + b:8 + n + e])
        out[name] = torch.frombuffer(buf, dtype=torch.float32).reshape(t["shape"]).clone()
    return out, meta


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.tensor(list(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


class LeNet(nn.Module):
    """models.LeNet: Conv 6@5×5 same ReLU, MaxPool 2, Conv 16@5×5 ReLU, MaxPool 2,
    Dense 120 ReLU, Dense 84 ReLU, Dense 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def main():
    weights, mnist = sys.argv[1], sys.argv[2]
    state, meta = load_safetensors(weights)
    model = LeNet()
    model.load_state_dict(state, strict=True)  # every name and shape must match
    x = read_idx(mnist + "/t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    y = read_idx(mnist + "/t10k-labels-idx1-ubyte.gz").long()
    with torch.no_grad():
        logits = model(x)
    loss = F.cross_entropy(logits, y).item()
    acc = (logits.argmax(1) == y).float().mean().item()
    print(f"metadata {meta}; PyTorch {torch.__version__}: {len(y)} examples  loss {loss:.4f}  accuracy {100 * acc:.2f}%")


if __name__ == "__main__":
    main()
