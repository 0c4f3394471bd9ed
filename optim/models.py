"""Torchvision classifiers, their weights, and truncation at a target layer.

Friendly layer names: VGG convolutions as ``conv3_3`` (the convolution's output, before
its ReLU, so the objective has a gradient even where the unit is off) and ``relu3_3``
(after it: never negative, as in Lucid and caffe's blobs), and any module
name such as ResNet's ``layer3`` or ``layer3.1``; raw torchvision graph node names work
too. Only what the target layers need is computed.
"""

from __future__ import annotations

import contextlib
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

from optim.errors import ModelError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def classification_models() -> list[str]:
    """Names of torchvision's ImageNet classification models."""
    return sorted(torchvision.models.list_models(module=torchvision.models))


# Auxiliary classifiers are never needed to reach a feature layer; trained weights of these
# models expect inputs in their own normalization, which transform_input applies.
_AUX_MODELS = ("googlenet", "inception_v3")


def _build(name: str, trained: bool) -> nn.Module:
    if name not in classification_models():
        close = difflib.get_close_matches(name, classification_models(), n=4)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see torchvision's model list"
        raise ModelError(f"unknown model {name!r}{hint}")
    kwargs = (
        {"aux_logits": False, "init_weights": False, "transform_input": trained}
        if name in _AUX_MODELS
        else {}
    )
    return torchvision.models.get_model(name, weights=None, **kwargs)


def _imagenet_state_dict(name: str) -> tuple[dict, str]:
    weights = torchvision.models.get_model_weights(name).DEFAULT
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    if not cached.exists():
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # torch.hub announces downloads there
                torch.hub.load_state_dict_from_url(weights.url, progress=False, check_hash=True)
        except Exception as exc:  # no network, proxy, disk: all end the same way for the user
            raise ModelError(
                f"cannot download {weights} ({type(exc).__name__}); offline, put {Path(weights.url).name} "
                f"in {cached.parent} or give a state dict file as `weights`"
            ) from None
    return torch.load(cached, map_location="cpu", weights_only=True), f"imagenet ({weights})"


def load_model(name: str, weights: str = "imagenet", seed: int = 0) -> tuple[nn.Module, str]:
    """The model in eval mode with frozen parameters, and a label of its weights.

    ``weights`` is ``imagenet`` (torchvision's, cached in TORCH_HOME), ``random``
    (seeded initialization, for demos and tests), or the path of a state dict file.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _build(name, trained=weights != "random")
    if weights == "random":
        label = f"random (untrained, seed {seed})"
    else:
        if weights == "imagenet":
            state, label = _imagenet_state_dict(name)
        else:
            path = Path(weights)
            if not path.is_file():
                raise ModelError(f"weights file {path} not found; give a state dict file, imagenet or random")
            try:
                state = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as exc:
                raise ModelError(f"{path} is not a PyTorch state dict ({type(exc).__name__})") from None
            if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
                state = state["state_dict"]
            label = f"file {path.resolve()}"
        if not isinstance(state, dict):
            raise ModelError(f"{weights}: expected a state dict (parameter name -> tensor)")
        if name in _AUX_MODELS:
            state = {k: v for k, v in state.items() if not k.startswith(("aux1.", "aux2.", "AuxLogits."))}
        result = model.load_state_dict(state, strict=False)
        wrong_shape = [
            k for k, v in state.items() if k in model.state_dict() and v.shape != model.state_dict()[k].shape
        ]
        if result.missing_keys or result.unexpected_keys or wrong_shape:
            raise ModelError(
                f"{weights} does not fit {name}: {len(result.missing_keys)} missing, "
                f"{len(result.unexpected_keys)} unexpected parameters; was it saved from another "
                "`model`? name that one"
            )
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, label


def friendly_layers(model: nn.Module) -> dict[str, str]:
    """Friendly layer name -> torchvision node or module name."""
    names: dict[str, str] = {}
    features = getattr(model, "features", None)
    if isinstance(model, torchvision.models.VGG) and isinstance(features, nn.Sequential):
        block, conv = 1, 0
        for i, module in enumerate(features):
            if isinstance(module, nn.Conv2d):
                conv += 1
                names[f"conv{block}_{conv}"] = f"features.{i}"
            elif isinstance(module, nn.ReLU):
                names[f"relu{block}_{conv}"] = f"features.{i}"
            elif isinstance(module, nn.MaxPool2d):
                names[f"pool{block}"] = f"features.{i}"
                block, conv = block + 1, 0
    for module_name, _ in model.named_modules():
        if module_name and module_name.count(".") <= 1 and module_name not in names:
            names[module_name] = module_name
    return names


def resolve_layer(model: nn.Module, layer: str, name: str) -> str:
    """The graph node whose output ``layer`` is, or a ModelError listing close names; ``name``
    is the model as the user typed it (torchvision's class names differ: mobilenetv2)."""
    friendly = friendly_layers(model)
    _, nodes = get_graph_node_names(model)
    if layer in friendly or layer in nodes:
        return _output_node(nodes, friendly.get(layer, layer))
    close = difflib.get_close_matches(layer, [*friendly, *nodes], n=5, cutoff=0.5)
    hint = f"; close names: {', '.join(close)}" if close else ""
    raise ModelError(f"unknown layer {layer!r} for {name}{hint} (plotkit layers {name} lists them)")


@dataclass
class LayerInfo:
    name: str
    node: str
    channels: int
    height: int
    width: int


def list_layers(model: nn.Module, size: int = 224) -> list[LayerInfo]:
    """Friendly layers with 4-D outputs, their channel counts and map sizes at ``size``."""
    friendly = friendly_layers(model)
    aliased = {node for name, node in friendly.items() if name != node}
    layers = {
        name: node
        for name, node in friendly.items()
        if not name.startswith(("fc", "classifier", "aux")) and (name != node or node not in aliased)
    }
    with torch.no_grad():
        try:
            outs = Truncated(model, sorted(set(layers.values())))(torch.zeros(1, 3, size, size))
        except Exception:  # a module with no single tensor output: fall back to one at a time
            outs = {}
            for node in set(layers.values()):
                try:
                    outs[node] = Truncated(model, [node])(torch.zeros(1, 3, size, size))[node]
                except Exception:
                    continue
    return [
        LayerInfo(name, node, *outs[node].shape[1:])
        for name, node in layers.items()
        if node in outs and isinstance(outs[node], torch.Tensor) and outs[node].ndim == 4
    ]


def _output_node(nodes: list[str], name: str) -> str:
    """The graph node whose output ``name`` is: itself, or a module's last node."""
    matches = [n for n in nodes if n == name or n.startswith(f"{name}.")]
    return matches[-1] if matches else name  # unknown: torchvision's extractor names it


def graph_nodes(model: nn.Module, names: list[str]) -> dict[str, str]:
    """Each name's graph node. Torchvision's feature extractor lets a graph node answer
    one requested name only, so ``features`` and ``features.12`` (the same output) asked
    together would hand one of them the node before; asking for graph nodes avoids that."""
    _, nodes = get_graph_node_names(model)
    return {name: _output_node(nodes, name) for name in names}


class Truncated(nn.Module):
    """ImageNet normalization, then the network up to the given nodes only."""

    def __init__(self, model: nn.Module, nodes: list[str]):
        super().__init__()
        self.nodes = graph_nodes(model, nodes)
        distinct = sorted(set(self.nodes.values()))
        self.body = create_feature_extractor(model, {n: n for n in distinct})
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.body((images - self.mean) / self.std)
        return {name: out[node] for name, node in self.nodes.items()}
