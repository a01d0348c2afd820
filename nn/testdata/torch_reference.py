# Reference numbers for nn's tests, from PyTorch 1.13:
#   /usr/bin/python3 nn/testdata/torch_reference.py
# Prints, for each layer, the weight shape as PyTorch stores it and the fans that
# torch.nn.init._calculate_fan_in_and_fan_out computes for it.
import torch

layers = [
    ("Linear(20, 7)", torch.nn.Linear(20, 7)),
    ("Conv2d(3, 8, (5, 3))", torch.nn.Conv2d(3, 8, (5, 3))),
    ("ConvTranspose2d(3, 8, (5, 3))", torch.nn.ConvTranspose2d(3, 8, (5, 3))),
]
for name, layer in layers:
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(layer.weight)
    print(f"{name}: weight {tuple(layer.weight.shape)} fan_in {fan_in} fan_out {fan_out}")

bn = torch.nn.BatchNorm2d(4)
print("BatchNorm2d(4):", sorted(bn.state_dict().keys()), "eps", bn.eps, "momentum", bn.momentum)
print("LeakyReLU slope", torch.nn.LeakyReLU().negative_slope)

# ConvTranspose2d output sizes for explicit padding and output_padding.
x = torch.zeros(1, 3, 5, 7)
for k, s, p, op in [((3, 3), (2, 2), (1, 1), (1, 1)), ((4, 2), (3, 1), (0, 0), (2, 0))]:
    y = torch.nn.ConvTranspose2d(3, 2, k, stride=s, padding=p, output_padding=op)(x)
    print(f"ConvTranspose2d k={k} s={s} p={p} op={op} on 5x7: {tuple(y.shape[2:])}")
