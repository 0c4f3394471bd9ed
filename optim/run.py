"""One drawing's run: its steps, its own random stream and its checkpoint.

A step is split in two around the network, ``begin`` (render and views) and ``end``
(Adam, respawning, tiling), so that several drawings can show their views to one network
in a single batch (``optim.excite.excite_batch``) and still each follow exactly the steps
it would follow alone: each keeps its own random state, swapped in around whatever draws
random numbers, and that state is what its checkpoint stores.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch

from optim import economy
from optim.atomic import atomic_file
from optim.coverage import ink_coverage
from optim.economy import stroke_costs, worth
from optim.errors import ExciteError, OverBudget, Overdrawn
from optim.network import Network
from optim.objectives import Term
from optim.render import StrokeScene, render
from optim.settings import ExciteSettings
from optim.state import (
    PENS_CHOSEN_AT,
    RATES,
    Crowded,
    canvas_strengths,
    drawing_of,
    initial_state,
    keep_pens,
    optimizer,
    respawn,
    respawn_due,
    scene_of,
    state_from_scene,
    steer,
    steer_due,
    tiled,
)
from optim.windows import window_corner


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
    precision: str  # the arithmetic the steps ran in: bf16 or fp32
    coverage: float  # share of the canvas the drawing inks


class Measure(Protocol):
    """Exact measures of a finished drawing, given its strokes on the final canvas and, in pens
    mode, each stroke's pen: say, the plotter's time for them, and the ink on each spot."""

    def __call__(self, scene: StrokeScene, pens: torch.Tensor | None) -> float:
        """What the drawing costs of ``ExciteSettings.budget``."""

    def crowded(self, scene: StrokeScene, pens: torch.Tensor | None, order: torch.Tensor) -> torch.Tensor:
        """Which strokes to leave out, taken in ``order`` (the strongest first), so that no
        spot takes ink more than ``ExciteSettings.max_overdraw`` times."""


def lr_factor(step: int, steps: int) -> float:
    """The write-up's schedule: full rate, half from mid-run, a fifth from three quarters."""
    return 1.0 if step < steps // 2 else 0.5 if step < (3 * steps) // 4 else 0.2


def settings_differ(saved: dict, settings: ExciteSettings) -> list[str]:
    """Names of the settings a checkpoint's or sidecar's ``saved`` settings do not share with
    ``settings``; compared as JSON, where a checkpoint's tuples are a sidecar's lists."""
    now, saved = (json.loads(json.dumps(d)) for d in (dataclasses.asdict(settings), saved))
    return sorted(k for k in {*saved, *now} if saved.get(k) != now.get(k))


def _save(path: Path, payload: dict) -> None:
    """Write atomically: a crash mid-write never leaves a broken checkpoint."""
    with atomic_file(path) as f:
        torch.save(payload, f)


