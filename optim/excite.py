"""Find strokes that make a chosen channel or neuron of a CNN fire as strongly as possible.

Adam moves the control points (and, when asked, widths and colours) of random initial
strokes; every step renders the drawing, shows the network a batch of augmented views
and follows minus the objective. Checkpoints make long runs safe to interrupt: resuming
gives the same drawing as an uninterrupted run with the same seed.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from optim.augment import Augment
from optim.models import Truncated, load_model, resolve_layer
from optim.objectives import Term, check_channels, evaluate, parse_objective
from optim.render import StrokeScene, render
from optim.strokes import random_scene

COLOR_MODES = ("mono", "free")


class ExciteError(RuntimeError):
    """Settings out of range, or an optimization that cannot go on (non-finite loss or
    gradients, a checkpoint made with other settings)."""


@dataclass(frozen=True)
class ExciteSettings:
    """Everything that determines the result; stored in checkpoints and sidecars."""

    model: str = "vgg16"
    weights: str = "imagenet"
    objective: str = "conv3_3:37"
    paths: int = 200
    segments: tuple[int, int] = (1, 3)
    size: int = 224  # canvas side in pixels
    steps: int = 500
    lr: float = 1.0
    stroke_width: float = 1.0  # pixels of the canvas
    learn_widths: bool = False
    width_bounds: tuple[float, float] = (0.5, 4.0)  # multiples of stroke_width, when learned
    colors: str = "mono"  # mono: one pen; free: learned RGB
    augment: Augment = field(default_factory=Augment)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.colors not in COLOR_MODES:
            raise ExciteError(f"unknown colour mode {self.colors!r}; use one of {', '.join(COLOR_MODES)}")
        lo, hi = self.segments
        for name, ok in (
            ("paths", self.paths >= 1),
            ("steps", self.steps >= 1),
            ("size", self.size >= 32),
            ("stroke width", self.stroke_width > 0),
            ("segments", 1 <= lo <= hi),
        ):
            if not ok:
                raise ExciteError(f"{name} out of range; see --help for the allowed values")


@dataclass
class Progress:
    step: int
    steps: int
    activation: float
    seconds: float


@dataclass
class ExciteResult:
    scene: StrokeScene
    initial_activation: float
    final_activation: float
    seconds: float
    weights_label: str
    settings: ExciteSettings


def lr_factor(step: int, steps: int) -> float:
    """The write-up's schedule: full rate, half from mid-run, a fifth from three quarters."""
    return 1.0 if step < steps // 2 else 0.5 if step < (3 * steps) // 4 else 0.2


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` is CUDA when present, else the CPU; anything else is taken as given."""
    if name != "auto":
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Network:
    """The truncated model and the parsed objective, checked against each other."""

    def __init__(self, settings: ExciteSettings, device: torch.device):
        self.terms: list[Term] = parse_objective(settings.objective)
        model, self.weights_label = load_model(settings.model, settings.weights, settings.seed)
        self.nodes = {t.layer: resolve_layer(model, t.layer) for t in self.terms}
        self.net = Truncated(model, sorted(set(self.nodes.values())))
        with torch.no_grad():  # one small forward tells every target layer's channel count
            shapes = {node: a.shape for node, a in self.net(torch.zeros(1, 3, 224, 224)).items()}
        check_channels(self.terms, {layer: shapes[node][1] for layer, node in self.nodes.items()})
        self.net.to(device)

    def objective(self, images: torch.Tensor) -> torch.Tensor:
        acts = self.net(images)
        return evaluate(self.terms, {layer: acts[node] for layer, node in self.nodes.items()})


def _initial_state(settings: ExciteSettings, device: torch.device) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(settings.seed)
    colors = torch.rand(settings.paths, 3, generator=g) if settings.colors == "free" else None
    scene = random_scene(
        settings.paths,
        settings.size,
        settings.size,
        segments=settings.segments,
        stroke_width=settings.stroke_width,
        colors=colors,
        generator=g,
    )
    return {
        "points": scene.points.to(device),
        "segments": scene.segments,
        "widths": scene.widths.to(device),
        "colors": scene.colors.to(device),
    }


def _scene(state: dict[str, torch.Tensor], settings: ExciteSettings) -> StrokeScene:
    return StrokeScene(
        points=state["points"],
        segments=state["segments"],
        widths=state["widths"],
        colors=state["colors"],
        opacities=torch.ones_like(state["widths"]),
        width=settings.size,
        height=settings.size,
    )


def _save(path: Path, payload: dict) -> None:
    """Write atomically: a crash mid-write never leaves a broken checkpoint."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def excite(
    settings: ExciteSettings,
    *,
    device: str = "auto",
    checkpoint: Path | None = None,
    resume: bool = False,
    checkpoint_every: float = 10.0,
    progress: Callable[[Progress], None] | None = None,
) -> ExciteResult:
    """Run (or resume) the optimization; Ctrl-C saves the checkpoint, then re-raises."""
    dev = pick_device(device)
    network = Network(settings, dev)
    state = _initial_state(settings, dev)
    params = {"points": state["points"].requires_grad_(True)}
    if settings.learn_widths:
        params["widths"] = state["widths"].requires_grad_(True)
    if settings.colors == "free":
        params["colors"] = state["colors"].requires_grad_(True)
    rates = {"points": settings.lr, "widths": 0.1, "colors": 0.01}
    adam = torch.optim.Adam([{"params": [p], "lr": rates[k], "name": k} for k, p in params.items()])
    if resume:
        if checkpoint is None or not checkpoint.exists():
            raise ExciteError(
                f"no checkpoint at {checkpoint} to resume; run without --resume to start afresh"
            )
        saved = torch.load(checkpoint, map_location=dev, weights_only=False)
        if saved["settings"] != dataclasses.asdict(settings):
            raise ExciteError(
                f"{checkpoint} was made with other settings; use the same options, or run without --resume"
            )
        with torch.no_grad():
            for k in ("points", "widths", "colors"):
                state[k].copy_(saved[k])
        adam.load_state_dict(saved["adam"])
        torch.set_rng_state(saved["rng"])
        start, elapsed, initial = saved["step"], saved["seconds"], saved["initial_activation"]
    else:
        start, elapsed = 0, 0.0
        with torch.no_grad():
            initial = float(network.objective(render(_scene(state, settings))[None]).mean())
        torch.manual_seed(settings.seed)

    # Steps completed, and the RNG state at the start of the next one: what resume needs.
    done, rng_next = start, torch.get_rng_state()

    def save() -> None:
        if checkpoint is not None:
            _save(
                checkpoint,
                {
                    "settings": dataclasses.asdict(settings),
                    "step": done,
                    "seconds": elapsed + time.perf_counter() - t0,
                    "initial_activation": initial,
                    "rng": rng_next,
                    "adam": adam.state_dict(),
                    **{k: state[k].detach().cpu() for k in ("points", "widths", "colors")},
                },
            )

    t0 = last_save = time.perf_counter()
    try:
        for step in range(start, settings.steps):
            for group in adam.param_groups:
                group["lr"] = rates[group["name"]] * lr_factor(step, settings.steps)
            adam.zero_grad(set_to_none=True)
            image = render(_scene(state, settings))
            value = network.objective(settings.augment(image)).mean()
            activation = value.detach()
            (-value).backward()
            grads = [p.grad for p in params.values() if p.grad is not None]
            if not torch.isfinite(value) or not all(torch.isfinite(g).all() for g in grads):
                raise ExciteError(
                    f"step {step}: the objective or its gradient is not finite; nothing was written. "
                    "Try a lower --lr"
                )
            adam.step()
            with torch.no_grad():
                lo, hi = settings.width_bounds
                state["widths"].clamp_(lo * settings.stroke_width, hi * settings.stroke_width)
                state["colors"].clamp_(0, 1)
            done, rng_next = step + 1, torch.get_rng_state()
            if progress is not None:
                progress(
                    Progress(step + 1, settings.steps, activation.item(), elapsed + time.perf_counter() - t0)
                )
            if checkpoint is not None and time.perf_counter() - last_save >= checkpoint_every:
                save()
                last_save = time.perf_counter()
    except KeyboardInterrupt:
        save()  # an unfinished step is redone on resume, from the same random state
        raise
    save()
    with torch.no_grad():
        final = float(network.objective(render(_scene(state, settings))[None]).mean())
    return ExciteResult(
        scene=_scene({k: v.detach().cpu() for k, v in state.items()}, settings),
        initial_activation=initial,
        final_activation=final,
        seconds=elapsed + time.perf_counter() - t0,
        weights_label=network.weights_label,
        settings=settings,
    )
