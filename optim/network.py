"""The network a drawing is shown to: a torchvision model truncated at the target layers,
and the objectives read from its activations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch

from optim.channels import cut_to_channels
from optim.errors import ExciteError
from optim.models import Truncated, load_model, resolve_layer
from optim.objectives import Term, check_channels, evaluate, parse_objective
from optim.precision import autocast_dtype
from optim.settings import ExciteSettings


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` is CUDA when present, else the CPU; anything else is taken as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ExciteError(f"unknown device {name!r}; use auto, cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ExciteError(f"`device` {name}: no CUDA GPU is available here; use `device` cpu or auto")
    return device


class Network:
    """The truncated model and the parsed objective, checked against each other. Drawings
    with other channels of the same layers share it: ``terms_for`` checks theirs, and
    ``objectives`` shows all their views to the network in one batch."""

    def __init__(self, settings: ExciteSettings, device: torch.device, others: Sequence[str] = ()):
        """``others``: the objectives of the drawings that will share this network."""
        self.terms: list[Term] = parse_objective(settings.objective)
        model, self.weights_label = load_model(settings.model, settings.weights, settings.seed)
        layers = dict.fromkeys(t.layer for t in self.terms)  # resolve_layer traces: once a layer
        self.nodes = {layer: resolve_layer(model, layer, settings.model) for layer in layers}
        self.net = Truncated(model, sorted(set(self.nodes.values())))
        with torch.no_grad():  # one small forward tells every target layer's channel count
            shapes = {node: a.shape for node, a in self.net(torch.zeros(1, 3, 224, 224)).items()}
        self.channels = {layer: shapes[node][1] for layer, node in self.nodes.items()}
        check_channels(self.terms, self.channels)
        read: dict[str, list[int]] = {}
        for term in [*self.terms, *(t for o in others for t in self._parsed(o))]:
            read.setdefault(self.nodes[term.layer], []).append(term.channel)
        held = cut_to_channels(self.net.body, read)
        # where a layer was cut, channel c of the layer is entry index[layer][c] of its output
        self.index = {
            layer: {c: i for i, c in enumerate(held[node])}
            for layer, node in self.nodes.items()
            if node in held
        }
        # channels-last: oneDNN's and cuDNN's fastest convolutions take that layout
        self.net.to(device, memory_format=torch.channels_last)
        self.device = device
        self.autocast = autocast_dtype(settings.precision, device, self.net)

    @property
    def precision(self) -> str:
        """The arithmetic the steps run in: bf16 or fp32."""
        return "bf16" if self.autocast == torch.bfloat16 else "fp32"

    def terms_for(self, objective: str) -> list[Term]:
        """Another drawing's objective, on this network's layers and within the channels it
        computes (those of the objectives it was made for)."""
        terms = self._parsed(objective)
        missing = [t for t in terms if t.layer in self.index and t.channel not in self.index[t.layer]]
        if missing:
            raise ExciteError(
                f"{missing[0].layer}:{missing[0].channel} is not computed by this network; "
                "name its objective when the network is made"
            )
        return terms

    def _parsed(self, objective: str) -> list[Term]:
        terms = parse_objective(objective)
        others = sorted({t.layer for t in terms} - set(self.nodes))
        if others:
            raise ExciteError(
                f"drawings drawn together must target the same layers; {', '.join(others)} is not one"
            )
        check_channels(terms, self.channels)
        return terms

    def _held(self, term: Term) -> Term:
        """The term reading its channel where the cut layer's output holds it."""
        index = self.index.get(term.layer)
        return term if index is None else replace(term, channel=index[term.channel])

    def objective(self, images: torch.Tensor, exact: bool = False) -> torch.Tensor:
        """This network's objective for each image, (B,); ``exact`` in float32 whatever the
        steps use, for measurements that compare across precisions."""
        return self.objectives([images], [self.terms], exact)[0]

    def objectives(
        self, views: list[torch.Tensor], terms: list[list[Term]], exact: bool = False
    ) -> list[torch.Tensor]:
        """Each drawing's views' objective values, (B_i,), from one forward pass of all views."""
        images = torch.cat(views).contiguous(memory_format=torch.channels_last)
        fast = self.autocast is not None and not exact
        with torch.autocast(self.device.type, dtype=self.autocast or torch.float32, enabled=fast):
            acts = self.net(images)
            values, start = [], 0
            for batch, own in zip(views, terms, strict=True):
                part = {layer: acts[node][start : start + len(batch)] for layer, node in self.nodes.items()}
                values.append(evaluate([self._held(t) for t in own], part).float())
                start += len(batch)
        return values
