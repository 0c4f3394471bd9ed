"""Fixtures many tests share: a CLI runner and EiBotBoard emulators on pseudo-terminals."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner

from plotkit.plotter.emulator import EBBEmulator, Faults


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
