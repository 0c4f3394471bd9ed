"""One drawing's optimization state: its strokes (drawn and parked), pen choices and Adam.

The state is a dict of tensors, so a checkpoint is just that dict; these functions make
it, tile it, turn it into the scene the renderer draws, and move its weak strokes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch

from optim import economy
from optim.coverage import ink_coverage
from optim.render import StrokeScene, render
from optim.render.clip import clip_to_canvas
from optim.settings import ExciteSettings
from optim.strokes import random_scene

# Pen choices: softmax temperature falls from the first to the second value over the
# first HARD_FROM of the base steps; from there on every stroke has exactly one pen.
PEN_TEMPERATURE = (1.0, 0.05)
HARD_FROM = 0.8
# --max-pens: the pens kept are those the strokes use most at this share of the base steps.
PENS_CHOSEN_AT = HARD_FROM / 2
# Initial pen preferences differ this little between strokes, so each stroke's pen is the
# network's choice.
LOGIT_SCALE = 0.01
# Pens start leaning to the darkest (half its weight among eight pens at the first
# temperature): a colour drawing starts as the mono one and leaves black where colour gains.
# Measured on four MobileNetV2 channels against no lean, it lifted the weakest (features.7:1)
# from 0.4 to 0.9 of mono and cost the others at most 3 %.
DARKEST_START = 2.0
RATES = {"points": 1.0, "widths": 0.1, "colors": 0.01, "logits": 0.05}  # points: times settings.lr


State = dict[str, torch.Tensor]
# Given each stroke's strength, the strokes that must move for the drawing to keep a limit
# (``max_overdraw``): the run asks its measure, which tells it on the drawing as it stands.
Crowded = Callable[[torch.Tensor], torch.Tensor]


def initial_state(settings: ExciteSettings, device: torch.device) -> State:
    g = torch.Generator().manual_seed(settings.seed)
    colors = torch.rand(settings.pool, 3, generator=g) if settings.colors == "free" else None
    scene = random_scene(
        settings.pool,
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
        "active": torch.arange(settings.pool) < settings.paths,  # drawn; the rest are parked
    }
    if settings.colors == "pens":
        state["logits"] = LOGIT_SCALE * torch.randn(settings.pool, len(settings.palette), generator=g)
        state["logits"][:, darkest_pen(settings.palette)] += DARKEST_START
        state["pen_mask"] = torch.ones(len(settings.palette), dtype=torch.bool)  # pens still allowed
    return {k: v.to(device) for k, v in state.items()}


def darkest_pen(palette: tuple[tuple[float, float, float], ...]) -> int:
    """Index of the palette's darkest pen (least summed RGB)."""
    return int(torch.tensor(palette).sum(1).argmin())


def state_from_scene(scene: StrokeScene, settings: ExciteSettings, device: torch.device) -> State:
    """The state of a finished drawing's strokes, to continue them: each keeps its pen (the
    palette's nearest colour) or its colour, and draws at the run's widths."""
    n = scene.n_paths
    state = {
        "points": scene.points.detach().clone(),
        "segments": scene.segments.clone(),
        "widths": torch.full((n,), settings.stroke_width),
        "colors": scene.colors.detach().clone() if settings.colors == "free" else torch.zeros(n, 3),
        "active": torch.ones(n, dtype=torch.bool),
    }
    if settings.colors == "pens":
        palette = torch.tensor(settings.palette, dtype=scene.colors.dtype)
        nearest = torch.cdist(scene.colors.detach(), palette).argmin(1)
        state["logits"] = torch.nn.functional.one_hot(nearest, len(palette)).to(scene.points.dtype)
        state["pen_mask"] = torch.ones(len(palette), dtype=torch.bool)
    return {k: v.to(device) for k, v in state.items()}


def tiled(state: State, settings: ExciteSettings) -> State:
    """The drawing repeated tile x tile times on the big canvas, row by row."""
    n, size = settings.tile, settings.size
    shifts = [
        torch.tensor([i * size, j * size], dtype=state["points"].dtype) for j in range(n) for i in range(n)
    ]
    tiled = {k: v if k == "pen_mask" else torch.cat([v] * n * n) for k, v in state.items() if k != "points"}
    tiled["points"] = torch.cat([state["points"].detach() + s.to(state["points"].device) for s in shifts])
    return {k: v.detach().clone() for k, v in tiled.items()}


def allowed_logits(state: State) -> torch.Tensor:
    """Pen preferences with the pens dropped by ``max_pens`` out of reach."""
    return state["logits"].masked_fill(~state["pen_mask"], -math.inf)


