"""The README's paths from a drawing to paper, its commands in order, as a new user pastes
them (no --plotter): the artist's path, ``plotkit excite`` with the real MobileNetV2 weights
beside the clone (with tiny settings appended, so the test takes seconds), ``plotkit
preview``, ``plotkit estimate``, then ``plotkit plot`` into the EiBotBoard emulator; and the
set-up's ``vpype neuronexc`` demo (few steps: the layout on the page is the same) through the
same plotting commands.
"""

from __future__ import annotations

import re
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
ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

README_MAIN = "vpype neuronexc --preset demo --weights random linemerge linesort write drawing.svg"
README_DRAW = (
    "plotkit excite --model mobilenet_v2 --weights ../shared/weights/mobilenet_v2_imagenet.pth "
    "--layer features.7 --channel 7 --pens black-fineliner --drawing-size 10cm -o fineliner.svg"
)
README_LOOK = [
    "plotkit preview fineliner.svg -o preview.png",
    "plotkit estimate fineliner.svg",
    "plotkit emulate --record paper.svg --speedup 10",  # the emulator fixture stands for it
    "plotkit plot fineliner.svg --port /dev/pts/3",
]
TINY = " --paths 10 --size 64 --input-size 64 --tile 2 --batch 1 --steps 2 --finetune-steps 2 --quiet"


def _readme_commands() -> str:
    """The README with each command continued over lines (``\\``) joined into one line."""
    return re.sub(r" *\\\n *", " ", README.read_text(encoding="utf-8"))


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


def _to_paper(draw: str, tmp_path: Path, runner, emulator) -> Path:
    """``draw`` (a command writing {drawing}), then preview, estimate and a plot into the
    emulator, as the README runs them; checks what each gives and returns the drawing."""
    drawing, preview = tmp_path / "fineliner.svg", tmp_path / "preview.png"
    board = emulator(speedup=200)
    port = board.start()
    commands = [draw.format(drawing=drawing)] + [
        c.replace("fineliner.svg", str(drawing))
        .replace("preview.png", str(preview))
        .replace("/dev/pts/3", port)
        for c in (README_LOOK[0], README_LOOK[1], README_LOOK[3] + " --yes")  # --yes: no terminal here
    ]
    outputs = [_run(command, runner) for command in commands]
    assert board.wait_idle()
    board.stop()

    page = read_drawing(drawing).page_mm
    dots = 100 / MM_PER_INCH  # preview's default dpi, in pixels per mm
    assert Image.open(preview).size == (round(page[0] * dots), round(page[1] * dots))
    assert "pen lifts" in outputs[2] and "Plotted" in outputs[3]
    wanted = [p.path.points for p in stroke_plans(read_drawing(drawing), load_plotter(DEFAULT_PLOTTER))]
    got = [np.asarray(s) for s in board.paper.strokes]
    assert len(got) == len(wanted)
    for g, w in zip(got, wanted, strict=True):
        assert np.abs(g[0] - w[0]).max() <= 0.02 and np.abs(g[-1] - w[-1]).max() <= 0.02
    assert board.pen_up and board._mm() == pytest.approx((0.0, 0.0))
    return drawing


def test_the_readmes_path_for_an_artist_reaches_the_plotter(tmp_path, runner, emulator):
    assert DEFAULT_PLOTTER == "axidraw-v3"  # the README's commands name no --plotter
    readme = _readme_commands()
    for command in [README_DRAW, *README_LOOK]:
        assert command in readme  # the commands tested are the README's own
    weights = ROOT.parent / "shared" / "weights" / "mobilenet_v2_imagenet.pth"
    if not weights.exists():
        pytest.skip(f"{weights} is absent: the README's drawing needs the weights beside the clone")
    draw = README_DRAW.replace("../shared", str(ROOT.parent / "shared")).replace("fineliner.svg", "{drawing}")
    drawing = _to_paper(draw + TINY, tmp_path, runner, emulator)
    framed = read_drawing(drawing)
    assert framed.page_mm == pytest.approx((297, 210))  # A4 landscape, as the plotter takes it
    x0, y0, x1, y1 = framed.bounds_mm  # the 10 cm drawing, centred on it
    assert 98.5 - 1e-3 <= x0 and x1 <= 198.5 + 1e-3 and 55 - 1e-3 <= y0 and y1 <= 155 + 1e-3


def test_the_setup_demo_reaches_the_plotter_on_an_a4_page(tmp_path, runner, emulator):
    assert README_MAIN in README.read_text(encoding="utf-8")  # CI runs this very command
    # 15 strokes, not the demo's 150: the layout on the page is the same, the plot 10x shorter
    draw = README_MAIN.replace("--weights random", "--weights random --steps 3 --paths 15 --quiet")
    drawing = _to_paper(draw.replace("drawing.svg", "{drawing}"), tmp_path, runner, emulator)
    assert read_drawing(drawing).page_mm == pytest.approx((297, 210))  # A4 landscape
    plotted = stroke_plans(read_drawing(drawing), load_plotter(DEFAULT_PLOTTER))
    assert len(plotted) >= 15  # the 15 strokes, each in one or more passes, after linemerge
