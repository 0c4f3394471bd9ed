"""Planned plots sent to the emulator: strokes as drawn, time as planned."""

import numpy as np
import plotink.ebb_serial as ebb
import pytest

from plotkit.plot.drawing import PenLayer, PlotDrawing
from plotkit.plot.schedule import estimate
from plotkit.plotter.ebb_moves import MoveWriter, servo_position
from plotkit.plotter.motion import plan_path, plotter_limits
from plotkit.presets import load_plotter


def _strict(port, cmd: str) -> None:
    port.write((cmd + "\r").encode())
    assert port.readline() == b"OK\r\n", cmd


def _segment_distance(points: np.ndarray, polyline: np.ndarray) -> np.ndarray:
    a, b = polyline[:-1], polyline[1:]
    ab = b - a
    t = np.clip(((points[:, None] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0, 1)
    return np.linalg.norm(points[:, None] - (a + t[..., None] * ab), axis=-1).min(1)


def test_plot_into_emulator_matches_input_and_planned_time(emulator):
    rng = np.random.default_rng(0)
    strokes = tuple(
        np.cumsum(rng.uniform(-8, 8, (rng.integers(3, 12), 2)), 0) + rng.uniform(40, 120, 2)
        for _ in range(12)
    )
    drawing = PlotDrawing((PenLayer(1, "black", "#000000", 0.3, strokes),), None)
    plotter = load_plotter("axidraw-v3")
    down, up = plotter_limits(plotter)
    board = emulator(speedup=25)
    port = ebb.testPort(board.start())
    try:
        for cmd in (
            "EM,1,1",
            f"SC,4,{servo_position(plotter.pen_up_percent)}",
            f"SC,5,{servo_position(plotter.pen_down_percent)}",
        ):
            _strict(port, cmd)
        writer = MoveWriter()
        here = np.zeros(2)
        for stroke in strokes:
            for cmd in writer.commands(plan_path(np.stack([here, stroke[0]]), up)):
                _strict(port, cmd)
            _strict(port, f"SP,0,{round(plotter.pen_drop_s * 1000)}")
            for cmd in writer.commands(plan_path(stroke, down)):
                _strict(port, cmd)
            _strict(port, f"SP,1,{round(plotter.pen_lift_s * 1000)}")
            here = stroke[-1]
        for cmd in writer.commands(plan_path(np.stack([here, np.zeros(2)]), up)):
            _strict(port, cmd)
        assert board.wait_idle(60)
    finally:
        port.close()
        board.stop()

    drawn = [np.array(s) for s in board.paper.strokes]
    assert len(drawn) == len(strokes)
    for got, want in zip(drawn, strokes, strict=True):
        assert _segment_distance(got, want).max() <= 0.02  # every recorded point on the input
        assert _segment_distance(want, got).max() <= 0.02  # every input vertex was reached
    planned = estimate(drawing, plotter).seconds
    print(f"emulated {board.paper.move_seconds:.3f} s, planned {planned:.3f} s")
    assert board.paper.move_seconds == pytest.approx(planned, rel=0.05)