class Run:
    """One drawing, fresh or resumed from ``checkpoint``, on a network it may share."""

    def __init__(
        self,
        settings: ExciteSettings,
        network: Network,
        terms: list[Term],
        device: torch.device,
        checkpoint: Path | None = None,
        resume: bool = False,
        initial: StrokeScene | None = None,
        measure: Measure | None = None,
    ):
        self.settings, self.network, self.terms, self.checkpoint = settings, network, terms, checkpoint
        self.measure = measure
        # a study's strokes (plotkit's --from) stand for the base steps (a resume only takes the keys)
        self.state = (
            state_from_scene(initial, settings, device)
            if initial is not None
            else initial_state(settings, device)
        )
        self.tiled_from = settings.steps if settings.tile > 1 else None  # steps done when tiled
        self.total = settings.steps + settings.finetune_steps
        if resume:
            if checkpoint is None or not checkpoint.exists():
                raise ExciteError(
                    f"no checkpoint at {checkpoint} to resume; run without `resume` to start afresh"
                )
            saved = torch.load(checkpoint, map_location=device, weights_only=False)
            differ = settings_differ(saved["settings"], settings)
            if differ:
                raise ExciteError(
                    f"{checkpoint} was made with other settings ({', '.join(differ)}); use the same "
                    f"settings to go on, or delete {checkpoint.name} to start afresh"
                )
            self.done, self.elapsed, self.initial = (
                saved["step"],
                saved["seconds"],
                saved["initial_activation"],
            )
            if self.tiled_from is not None and self.done >= self.tiled_from:
                self.state = tiled(self.state, settings)
            self.state = {k: saved["state"][k].to(device) for k in self.state}
            self.adam, self.params = optimizer(self.state, settings)
            self.adam.load_state_dict(saved["adam"])
            self.rng = saved["rng"]
        else:
            self.done, self.elapsed = (settings.steps if initial is not None else 0), 0.0
            with torch.no_grad():
                image = render(scene_of(self.state, settings, 0, settings.size))
                self.initial = float(self.objective(image[None], exact=True).mean())
            if initial is not None and self.tiled_from is not None:
                self.state = tiled(self.state, settings)
            self.adam, self.params = optimizer(self.state, settings)
            self.rng = torch.Generator().manual_seed(settings.seed).get_state()
        self.rng_done = self.rng  # after the last finished step: what a checkpoint keeps
        self.t0 = time.perf_counter()

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def untiled(self) -> bool:
        """The run tiles its drawing later: the state holds one tile of it."""
        return self.tiled_from is not None and self.done < self.tiled_from

    @property
    def seconds(self) -> float:
        return self.elapsed + time.perf_counter() - self.t0

    def objective(self, images: torch.Tensor, exact: bool = False) -> torch.Tensor:
        return self.network.objectives([images], [self.terms], exact)[0]

    @contextmanager
    def _own_random_state(self) -> Iterator[None]:
        """Draw from this run's random stream, whatever other runs drew in between."""
        torch.set_rng_state(self.rng)
        try:
            yield
        finally:
            self.rng = torch.get_rng_state()

    def begin(self) -> torch.Tensor | None:
        """This step's views of the drawing, or None when its window holds no stroke (the
        step is then done: there is nothing to learn there)."""
        s, step = self.settings, self.done
        finetune = step >= s.steps
        phase_step, phase_steps = (step - s.steps, s.finetune_steps) if finetune else (step, s.steps)
        for group in self.adam.param_groups:
            scale = s.lr if group["name"] == "points" else 1.0
            group["lr"] = RATES[group["name"]] * scale * lr_factor(phase_step, phase_steps)
        self.adam.zero_grad(set_to_none=True)
        canvas = s.canvas if finetune else s.size
        with self._own_random_state():
            window = None
            if canvas > s.size:
                window = (*window_corner(canvas, s.size), s.size, s.size)
            scene = scene_of(self.state, s, step, canvas)
            pixels = s.augment.resolution(s.size)
            if pixels < s.size:  # the views see no finer: render only what they see
                x0, y0 = window[:2] if window is not None else (0, 0)
                scene, window = scene.framed(x0, y0, s.size, pixels), None
            image = render(scene, window=window)
            views = s.augment(image, drawing=s.size) if image.requires_grad else None
        if views is None:
            self.done, self.rng_done = step + 1, self.rng
        return views

    def end(self, value: torch.Tensor) -> Progress:
        """After backward of this step's objective ``value``: Adam, then the moves that come
        every so many steps."""
        s, step = self.settings, self.done
        grads = [p.grad for p in self.params.values() if p.grad is not None]
        if not torch.isfinite(value) or not all(torch.isfinite(g).all() for g in grads):
            raise ExciteError(
                f"step {step}: the objective or its gradient is not finite; nothing was written. "
                "Try a lower `lr`"
            )
        self.adam.step()
        with torch.no_grad():
            lo, hi = s.width_bounds
            self.state["widths"].clamp_(lo * s.stroke_width, hi * s.stroke_width)
            self.state["colors"].clamp_(0, 1)
        finetune = step >= s.steps
        if not finetune and respawn_due(s, step + 1):
            scale = self._cost_scale()
            with self._own_random_state():
                respawn(
                    self.state, s, self.objective, self.adam, self.params, step + 1, scale, self._crowded()
                )
        if steer_due(s, step + 1):
            steer(self.state, s, self.objective, self.params, self._cost_scale(), self._crowded())
        if s.max_pens is not None and step + 1 == int(PENS_CHOSEN_AT * s.steps):
            keep_pens(self.state, s, step + 1)
        if step + 1 == self.tiled_from:
            self.state = tiled(self.state, s)
            self.adam, self.params = optimizer(self.state, s)
        self.done, self.rng_done = step + 1, self.rng
        return Progress(step + 1, self.total, float(value), self.seconds, "finetune" if finetune else "base")

    def _finished_drawing(self) -> tuple[StrokeScene, torch.Tensor | None, torch.Tensor]:
        """``drawing_of`` the state as it stands, tiled if it is yet to be, with the stroke of
        this run's state each part comes from."""
        s = self.settings
        state = {k: v.detach().cpu() for k, v in self.state.items()}
        n = len(state["active"])
        if self.untiled:
            state = tiled(state, s)
        scene, pens, parents = drawing_of(state, s)
        return scene, pens, torch.nonzero(state["active"]).flatten()[parents] % n

    def _crowded(self) -> Crowded | None:
        """The strokes over ``max_overdraw`` on the drawing as it stands, by strength; None
        without the limit."""
        if self.settings.max_overdraw is None or self.measure is None:
            return None
        measure = self.measure

        def crowded(strength: torch.Tensor) -> torch.Tensor:
            scene, pens, parents = self._finished_drawing()
            order = torch.argsort(strength.cpu()[parents], descending=True, stable=True)
            out = torch.zeros(len(strength), dtype=torch.bool)
            out[parents[measure.crowded(scene, pens, order)]] = True
            return out.to(strength.device)

        return crowded

    def _cost_scale(self) -> float:
        """The budget's exact measure over its proxy, on the drawing as it stands (tiled, on
        its canvas): the proxy steers the moves, corrected by this at each."""
        s = self.settings
        if s.budget is None or self.measure is None:
            return 1.0
        scene, pens, _ = self._finished_drawing()
        copies = s.tile**2 if self.untiled else 1
        points, segments, active = (self.state[k].detach().cpu() for k in ("points", "segments", "active"))
        proxy = float(stroke_costs(points, segments, s.stroke_cost, copies)[active].sum())
        return self.measure(scene, pens) / proxy if proxy > 0 else 1.0

    def save(self) -> None:
        """Checkpoint the steps done (an unfinished step is redone on resume, from the same
        random state)."""
        if self.checkpoint is None:
            return
        payload = {
            "settings": dataclasses.asdict(self.settings),
            "step": self.done,
            "seconds": self.seconds,
            "initial_activation": self.initial,
            "rng": self.rng_done,
            "adam": self.adam.state_dict(),
            "state": {k: v.detach().cpu() for k, v in self.state.items()},
        }
        _save(self.checkpoint, payload)

    def result(self) -> ExciteResult:
        s = self.settings
        scene, pens, parents = drawing_of({k: v.detach().cpu() for k, v in self.state.items()}, s)
        if self.measure is not None and (s.budget is not None or s.max_overdraw is not None):
            strength, presence = canvas_strengths(self.state, s, self.objective, self.params, self.total)
            strength = strength[self.state["active"]].cpu()[parents]
            presence = presence[self.state["active"]].cpu()[parents]
            if s.max_overdraw is not None:
                order = torch.argsort(strength, descending=True, stable=True)
                keep = ~self.measure.crowded(scene, pens, order)
                if scene.n_paths and not keep.any():
                    raise Overdrawn(
                        "no stroke of the finished drawing keeps within its overdraw limit, even alone; "
                        "give a larger limit",
                        _without(scene, pens, order[1:]),
                    )
                (scene, pens), strength, presence = _kept(scene, pens, keep), strength[keep], presence[keep]
            if s.budget is not None:
                scene, pens = self._trimmed(scene, pens, strength, presence)
        final = self._activation(scene)
        return ExciteResult(
            scene=scene,
            pens=pens,
            initial_activation=self.initial,
            final_activation=final,
            seconds=self.seconds,
            weights_label=self.network.weights_label,
            settings=s,
            precision=self.network.precision,
            coverage=ink_coverage(scene),
        )

    def _trimmed(
        self, scene: StrokeScene, pens: torch.Tensor | None, strength: torch.Tensor, presence: torch.Tensor
    ) -> tuple[StrokeScene, torch.Tensor | None]:
        """The drawing within its budget, as few strokes dropped as the exact measure allows
        (bisection: the cost falls as strokes go). Dropped first are those giving least for
        their cost: ``economy.worth`` (of their ``strength`` and ``presence`` over the budget's
        proxy) names the candidates, ``economy.TRIM_POOL`` times as many as it would drop, and
        among them what the drawing measurably loses without each, over its cost, decides.
        ``OverBudget`` when not even the best fits alone (the run grew or moved it past the budget)."""
        assert self.measure is not None and self.settings.budget is not None
        if self.measure(scene, pens) <= self.settings.budget:
            return scene, pens
        costs = stroke_costs(scene.points, scene.segments, self.settings.stroke_cost, 1).to(strength)
        order = torch.argsort(worth(strength, presence, costs), stable=True)
        dropped = self._fewest_dropped(scene, pens, order)
        if dropped < scene.n_paths:
            pool = order[: min(economy.TRIM_POOL * dropped, economy.TRIM_MOST)]
            full = self._activation(scene)
            lost = torch.tensor([full - self._activation(_without(scene, None, i[None])[0]) for i in pool])
            by = lost.to(costs) / costs[pool].clamp(min=torch.finfo(costs.dtype).tiny)
            order = torch.cat([pool[torch.argsort(by, stable=True)], order[len(pool) :]])
            dropped = self._fewest_dropped(scene, pens, order)
        if dropped == scene.n_paths:
            alone = _without(scene, pens, order[:-1])
            raise OverBudget(
                f"no stroke of the finished drawing fits its budget: the best alone takes "
                f"{self.measure(*alone):.2f} of it; give a larger budget",
                alone,
            )
        return _without(scene, pens, order[:dropped])

    def _fewest_dropped(self, scene: StrokeScene, pens: torch.Tensor | None, order: torch.Tensor) -> int:
        """How many strokes, dropped in ``order``, bring the drawing within its budget (all of
        them if even the last alone is over it)."""
        assert self.measure is not None and self.settings.budget is not None
        lo, hi = 0, scene.n_paths  # over the budget with lo dropped; within it with hi (nothing)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.measure(*_without(scene, pens, order[:mid])) <= self.settings.budget:
                hi = mid
            else:
                lo = mid
        return hi

    def _activation(self, scene: StrokeScene) -> float:
        """The objective of the drawing ``scene`` as the network sees it whole."""
        with torch.no_grad():
            image = render(scene.to(self.state["points"].device))[None]
            return float(self.objective(image, exact=True).mean())


def _kept(
    scene: StrokeScene, pens: torch.Tensor | None, keep: torch.Tensor
) -> tuple[StrokeScene, torch.Tensor | None]:
    """The drawing's strokes where the mask ``keep`` is true, with their pens."""
    return scene.subset(keep), None if pens is None else pens[keep]


def _without(
    scene: StrokeScene, pens: torch.Tensor | None, dropped: torch.Tensor
) -> tuple[StrokeScene, torch.Tensor | None]:
    """The drawing with the strokes ``dropped`` (indices) left out."""
    keep = torch.ones(scene.n_paths, dtype=torch.bool)
    keep[dropped] = False
    return _kept(scene, pens, keep)
