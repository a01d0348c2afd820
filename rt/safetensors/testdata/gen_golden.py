#!/usr/bin/python3
"""Writes the golden safetensors files for rt/safetensors tests.

Run from this directory with Debian's python3 (torch 1.13):  /usr/bin/python3 gen_golden.py

The `safetensors` Python package is not packaged for Debian bookworm, so this script
reproduces what `safetensors.torch.save_file(tensors, path, metadata)` writes, byte for
byte, using only struct/json and torch:
  - 8-byte little-endian header length, then compact JSON (serde_json style:
    separators "," and ":", no spaces), padded with spaces to a multiple of 8 bytes;
  - "__metadata__" first, then the tensors sorted by dtype, largest enum value first
    (the Rust Dtype enum order below), then by name; data in the same order, packed;
  - each tensor little-endian, C-contiguous (tensor.contiguous().numpy().tobytes()).

It also writes golden_values.json with every tensor's values as float64 numbers
(exact for the integer and float types used), for the Go test to compare against.
"""
import json
import struct

import torch

# Rust safetensors Dtype enum, in declaration order (its derived Ord).
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
               "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
NAMES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
         torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32",
         torch.uint8: "U8", torch.int8: "I8", torch.bool: "BOOL", torch.int16: "I16"}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret as int16
        t = t.view(torch.int16)
    return t.numpy().tobytes()  # x86: little-endian


def save_file(tensors, path, metadata=None):
    items = sorted(tensors.items(),
                   key=lambda kv: (-DTYPE_ORDER.index(NAMES[kv[1].dtype]), kv[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, t in items:
        b = raw_bytes(t)
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def values(tensors):
    return {name: {"shape": list(t.shape), "values": t.double().flatten().tolist()}
            for name, t in tensors.items()}


# A small PyTorch model's state dict: Linear + BatchNorm1d (whose
# num_batches_tracked is I64), with deterministic, non-random values.
torch.manual_seed(0)
lin = torch.nn.Linear(4, 3)
bn = torch.nn.BatchNorm1d(3)
with torch.no_grad():
    lin.weight.copy_(torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7 - 0.5)
    lin.bias.copy_(torch.tensor([0.25, -1.5, 3e-8]))
    bn.running_mean.copy_(torch.tensor([0.1, 0.2, 0.3]))
    bn.running_var.copy_(torch.tensor([1.0, 2.0, 4.0]))
    bn.num_batches_tracked.fill_(7)
model = {"fc.weight": lin.weight.detach(), "fc.bias": lin.bias.detach()}
model.update({"bn." + k: v for k, v in bn.state_dict().items()})
mixed = dict(model)
mixed.update({
    "scalar": torch.tensor(2.5),
    "empty": torch.zeros(0, 3),
    "w64": torch.tensor([[1 / 3, -2.0], [1e-40, 123456789.123]], dtype=torch.float64),
    # 6e-8 is a half subnormal; 65504 the largest half.
    "h16": torch.tensor([1.0, -0.5, 6e-8, 65504.0, -0.0], dtype=torch.float16),
    "b16": torch.tensor([1.0, -3.140625, 1e-20], dtype=torch.bfloat16),
    "i32": torch.tensor([-2, 2147483647], dtype=torch.int32),
    "u8": torch.tensor([0, 255], dtype=torch.uint8),
    "flags": torch.tensor([True, False, True]),
})
save_file(mixed, "golden_torch.safetensors", {"format": "pt"})

# Only F32 tensors: the Go writer must reproduce this file byte for byte.
f32 = {"fc.weight": model["fc.weight"], "fc.bias": model["fc.bias"],
       "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3),
       "conv.weight": (torch.arange(2 * 1 * 3 * 3, dtype=torch.float32) - 9).reshape(2, 1, 3, 3) / 4}
save_file(f32, "golden_f32.safetensors", {"format": "pt", "note": "<&> ünïcode"})

with open("golden_values.json", "w") as f:
    json.dump(values(mixed) | {"conv.weight": values(f32)["conv.weight"]}, f, indent=1, sort_keys=True)
    f.write("\n")
