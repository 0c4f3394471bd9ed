"""Lengths need units wherever plotkit reads one: a bare number is refused in one line with an
example, never read silently as vpype's pixels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plotkit.cli.app import app
from plotkit.errors import UserError
from plotkit.units import millimetres
from tests.drawings import write_layers
from tests.scenes import TINY_EXCITE

VPYPE = str(Path(sys.executable).with_name("vpype"))


@pytest.mark.parametrize(
    "text,mm", [("10cm", 100.0), ("6in", 152.4), ("200mm", 200.0), ("96px", 25.4), ("0.5mm", 0.5)]
)
def test_a_length_with_its_unit_is_read_in_millimetres(text, mm):
    assert millimetres(text, "--x") == pytest.approx(mm)


@pytest.mark.parametrize(
    "text,problem",
    [
        ("10", "--x needs a unit, as in 10cm, 6in or 200mm; got 10"),
        ("0.5", "--x needs a unit"),
        ("0", "--x needs a unit"),
        ("-3", "--x needs a unit"),
        ("0mm", "--x must be more than 0, got 0mm"),
        ("-3cm", "--x must be more than 0, got -3cm"),
        ("nan", "--x takes a length like 15cm"),
        ("inf", "--x takes a length like 15cm"),
        ("1e400mm", "--x takes a finite length like 15cm, got 1e400mm"),
        ("10 cm", "--x takes a length like 15cm"),
    ],
)
def test_a_bare_or_impossible_length_is_refused(text, problem):
    with pytest.raises(UserError, match="^" + problem.replace("(", r"\(")):
        millimetres(text, "--x")


def test_zero_is_a_length_where_zero_is_allowed_and_needs_no_unit():
    assert millimetres("0", "--margin", zero=True) == millimetres("0mm", "--margin", zero=True) == 0
    with pytest.raises(UserError, match="--margin must be 0 or more, got -1mm"):
        millimetres("-1mm", "--margin", zero=True)
    with pytest.raises(UserError, match="needs a unit"):
        millimetres("5", "--margin", zero=True)


def _one_line(result_or_proc, code: int = 2) -> str:
    stderr = result_or_proc.stderr
    code_got = getattr(result_or_proc, "exit_code", getattr(result_or_proc, "returncode", None))
    lines = stderr.strip().splitlines()
    assert code_got == code and len(lines) == 1, stderr
    return lines[0]


EDGES = [
    ("10", "needs a unit, as in 10cm"),
    ("0mm", "must be more than 0, got 0mm"),
    ("-1cm", "must be more than 0, got -1cm"),
    ("nan", "takes a length like 15cm"),
    ("1e400mm", "takes a finite length"),
]


@pytest.mark.parametrize("text,problem", EDGES)
@pytest.mark.parametrize("command", ["excite", "gallery"])
def test_a_drawing_size_at_its_edges_is_refused_before_any_work(command, text, problem, tmp_path, runner):
    own = ["--channels", "0-1"] if command == "gallery" else []
    tiny = [a for a in TINY_EXCITE if a not in ("--channel", "2")]
    args = [command, *tiny, *own, "--drawing-size", text, "-o", str(tmp_path / "out")]
    assert f"--drawing-size {problem}" in _one_line(runner.invoke(app, args))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text,problem", EDGES)
def test_a_preview_pen_width_at_its_edges_is_refused(text, problem, tmp_path, runner):
    svg = write_layers(tmp_path / "d.svg", [("#000000", 0.5, [[(20, 20), (60, 20)]])])
    args = ["preview", str(svg), "--pen-width", text, "-o", str(tmp_path / "p.png")]
    assert f"--pen-width {problem}" in _one_line(runner.invoke(app, args))
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize(
    "args,problem",
    [
        ("--width 10", "--width needs a unit, as in 10cm"),
        ("--margin 5", "--margin needs a unit, as in 10cm"),
        ("--width nan", "--width takes a length like 15cm"),
        ("--width 1e400mm", "--width takes a finite length"),
    ],
)
def test_vpype_lengths_without_a_unit_are_refused_not_read_as_pixels(args, problem, tmp_path):
    proc = subprocess.run(
        [VPYPE, "neuronexc", *TINY_EXCITE, *args.split(), "write", str(tmp_path / "o.svg")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert problem in _one_line(proc)
