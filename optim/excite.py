"""Find strokes that make a chosen channel or neuron of a CNN fire as strongly as possible.

Adam moves the control points (and, when asked, widths, colours or pen choices) of
random initial strokes; every step renders the drawing, shows the network a batch of
augmented views and follows minus the objective. For large drawings the result is then
tiled N x N and fine-tuned through random windows of the big canvas, so a fine-tuning
step costs what a base step costs. Checkpoints make long runs safe to interrupt:
resuming gives the same drawing as an uninterrupted run with the same seed.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from optim.allocator import keep_freed_memory
from optim.augment import Augment
from optim.errors import ExciteError
from optim.limits import describe, number, within
from optim.models import Truncated, load_model, resolve_layer
from optim.objectives import Term, check_channels, evaluate, parse_objective
from optim.render import StrokeScene, render
from optim.strokes import random_scene

COLOR_MODES = ("mono", "free", "pens")
# Pen choices: softmax temperature falls from the first to the second value over the
# first HARD_FROM of the base steps; from there on every stroke has exactly one pen.
PEN_TEMPERATURE = (1.0, 0.05)
HARD_FROM = 0.8
# The network's arithmetic. bf16 halves the work where the hardware has it (GPUs; CPUs with
# AMX or avx512_bf16) and is many times slower where it does not, so fp32 is the default.
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}
RATES = {"points": 1.0, "widths": 0.1, "colors": 0.01, "logits": 0.05}  # points: times settings.lr


@dataclass(frozen=True)
class ExciteSettings:
    """Everything that determines the result; stored in checkpoints and sidecars."""

    model: str = "vgg16"
    weights: str = "imagenet"
    objective: str = "conv3_3:37"
    paths: int = 200
    segments: tuple[int, int] = (1, 3)
    size: int = 224  # canvas side in pixels (of one tile)
    steps: int = 500
    lr: float = 1.0
    stroke_width: float = 1.0  # pixels of the canvas (mono and free colours)
    learn_widths: bool = False
    width_bounds: tuple[float, float] = (0.5, 4.0)  # multiples of stroke_width, when learned
    colors: str = "mono"  # mono: one pen; free: learned RGB; pens: one pen of the palette each
    palette: tuple[tuple[float, float, float], ...] = ()  # pens: RGB of each pen
    pen_widths: tuple[float, ...] = ()  # pens: line width of each pen in canvas pixels
    tile: int = 1  # the base drawing is repeated tile x tile times
    finetune_steps: int = 0  # steps on random windows of the tiled canvas
    augment: Augment = field(default_factory=Augment)
    seed: int = 0
    precision: str = "fp32"  # the network's arithmetic: fp32, or bf16 under autocast

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ExciteError(f"unknown precision {self.precision!r}; use one of {', '.join(PRECISIONS)}")
        if self.colors not in COLOR_MODES:
            raise ExciteError(f"unknown colour mode {self.colors!r}; use one of {', '.join(COLOR_MODES)}")
        pens = self.colors == "pens"
        if pens != bool(self.palette) or len(self.palette) != len(self.pen_widths):
            raise ExciteError(
                "pens mode needs a palette and one width per pen (give --pens), other modes none"
            )
        if pens and self.learn_widths:
            raise ExciteError(
                "--learn-widths does not combine with pens: each stroke draws at its pen's width"
            )
        a = self.augment
        for name, values in (
            ("paths", [self.paths]),
            ("segments", list(self.segments)),
            ("size", [self.size]),
            ("steps", [self.steps]),
            ("lr", [self.lr]),
            ("stroke_width", [self.stroke_width, *self.pen_widths]),
            ("tile", [self.tile]),
            ("finetune_steps", [self.finetune_steps]),
            ("batch", [a.batch]),
            ("input_size", [a.size]),
            ("perspective", [a.perspective]),
            ("crop_scale", list(a.crop_scale)),
            ("jitter", [a.jitter]),
            ("seed", [self.seed]),
        ):
            bad = [v for v in values if not within(name, v)]
            if bad:
                raise ExciteError(f"{name} must be {describe(name)}, got {number(bad[0])}")
        for name, (lo, hi) in (("segments", self.segments), ("crop_scale", a.crop_scale)):
            if lo > hi:
                raise ExciteError(f"{name} range {lo:g}-{hi:g} runs backwards; give the low end first")

    @property
    def canvas(self) -> int:
        """Side of the final canvas in pixels."""
        return self.size * self.tile


@dataclass
class Progress:
    step: int
    steps: int
    activation: float
    seconds: float
    phase: str  # "base" or "finetune"


@dataclass
class ExciteResult:
    scene: StrokeScene
    pens: torch.Tensor | None  # pens mode: index of each stroke's pen
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
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ExciteError(f"unknown device {name!r}; use auto, cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ExciteError(f"--device {name}: no CUDA GPU is available here; use --device cpu or auto")
    return device


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
        # channels-last: oneDNN's and cuDNN's fastest convolutions take that layout
        self.net.to(device, memory_format=torch.channels_last)
        self.device = device
        self.autocast = PRECISIONS[settings.precision]

    def objective(self, images: torch.Tensor) -> torch.Tensor:
        images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast(
            self.device.type, dtype=self.autocast or torch.float32, enabled=bool(self.autocast)
        ):
            acts = self.net(images)
            value = evaluate(self.terms, {layer: acts[node] for layer, node in self.nodes.items()})
        return value.float()


State = dict[str, torch.Tensor]


def _initial_state(settings: ExciteSettings, device: torch.device) -> State:
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
    state = {
        "points": scene.points,
        "segments": scene.segments,
        "widths": scene.widths,
        "colors": scene.colors,
    }
    if settings.colors == "pens":
        state["logits"] = torch.randn(settings.paths, len(settings.palette), generator=g)
    return {k: v.to(device) for k, v in state.items()}


def _tiled(state: State, settings: ExciteSettings) -> State:
    """The drawing repeated tile x tile times on the big canvas, row by row."""
    n, size = settings.tile, settings.size
    shifts = [
        torch.tensor([i * size, j * size], dtype=state["points"].dtype) for j in range(n) for i in range(n)
    ]
    tiled = {k: torch.cat([v] * n * n) for k, v in state.items() if k != "points"}
    tiled["points"] = torch.cat([state["points"].detach() + s.to(state["points"].device) for s in shifts])
    return {k: v.detach().clone() for k, v in tiled.items()}


def _pen_weights(state: State, settings: ExciteSettings, step: int) -> torch.Tensor:
    """(paths, pens) soft choice at this step's temperature, one-hot once annealed."""
    hard_from = int(HARD_FROM * settings.steps)
    if step >= hard_from:
        return torch.nn.functional.one_hot(state["logits"].argmax(1), len(settings.palette)).to(
            state["points"].dtype
        )
    hot, cold = PEN_TEMPERATURE
    temperature = hot * (cold / hot) ** (step / max(hard_from, 1))
    return torch.softmax(state["logits"] / temperature, dim=1)