def pen_weights(state: State, settings: ExciteSettings, step: int) -> torch.Tensor:
    """(paths, pens) soft choice at this step's temperature, one-hot once annealed."""
    hard_from = int(HARD_FROM * settings.steps)
    logits = allowed_logits(state)
    if step >= hard_from:
        return torch.nn.functional.one_hot(logits.argmax(1), len(settings.palette)).to(state["points"].dtype)
    hot, cold = PEN_TEMPERATURE
    temperature = hot * (cold / hot) ** (step / max(hard_from, 1))
    return torch.softmax(logits / temperature, dim=1)


def scene_of(state: State, settings: ExciteSettings, step: int, canvas: int) -> StrokeScene:
    """The drawn strokes (parked ones left out) as the renderer takes them."""
    active = state["active"]
    widths, colors = state["widths"], state["colors"]
    if settings.colors == "pens":
        weights = pen_weights(state, settings, step)
        colors = weights @ torch.tensor(settings.palette, dtype=weights.dtype, device=weights.device)
        widths = weights @ torch.tensor(settings.pen_widths, dtype=weights.dtype, device=weights.device)
    widths, colors = widths[active], colors[active]
    return StrokeScene(
        points=state["points"][active[economy.rows_of_paths(state["segments"])]],
        segments=state["segments"][active],
        widths=widths,
        colors=colors,
        opacities=torch.ones_like(widths),
        width=canvas,
        height=canvas,
    )


def drawing_of(
    state: State, settings: ExciteSettings
) -> tuple[StrokeScene, torch.Tensor | None, torch.Tensor]:
    """The finished drawing a (detached) ``state`` holds: its drawn strokes on the whole canvas,
    cut to it (all the network saw, all a plotter may draw), each part's pen in pens mode (else
    None), and the stroke of the state each part comes from."""
    step = settings.steps + settings.finetune_steps
    scene, parents = clip_to_canvas(scene_of(state, settings, step, settings.canvas))
    pens = allowed_logits(state).argmax(1)[state["active"]][parents] if settings.colors == "pens" else None
    return scene, pens, parents


def respawn_due(settings: ExciteSettings, done: int) -> bool:
    """Every ``respawn_every`` base steps; from ``economy.UNTIL`` on only to follow the ink
    target, and never at the last base step."""
    every = settings.respawn_every
    late = done > economy.UNTIL * settings.steps
    return every > 0 and done % every == 0 and done < settings.steps and not (late and not settings.steered)


def respawn(
    state: State,
    settings: ExciteSettings,
    objective: Callable[[torch.Tensor], torch.Tensor],
    adam: torch.optim.Adam,
    params: dict[str, torch.Tensor],
    step: int,
    cost_scale: float = 1.0,
    crowded: Crowded | None = None,
) -> None:
    """One extra pass tells each stroke's gradient and where ink helps; weak strokes are
    redrawn there (and parked or brought back to follow the ink target or the budget, whose
    proxy costs are multiplied by ``cost_scale``), and so are those ``crowded`` names. Adam
    forgets the moved strokes' history."""
    priced = settings.budget is not None  # only a budget's moves read presence
    scene = scene_of(state, settings, step, settings.size)
    scene.opacities.requires_grad_(priced)
    image = render(scene)
    value = objective(settings.augment(image)).mean()
    grad_points, grad_image, *grad_opacity = torch.autograd.grad(
        value, [params["points"], image, *([scene.opacities] if priced else [])]
    )
    with torch.no_grad():
        strength = economy.strengths(state["points"], grad_points, state["segments"], settings.size)
        share = economy.SHARE if step <= economy.UNTIL * settings.steps else 0.0
        costs = _costs(state, settings, settings.tile**2, cost_scale)
        active = state["active"]
        presence = _of_drawn(grad_opacity[0], active) if priced else None
        moves = economy.plan(
            active, strength, ink_coverage(scene), settings.ink, share, costs, settings.budget, presence
        )
        state["active"][moves.park] = False
        redraw = moves.redraw
        if crowded is not None:
            crowd = torch.nonzero(crowded(strength) & state["active"]).flatten().to(redraw)
            redraw = torch.cat([redraw, crowd[~torch.isin(crowd, redraw)]])
        redraw = redraw.sort().values
        if not len(redraw):
            return
        state["active"][redraw] = True
        rows = torch.isin(economy.rows_of_paths(state["segments"]), redraw)
        gain = -grad_image.sum(0)  # darkening raises the objective where this is positive
        start = economy.starts(gain, len(redraw))
        new = economy.random_walks(start, state["segments"][redraw].cpu(), settings.size)
        state["points"][rows] = new.to(state["points"])
        if "widths" in params:
            state["widths"][redraw] = settings.stroke_width
        paths = torch.isin(torch.arange(len(state["active"]), device=redraw.device), redraw)
        for name, moved in (("points", rows), ("widths", paths)):
            if name in params and params[name] in adam.state:
                memory = adam.state[params[name]]
                rest = memory["exp_avg_sq"][~moved]
                memory["exp_avg"][moved] = 0
                memory["exp_avg_sq"][moved] = rest.mean(0) if len(rest) else 0


