"""Objectives written as text: ``conv3_3:37``, ``conv3_3:37@neuron``, ``conv3_3:37-conv3_3:7*0.5``."""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from optim.errors import ObjectiveError


@dataclass(frozen=True)
class Term:
    """``weight`` times a channel's mean activation (or its centre unit, for a neuron)."""

    layer: str
    channel: int
    neuron: bool = False
    weight: float = 1.0

    def value(self, activation: torch.Tensor) -> torch.Tensor:
        """Per-image value from a (B, C, H, W) activation."""
        channel = activation[:, self.channel]
        if self.neuron:
            return self.weight * channel[:, channel.shape[1] // 2, channel.shape[2] // 2]
        return self.weight * channel.mean(dim=(1, 2))


_TERM = re.compile(r"([+-]?)\s*([A-Za-z_][\w.]*):(\d+)(@neuron)?(?:\*(\d+(?:\.\d*)?|\.\d+))?\s*")


def parse_objective(text: str) -> list[Term]:
    """Terms of a weighted sum of channels and neurons; a leading ``-`` negates a term."""
    terms, pos, text = [], 0, text.strip()
    while pos < len(text):
        match = _TERM.match(text, pos)
        if not match or (terms and not match.group(1)):
            raise ObjectiveError(
                f"cannot read objective {text!r} at {text[pos:]!r}; write LAYER:CHANNEL[@neuron][*WEIGHT] "
                "joined by + or -, e.g. conv3_3:37-conv3_3:7*0.5"
            )
        sign = -1.0 if match.group(1) == "-" else 1.0
        weight = float(match.group(5)) if match.group(5) else 1.0
        terms.append(Term(match.group(2), int(match.group(3)), bool(match.group(4)), sign * weight))
        pos = match.end()
    if not terms:
        raise ObjectiveError("empty objective; give LAYER:CHANNEL, e.g. conv3_3:37")
    return terms


def check_channels(terms: list[Term], channels: dict[str, int]) -> None:
    """Refuse channels outside each layer's range, naming the range."""
    for term in terms:
        count = channels[term.layer]
        if not 0 <= term.channel < count:
            raise ObjectiveError(
                f"channel {term.channel} is out of range: "
                f"{term.layer} has {count} channels (0 to {count - 1})"
            )


def evaluate(terms: list[Term], activations: dict[str, torch.Tensor]) -> torch.Tensor:
    """The objective per image, (B,), from activations keyed by layer name."""
    return sum(term.value(activations[term.layer]) for term in terms)
