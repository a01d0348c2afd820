"""Helpers shared by the whole-model golden scripts in testdata/torch (models_golden.py,
sce_golden.py, act_golden.py, dense_seq_golden.py, conv1d_golden.py,
embedding_golden.py, upsample_golden.py).

Each script sets its own seed and torch.set_default_dtype(torch.float64) before it
draws anything; these helpers draw from torch's global generator, in the order the
script calls them, so moving them here changes no golden value.

  rnd, randn, rand   random values rounded to 3 decimals (the JSON holds them exactly)
  tensor, flat       a tensor as {"shape", "data"}, or as its flat data
  randomize          rounded random parameters (and batch-norm statistics)
  record             one model's record: params, inputs, eval and train outputs and
                     losses, grads, running statistics (see models_golden.py)
"""

import torch
import torch.nn as nn


def rnd(x):
    return torch.round(x * 1000) / 1000


def randn(*shape, scale=1.0):
    return rnd(scale * torch.randn(*shape))


def rand(*shape):
    return rnd(torch.rand(*shape))


def tensor(x):
    return {"shape": list(x.shape), "data": x.detach().reshape(-1).tolist()}


def flat(x):
    return x.detach().reshape(-1).tolist()


def randomize(model, scale=1.0):
    """Rounded random parameters: torch's default initialisation times scale for
    weights and biases, and for batch norms a random scale, shift and running
    statistics (drawn module by module, in model.modules() order)."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                c = mod.num_features
                mod.weight.copy_(rnd(1 + 0.3 * torch.randn(c)))
                mod.bias.copy_(randn(c, scale=0.3))
                mod.running_mean.copy_(randn(c, scale=0.5))
                mod.running_var.copy_(rnd(0.5 + torch.rand(c)))
            else:
                for p in mod.parameters(recurse=False):
                    p.copy_(rnd(scale * p))
                    # A zero bias would hide a missing one; torch's init rarely
                    # gives one, the rounding sometimes does.
                    p[p == 0] = 0.001


def record(name, model, inputs, forward, randomize=None, fix=None):
    """Runs forward(model, inputs) -> (outputs dict, loss) in eval then train mode.

    randomize(model), if given, sets the parameters first (None: they are set
    already); then fix(model), if given, adjusts them. params leaves out the batch
    norms' num_batches_tracked; running holds their statistics after the one
    train-mode forward (empty without batch norms)."""
    if randomize is not None:
        randomize(model)
    if fix is not None:
        fix(model)
    params = {k: tensor(v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    model.eval()
    with torch.no_grad():
        eval_out, eval_loss = forward(model, inputs)
    model.train()
    model.zero_grad()
    train_out, loss = forward(model, inputs)
    loss.backward()
    running = {k: flat(v) for k, v in model.state_dict().items()
               if k.endswith("running_mean") or k.endswith("running_var")}
    return {
        "name": name,
        "batch": next(iter(inputs.values())).shape[0],
        "params": params,
        "inputs": {k: tensor(v) for k, v in inputs.items()},
        "eval_outputs": {k: flat(v) for k, v in eval_out.items()},
        "eval_loss": eval_loss.item(),
        "train_outputs": {k: flat(v) for k, v in train_out.items()},
        "loss": loss.item(),
        "grads": {k: flat(p.grad) for k, p in model.named_parameters()},
        "running": running,
    }
