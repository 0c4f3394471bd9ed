"""Compute only the channels an objective reads.

An objective reads one channel, or a few, of its layer; the convolution that makes the
layer computes all of them, forward and backward: for VGG16 to conv3_3 that is a fifth of
the network's work spent on 255 channels nobody looks at. Where a target layer is a
convolution's output, possibly through per-channel modules (BatchNorm, ReLU), and nothing
else reads that convolution, the convolution and those modules are cut down to the
channels read. The values of those channels do not change.
"""

from __future__ import annotations

from torch import fx, nn

# Modules that treat each channel on its own, so they can be cut with the convolution.
PER_CHANNEL = (nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.Identity)


def _cut_conv(conv: nn.Conv2d, keep: list[int]) -> nn.Conv2d:
    cut = nn.Conv2d(
        conv.in_channels,
        len(keep),
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        bias=conv.bias is not None,
        padding_mode=conv.padding_mode,
    )
    cut.weight = nn.Parameter(conv.weight.detach()[keep].clone(), requires_grad=False)
    if conv.bias is not None:
        cut.bias = nn.Parameter(conv.bias.detach()[keep].clone(), requires_grad=False)
    return cut


def _cut_per_channel(module: nn.Module, keep: list[int]) -> nn.Module:
    if not isinstance(module, nn.BatchNorm2d):
        return module
    cut = nn.BatchNorm2d(len(keep), eps=module.eps, momentum=module.momentum, affine=module.affine)
    cut.load_state_dict({k: v[keep] if v.ndim else v for k, v in module.state_dict().items()})
    cut.requires_grad_(False)
    return cut.train(module.training)


def _replace(graph_module: fx.GraphModule, target: str, module: nn.Module) -> None:
    parent, _, name = target.rpartition(".")
    setattr(graph_module.get_submodule(parent) if parent else graph_module, name, module)


def cut_to_channels(body: fx.GraphModule, read: dict[str, list[int]]) -> dict[str, list[int]]:
    """Cut ``body`` (a feature extractor, in place) so that each output node in ``read``
    holds only the channels listed; returns, for each node cut, the channels its output
    now holds, in order. Nodes that cannot be cut are left whole and not returned."""
    outputs = next(n for n in body.graph.nodes if n.op == "output").args[0]
    calls: dict[str, int] = {}
    for node in body.graph.nodes:
        if node.op == "call_module":
            calls[node.target] = calls.get(node.target, 0) + 1
    cut: dict[str, list[int]] = {}
    for name, channels in read.items():
        node, chain = outputs[name], []
        while node.op == "call_module" and len(node.users) == 1 and calls[node.target] == 1:
            module = body.get_submodule(node.target)
            chain.append((node.target, module))
            if isinstance(module, nn.Conv2d) or not isinstance(module, PER_CHANNEL):
                break
            node = node.args[0]
        target, conv = chain[-1] if chain else (None, None)
        if not isinstance(conv, nn.Conv2d) or conv.groups != 1:
            continue
        keep = sorted(set(channels))
        _replace(body, target, _cut_conv(conv, keep))
        for target, module in chain[:-1]:
            _replace(body, target, _cut_per_channel(module, keep))
        cut[name] = keep
    return cut