def steer_due(settings: ExciteSettings, done: int) -> bool:
    """While fine-tuning with an ink target: every ``respawn_every`` steps, not at the last."""
    every, since = settings.respawn_every, done - settings.steps
    total = settings.steps + settings.finetune_steps
    return settings.steered and every > 0 and since > 0 and since % every == 0 and done < total


def steer(
    state: State,
    settings: ExciteSettings,
    objective: Callable[[torch.Tensor], torch.Tensor],
    params: dict[str, torch.Tensor],
    cost_scale: float = 1.0,
    crowded: Crowded | None = None,
) -> None:
    """Keep a fine-tuned drawing near its ink target (or budget): strokes grow as they are fine-tuned.
    The whole canvas's coverage decides. One pass over the canvas, tile by tile, gives each
    stroke's gradient; parked first are the weakest next to the strokes of their own tile
    (so no region is emptied), and parked ones come back where they were; last, those
    ``crowded`` names are parked."""
    size, canvas = settings.size, settings.canvas
    strength, presence = canvas_strengths(state, settings, objective, params, settings.steps)
    with torch.no_grad():
        coverage = ink_coverage(scene_of(state, settings, settings.steps, canvas))
        points, segments, active = state["points"], state["segments"], state["active"]
        strength = economy.relative_to_cell(strength, points, segments, active, size)
        if settings.budget is not None:
            presence = economy.relative_to_cell(presence, points, segments, active, size)
        costs = _costs(state, settings, 1, cost_scale)
        moves = economy.plan(active, strength, coverage, settings.ink, 0.0, costs, settings.budget, presence)
        state["active"][moves.park] = False
        state["active"][moves.redraw] = True
        if crowded is not None:
            state["active"] &= ~crowded(strength)


def canvas_strengths(
    state: State,
    settings: ExciteSettings,
    objective: Callable[[torch.Tensor], torch.Tensor],
    params: dict[str, torch.Tensor],
    step: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each stroke's gradient (``economy.strengths``) and presence (``economy.plan``) on the
    whole canvas, from one pass over it, tile by tile, at the network's view size. Only a
    budget's moves read presence: without one it is left 0, not computed."""
    size, canvas = settings.size, settings.canvas
    priced = settings.budget is not None
    grad = torch.zeros_like(params["points"])
    drawn = int(state["active"].sum())
    opacity = torch.ones(drawn, dtype=grad.dtype, device=grad.device, requires_grad=priced)
    grad_opacity = torch.zeros_like(opacity)
    for y0 in range(0, canvas, size):
        for x0 in range(0, canvas, size):
            scene = dataclasses.replace(scene_of(state, settings, step, canvas), opacities=opacity)
            image = render(scene, window=(x0, y0, size, size))
            if image.requires_grad:
                value = objective(image[None]).mean()
                wanted = [params["points"], *([opacity] if priced else [])]
                grads = torch.autograd.grad(value, wanted, materialize_grads=True)
                grad += grads[0]
                if priced:
                    grad_opacity += grads[1]
    with torch.no_grad():
        strength = economy.strengths(state["points"], grad, state["segments"], canvas)
        return strength, _of_drawn(grad_opacity, state["active"])


def _of_drawn(values: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
    """Per stroke, ``values`` of the drawn (``active``) ones in order, 0 for the parked."""
    out = torch.zeros(len(active), dtype=values.dtype, device=values.device)
    out[active] = values.detach()
    return out


def _costs(state: State, settings: ExciteSettings, copies: int, scale: float = 1.0) -> torch.Tensor | None:
    """What each stroke costs of the budget, with ``copies`` of it in the finished drawing."""
    if settings.budget is None:
        return None
    return scale * economy.stroke_costs(state["points"], state["segments"], settings.stroke_cost, copies)


def keep_pens(state: State, settings: ExciteSettings, step: int) -> None:
    """``max_pens``: from here on only the K pens the drawn strokes lean on most."""
    with torch.no_grad():
        use = pen_weights(state, settings, step)[state["active"]].sum(0)
        use = use.masked_fill(~state["pen_mask"], -1.0)
        keep = torch.argsort(use, descending=True, stable=True)[: settings.max_pens]
        state["pen_mask"][:] = False
        state["pen_mask"][keep] = True


def optimizer(state: State, settings: ExciteSettings) -> tuple[torch.optim.Adam, dict[str, torch.Tensor]]:
    """Adam over what this run learns: points always, then widths, colours or pen choices."""
    names = ["points"]
    names += ["widths"] if settings.learn_widths else []
    names += {"free": ["colors"], "pens": ["logits"], "mono": []}[settings.colors]
    params = {k: state[k].requires_grad_(True) for k in names}
    groups = [{"params": [p], "lr": RATES[k], "name": k} for k, p in params.items()]
    return torch.optim.Adam(groups), params
