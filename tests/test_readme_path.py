"""The README's path from a drawing to paper, its commands in order, with the defaults a new
user gets (no --plotter): the README's ``vpype neuronexc`` demo command (with few steps, so
the test takes seconds: the layout on the page is the same), ``plotkit preview``, ``plotkit
estimate``, then ``plotkit plot`` into the EiBotBoard emulator.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plotkit.cli.app import app
from plotkit.plot.drawing import read_drawing
from plotkit.plot.schedule import stroke_plans
from plotkit.presets import DEFAULT_PLOTTER, load_plotter
from plotkit.units import MM_PER_INCH

VPYPE = str(Path(sys.executable).with_name("vpype"))

README_MAIN = "vpype neuronexc --preset demo --weights random linemerge linesort write drawing.svg"
README_PATH = [
    README_MAIN.replace("--weights random", "--weights random --steps 3 --quiet").replace(
        "drawing.svg", "{drawing}"
    ),
    "plotkit preview {drawing} -o {preview}",
    "plotkit estimate {drawing}",
    "plotkit plot {drawing} --port {port} --yes",
]


def _run(command: str, runner) -> str:
    """One README command: vpype as the user runs it, plotkit through its app; its output."""
    words = shlex.split(command)
    if words[0] == "vpype":
        done = subprocess.run([VPYPE, *words[1:]], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{command}: {done.stderr}"
        return done.stdout
    result = runner.invoke(app, words[1:])
    assert result.exit_code == 0, f"{command}: {result.output}"
    return result.output


def test_readme_path_reaches_the_plotter_with_the_default_preset(tmp_path, runner, emulator):
    assert DEFAULT_PLOTTER == "axidraw-v3"  # the README's commands name no --plotter
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert README_MAIN in readme  # the command tested is the README's own
    drawing, preview = tmp_path / "drawing.svg", tmp_path / "preview.png"
    board = emulator(speedup=200)
    names = {"drawing": drawing, "preview": preview, "port": board.start()}
    outputs = [_run(command.format(**names), runner) for command in README_PATH]
    assert board.wait_idle()
    board.stop()

    dots = 100 / MM_PER_INCH  # preview's default dpi, in pixels per mm
    assert Image.open(preview).size == (round(297 * dots), round(210 * dots))
    assert "pen lifts" in outputs[2] and "Plotted" in outputs[3]
    wanted = [p.path.points for p in stroke_plans(read_drawing(drawing), load_plotter(DEFAULT_PLOTTER))]
    got = [np.asarray(s) for s in board.paper.strokes]
    assert len(got) == len(wanted) >= 100  # the demo's 150 strokes, after linemerge
    for g, w in zip(got, wanted, strict=True):
        assert np.abs(g[0] - w[0]).max() <= 0.02 and np.abs(g[-1] - w[-1]).max() <= 0.02
    assert board.pen_up and board._mm() == pytest.approx((0.0, 0.0))