def _scene(state: State, settings: ExciteSettings, step: int, canvas: int) -> StrokeScene:
    widths, colors = state["widths"], state["colors"]
    if settings.colors == "pens":
        weights = _pen_weights(state, settings, step)
        colors = weights @ torch.tensor(settings.palette, dtype=weights.dtype, device=weights.device)
        widths = weights @ torch.tensor(settings.pen_widths, dtype=weights.dtype, device=weights.device)
    return StrokeScene(
        points=state["points"],
        segments=state["segments"],
        widths=widths,
        colors=colors,
        opacities=torch.ones_like(widths),
        width=canvas,
        height=canvas,
    )


def _optimizer(state: State, settings: ExciteSettings) -> tuple[torch.optim.Adam, dict[str, torch.Tensor]]:
    """Adam over what this run learns: points always, then widths, colours or pen choices."""
    names = ["points"]
    names += ["widths"] if settings.learn_widths else []
    names += {"free": ["colors"], "pens": ["logits"], "mono": []}[settings.colors]
    params = {k: state[k].requires_grad_(True) for k in names}
    groups = [{"params": [p], "lr": RATES[k], "name": k} for k, p in params.items()]
    return torch.optim.Adam(groups), params


def _save(path: Path, payload: dict) -> None:
    """Write atomically: a crash mid-write never leaves a broken checkpoint."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


# Bytes a run holds per pixel: of the canvas (image, coverage, gradients, the final render),
# and of each view the network sees (activations kept for backward; VGG16 to conv4_3 keeps
# about 1.5 kB a pixel). Rough on purpose: they refuse runs that cannot fit, no more.
CANVAS_BYTES_PER_PIXEL = 64
VIEW_BYTES_PER_PIXEL = 2_048


def memory_needed(settings: ExciteSettings) -> int:
    """About how many bytes a run of ``settings`` needs at its peak."""
    views = settings.augment.batch * settings.augment.size**2
    return CANVAS_BYTES_PER_PIXEL * settings.canvas**2 + VIEW_BYTES_PER_PIXEL * views


def memory_available(device: torch.device) -> int:
    """Free memory on ``device``: the GPU's, or what the system can give without swapping."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _too_big(settings: ExciteSettings, needed: int, available: int) -> ExciteError:
    return ExciteError(
        f"this run needs about {needed / 2**30:.1f} GiB (a {settings.canvas} px canvas, "
        f"{settings.augment.batch} views of {settings.augment.size} px) and {available / 2**30:.1f} GiB "
        "is free; use a smaller --size, --tile, --batch or --input-size"
    )


