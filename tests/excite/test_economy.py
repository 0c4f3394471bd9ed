"""Density from the paper and stroke economy (issue 13): ink targets, respawning, --max-pens.

Random weights test the mechanics; how much they help is measured on the real network by
benchmarks/quality.py."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from optim import economy
from optim.augment import Augment
from optim.coverage import TRIAL_SIDE, ink_coverage, strokes_for_ink
from optim.excite import ExciteSettings, Network, excite
from optim.render import render
from optim.run import Run
from optim.state import (
    DARKEST_START,
    canvas_strengths,
    initial_state,
    optimizer,
    pen_weights,
    respawn,
    scene_of,
)
from optim.strokes import random_scene
from plotkit.cli.app import app
from plotkit.excite.request import request
from plotkit.excite.settings import plan
from tests.scenes import SMALL, TINY_EXCITE, interrupted_and_whole

# plotkit option values of a small, fast run with an ink target
TINY_VALUES = dict(
    weights="random", layer="relu2_2", channel=2, size=96, input_size=96, batch=1, respawn_every=10
)
FOUR_PENS = ((0.1, 0.1, 0.1), (0.9, 0.1, 0.1), (0.1, 0.2, 0.9), (0.1, 0.7, 0.2))


def with_pens(**given) -> ExciteSettings:
    """SMALL drawn with FOUR_PENS (widths 1, 2, 3 and 2 px unless given)."""
    small = {k: v for k, v in SMALL.items() if k != "stroke_width"}
    return ExciteSettings(
        **small, **{"colors": "pens", "palette": FOUR_PENS, "pen_widths": (1.0, 2.0, 3.0, 2.0)} | given
    )


@pytest.mark.parametrize("ink", [0.15, 0.3, 0.5])
def test_strokes_for_ink_gives_that_coverage_at_the_start(ink):
    paths = strokes_for_ink(ink, 96, 2.0, (1, 3), seed=3)
    state = initial_state(ExciteSettings(paths=paths, **SMALL), torch.device("cpu"))
    covered = ink_coverage(scene_of(state, ExciteSettings(paths=paths, **SMALL), 0, 96))
    assert covered == pytest.approx(ink, rel=0.15)


def test_strokes_for_ink_on_a_canvas_larger_than_its_trial():
    size = 4 * TRIAL_SIDE  # tried at TRIAL_SIDE, the strokes' width scaled alike
    paths = strokes_for_ink(0.3, size, 3.0, (1, 3), seed=3)
    scene = random_scene(
        paths, size, size, segments=(1, 3), stroke_width=3.0, generator=torch.Generator().manual_seed(4)
    )
    assert ink_coverage(scene) == pytest.approx(0.3, rel=0.1)


@pytest.mark.parametrize("ink", [0.2, 0.45])
def test_a_run_ends_within_a_quarter_of_its_ink_target(ink):
    values = TINY_VALUES | {"steps": 60, "stroke_width": 2.0, "ink": ink}
    result = excite(plan(request(values), 150.0).settings)
    assert result.coverage == pytest.approx(ink, rel=0.25)
    assert result.coverage == pytest.approx(ink_coverage(result.scene))


def test_a_tiled_and_fine_tuned_run_keeps_its_ink_target():
    values = TINY_VALUES | {"steps": 30, "pens": "black-fineliner", "view_size": "17mm"}
    run = plan(request(values), 50.0)  # 17 mm views on 50 mm: three 96 px tiles
    assert (run.settings.tile, run.settings.finetune_steps) == (3, 30)
    result = excite(run.settings)
    assert result.coverage == pytest.approx(0.3, rel=0.25)


def _objective(network: Network, state, settings: ExciteSettings) -> float:
    torch.manual_seed(7)  # the same views before and after
    with torch.no_grad():
        image = render(scene_of(state, settings, 0, settings.size))
        return float(network.objective(Augment(batch=8, size=96)(image)).mean())


def test_respawn_brings_strokes_off_the_canvas_back_where_they_raise_the_objective():
    settings = ExciteSettings(paths=40, steps=20, respawn_every=5, **SMALL)
    network = Network(settings, torch.device("cpu"))
    state = initial_state(settings, torch.device("cpu"))
    lost = torch.arange(20)  # half the strokes pushed far off the canvas
    rows = torch.repeat_interleave(torch.arange(40), 3 * state["segments"] + 1)
    state["points"][torch.isin(rows, lost)] += 1000.0
    adam, params = optimizer(state, settings)
    before = _objective(network, state, settings)
    torch.manual_seed(0)
    respawn(state, settings, network.objective, adam, params, 5)
    starts = state["points"].detach()[(3 * state["segments"] + 1).cumsum(0) - (3 * state["segments"] + 1)]
    assert bool(state["active"].all())
    assert ((starts >= 0) & (starts <= 96)).all(), "every stroke starts inside the canvas again"
    assert _objective(network, state, settings) > before


def test_the_weakest_strokes_are_judged_against_their_own_tile():
    # two tiles of four strokes; the right one's gradients are ten times weaker throughout
    segments = torch.ones(8, dtype=torch.long)
    starts = torch.tensor([[10.0, 10.0]] * 4 + [[110.0, 10.0]] * 4)
    points = torch.repeat_interleave(starts, 4, dim=0)
    strength = torch.tensor([1.0, 2.0, 3.0, 4.0, 0.1, 0.2, 0.3, 0.4])
    relative = economy.relative_to_cell(strength, points, segments, torch.ones(8, dtype=torch.bool), 100)
    parked = economy.plan(torch.ones(8, dtype=torch.bool), relative, 0.6, 0.3, 0.0).park
    assert {0, 4} <= set(parked.tolist())  # each tile gives up its weakest; neither is emptied
    assert len(set(parked.tolist()) & {4, 5, 6, 7}) < 4


def test_a_budget_parks_what_gives_least_for_its_cost_not_the_weakest():
    # four strokes over a budget that holds three: the strongest costs eight times what each
    # other does, and gives less for it than the weakest does
    strength, costs = torch.tensor([4.0, 1.0, 2.0, 3.0]), torch.tensor([8.0, 1.0, 1.0, 1.0])
    moves = economy.plan(torch.ones(4, dtype=torch.bool), strength, 0.3, None, 0.0, costs, budget=7.8)
    assert moves.park.tolist() == [0]


def test_a_budget_parks_what_both_its_pull_and_its_presence_rank_low():
    # the gradient on its points says how a stroke wants to move, small at a good place though
    # the stroke gives much; its presence (fading it) says what it gives: each is noisy alone
    strength, presence = torch.tensor([0.1, 1.0, 2.0, 3.0]), torch.tensor([5.0, 1.0, 2.0, 3.0])
    drawn, costs = torch.ones(4, dtype=torch.bool), torch.ones(4)
    assert economy.plan(drawn, strength, 0.3, None, 0.0, costs, 3.0).park.tolist() == [0]
    assert economy.plan(drawn, strength, 0.3, None, 0.0, costs, 3.0, presence).park.tolist() == [1]
    off = torch.tensor([-1.0, 1.0, 2.0, 3.0])  # off the canvas goes first whatever its presence
    assert economy.plan(drawn, off, 0.3, None, 0.0, costs, 3.0, presence).park.tolist() == [0]


def test_a_strokes_presence_is_what_fading_it_takes_from_the_objective():
    budget = {"budget": 1.0, "stroke_cost": (0.01, 0.001)}  # only a budget's moves read presence
    settings = ExciteSettings(paths=12, steps=10, **SMALL | budget | {"precision": "fp32"})
    network = Network(settings, torch.device("cpu"))
    state = initial_state(settings, torch.device("cpu"))
    state["active"][::3] = False  # parked strokes between drawn ones: the order must hold
    _, params = optimizer(state, settings)
    _, presence = canvas_strengths(state, settings, network.objective, params, 0)
    assert (presence[~state["active"]] == 0).all()
    unpriced = dataclasses.replace(settings, budget=None)
    strength, left = canvas_strengths(state, unpriced, network.objective, params, 0)
    assert (left == 0).all() and strength.abs().sum() > 0  # without a budget it is not computed

    def faded(stroke: int, by: float) -> float:
        scene = scene_of(state, settings, 0, settings.canvas)
        opacities = scene.opacities.detach().clone()
        opacities[int(state["active"][:stroke].sum())] -= by
        with torch.no_grad():
            image = render(dataclasses.replace(scene, opacities=opacities))
            return float(network.objective(image[None]).mean())

    for stroke in torch.nonzero(state["active"]).flatten().tolist():
        slope = (faded(stroke, 0.0) - faded(stroke, 1e-3)) / 1e-3
        assert float(presence[stroke]) == pytest.approx(slope, rel=0.05, abs=1e-3 * abs(slope) + 1e-6)


def test_parked_strokes_are_left_out_of_the_drawing_and_its_pens():
    result = excite(with_pens(paths=50, steps=30, ink=0.05, respawn_every=5, pen_widths=(2.0,) * 4))
    assert result.scene.n_paths < 50  # too dark for 5 %: the weakest were parked
    assert result.pens is not None and result.pens.shape == (result.scene.n_paths,)


def test_pens_start_leaning_to_the_darkest():
    settings = with_pens(paths=30, palette=FOUR_PENS[1:] + FOUR_PENS[:1])  # darkest last
    weights = pen_weights(initial_state(settings, torch.device("cpu")), settings, 0)
    assert (weights.argmax(1) == 3).all()
    lean = torch.exp(torch.tensor(DARKEST_START))
    assert weights[:, 3] == pytest.approx(float(lean / (lean + 3)), abs=0.02)


@pytest.mark.parametrize("k", [1, 2])
def test_max_pens_keeps_at_most_k_pens(k):
    result = excite(with_pens(paths=60, steps=20, max_pens=k))
    assert 1 <= len(set(result.pens.tolist())) <= k


def test_respawn_ink_and_max_pens_resume_exactly(tmp_path):
    settings = with_pens(paths=40, steps=24, ink=0.2, respawn_every=4, max_pens=2)
    resumed, whole = interrupted_and_whole(settings, tmp_path / "run.ckpt", 10)
    assert torch.equal(resumed.scene.points, whole.scene.points)
    assert torch.equal(resumed.pens, whole.pens)


def test_the_default_command_is_deterministic(tmp_path, runner):
    assert plan(request({}), 150.0) == plan(request({}), 150.0)
    args = [a for a in TINY_EXCITE if a not in ("--paths", "40")]  # the stroke count comes from --ink
    svgs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.svg"
        result = runner.invoke(
            app, ["excite", *args, "--steps", "12", "--respawn-every", "4", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        svgs.append(out.read_text())
    assert svgs[0] == svgs[1]


def test_the_final_trim_drops_what_measurably_loses_least_not_what_worth_ranks_last():
    # four strokes of one cost, a budget that holds three; worth ranks stroke 0 last (its
    # gradient and presence are the least), but the drawing loses 10 without it and 0.1
    # without stroke 2: stroke 2 goes
    x = torch.tensor([0.0, 10.0, 20.0, 30.0])  # each stroke named by where it starts
    points = torch.stack([x.repeat_interleave(4), torch.tensor([0.0, 1.0, 2.0, 3.0]).repeat(4)], 1)
    scene = dataclasses.replace(random_scene(4, 40, 40, segments=(1, 1)), points=points)
    value = {0.0: 10.0, 10.0: 3.0, 20.0: 0.1, 30.0: 5.0}
    settings = ExciteSettings(**SMALL | {"budget": 1.0, "stroke_cost": (0.1, 0.0)})
    run = Run.__new__(Run)
    run.settings, run.measure = settings, lambda s, pens: s.n_paths / 3
    run._activation = lambda s: sum(value[float(p)] for p in s.points[::4, 0])
    strength, presence = torch.tensor([0.1, 1.0, 2.0, 3.0]), torch.tensor([0.1, 1.0, 2.0, 3.0])
    kept, _ = run._trimmed(scene, None, strength, presence)
    assert sorted(kept.points[::4, 0].tolist()) == [0.0, 10.0, 30.0]
