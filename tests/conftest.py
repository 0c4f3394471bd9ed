"""Fixtures many tests share: a CLI runner, EiBotBoard emulators on pseudo-terminals, and
models built once per test session."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator

import pytest
import torch
from typer.testing import CliRunner

import optim.models
from plotkit.plotter.emulator import EBBEmulator, Faults


@pytest.fixture(autouse=True, scope="session")
def models_built_once() -> Iterator[None]:
    """Tests build the same seeded networks hundreds of times, at seconds each: build each
    once and hand out copies (the same weights; a run may move or reformat its copy)."""
    built: dict[tuple, torch.nn.Module] = {}
    build = optim.models._build

    def once(name: str, trained: bool) -> torch.nn.Module:
        key = (name, trained, torch.initial_seed())  # load_model seeds the build
        if key not in built:
            built[key] = build(name, trained)
        return copy.deepcopy(built[key])

    patch = pytest.MonkeyPatch()
    patch.setattr(optim.models, "_build", once)
    yield
    patch.undo()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def emulator() -> Iterator[Callable[..., EBBEmulator]]:
    """Make emulators (``emulator(speedup=20, faults=Faults(...), pen_change_s=...)``); each is
    stopped at the end."""
    boards: list[EBBEmulator] = []

    def make(speedup: float = 20.0, faults: Faults | None = None, **options) -> EBBEmulator:
        board = EBBEmulator(speedup=speedup, faults=faults, **options)
        boards.append(board)
        return board

    yield make
    for board in boards:
        board.stop()