def excite(
    settings: ExciteSettings,
    *,
    device: str = "auto",
    checkpoint: Path | None = None,
    resume: bool = False,
    checkpoint_every: float = 10.0,
    progress: Callable[[Progress], None] | None = None,
) -> ExciteResult:
    """Run (or resume) the optimization; Ctrl-C saves the checkpoint, then re-raises.

    A run that cannot fit in memory is refused before it starts, and one that runs out
    anyway stops with ``ExciteError`` (its last checkpoint kept) rather than a traceback."""
    dev = pick_device(device)
    keep_freed_memory()
    needed, available = memory_needed(settings), memory_available(dev)
    if needed > available:
        raise _too_big(settings, needed, available)
    try:
        return _excite(settings, dev, checkpoint, resume, checkpoint_every, progress)
    except (torch.OutOfMemoryError, RuntimeError) as exc:
        if isinstance(exc, torch.OutOfMemoryError) or "allocate" in str(exc):
            raise _too_big(settings, needed, memory_available(dev)) from None
        raise


def _excite(
    settings: ExciteSettings,
    dev: torch.device,
    checkpoint: Path | None,
    resume: bool,
    checkpoint_every: float,
    progress: Callable[[Progress], None] | None,
) -> ExciteResult:
    network = Network(settings, dev)
    state = _initial_state(settings, dev)
    tiled_from = settings.steps if settings.tile > 1 else None  # steps done when tiling happens
    total = settings.steps + settings.finetune_steps

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
        start, elapsed, initial = saved["step"], saved["seconds"], saved["initial_activation"]
        if tiled_from is not None and start >= tiled_from:
            state = _tiled(state, settings)
        state = {k: saved["state"][k].to(dev) for k in state}
        adam, params = _optimizer(state, settings)
        adam.load_state_dict(saved["adam"])
        torch.set_rng_state(saved["rng"])
    else:
        start, elapsed = 0, 0.0
        with torch.no_grad():
            initial = float(network.objective(render(_scene(state, settings, 0, settings.size))[None]).mean())
        adam, params = _optimizer(state, settings)
        torch.manual_seed(settings.seed)

    # Steps completed, and the RNG state at the start of the next one: what resume needs.
    done, rng_next = start, torch.get_rng_state()

    def save() -> None:
        if checkpoint is not None:
            payload = {
                "settings": dataclasses.asdict(settings),
                "step": done,
                "seconds": elapsed + time.perf_counter() - t0,
                "initial_activation": initial,
                "rng": rng_next,
                "adam": adam.state_dict(),
                "state": {k: v.detach().cpu() for k, v in state.items()},
            }
            _save(checkpoint, payload)

    t0 = last_save = time.perf_counter()
    try:
        for step in range(start, total):
            finetune = step >= settings.steps
            phase_step, phase_steps = (
                (step - settings.steps, settings.finetune_steps) if finetune else (step, settings.steps)
            )
            for group in adam.param_groups:
                scale = settings.lr if group["name"] == "points" else 1.0
                group["lr"] = RATES[group["name"]] * scale * lr_factor(phase_step, phase_steps)
            adam.zero_grad(set_to_none=True)
            canvas = settings.canvas if done >= settings.steps else settings.size
            window = None
            if canvas > settings.size:
                x0, y0 = (int(v) for v in torch.randint(0, canvas - settings.size + 1, (2,)))
                window = (x0, y0, settings.size, settings.size)
            image = render(_scene(state, settings, step, canvas), window=window)
            if not image.requires_grad:  # the window holds no stroke: nothing to learn here
                done, rng_next = step + 1, torch.get_rng_state()
                continue
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
            if step + 1 == tiled_from:
                state = _tiled(state, settings)
                adam, params = _optimizer(state, settings)
            done, rng_next = step + 1, torch.get_rng_state()
            if progress is not None:
                seconds = elapsed + time.perf_counter() - t0
                progress(
                    Progress(step + 1, total, activation.item(), seconds, "finetune" if finetune else "base")
                )
            if checkpoint is not None and time.perf_counter() - last_save >= checkpoint_every:
                save()
                last_save = time.perf_counter()
    except KeyboardInterrupt:
        save()  # an unfinished step is redone on resume, from the same random state
        raise
    save()
    final_state = {k: v.detach().cpu() for k, v in state.items()}
    scene = _scene(final_state, settings, total, settings.canvas)
    with torch.no_grad():
        final = float(network.objective(render(_scene(state, settings, total, settings.canvas))[None]).mean())
    return ExciteResult(
        scene=scene,
        pens=final_state["logits"].argmax(1) if settings.colors == "pens" else None,
        initial_activation=initial,
        final_activation=final,
        seconds=elapsed + time.perf_counter() - t0,
        weights_label=network.weights_label,
        settings=settings,
    )
