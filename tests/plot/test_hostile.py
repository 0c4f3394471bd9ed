"""Hostile input never gets a traceback, a hang or a read of a file nobody named.

Hypothesis writes SVGs (mutations of a real drawing, entity bombs, external entities, NaN and
infinite numbers, deep nesting, ``<use>`` loops, huge paths, odd units) and hostile values
for every option of the paper-side commands; each run must end with exit 0, 1 or 2, in
bounded time (a watchdog per case), without opening the secret file beside the drawing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from plotkit.cli import plot_commands
from plotkit.cli.app import app
from tests.drawings import write_layers
from tests.plot.test_plot import _layers

CASE_S = 30  # a case running longer than this is a hang
SECRET = "plotkit-secret-7f3a"
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)

_opened: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # records only inside _watched(); audit hooks cannot be removed


class Hang(Exception):
    pass


@contextmanager
def _watched() -> Iterator[list[str]]:
    """The files opened in the block, which must end within ``CASE_S``."""
    global _opened

    def ring(signum, frame):
        raise Hang(f"over {CASE_S} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, CASE_S)
    _opened = []
    try:
        yield _opened
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _opened = None


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """A folder with the secret file that hostile SVGs point at."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "secret.txt").write_text(SECRET)
    (folder / "secret.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg"><path id="x" d="M0 0 L10 10" stroke="#000"/>'
        f"<desc>{SECRET}</desc></svg>"
    )
    return folder


def _run(args: list[str], place: Path) -> None:
    """One command: exit 0, 1 or 2, one line at most for a refusal, no traceback, no hang, no
    file of ``place`` opened but the drawing and what the command writes."""
    with _watched() as opened:
        result = CliRunner().invoke(app, args)
    assert not isinstance(result.exception, Hang), (args, "hang")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args}: {type(result.exception).__name__}: {result.exception}") from (
            result.exception
        )
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert "Traceback" not in result.output and SECRET not in result.output, (args, result.output)
    if result.exit_code == 2 and not result.stderr.startswith("Usage:"):  # click's own usage errors aside
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
    secrets = [p for p in opened if "secret" in os.path.basename(p)]
    assert not secrets, (args, secrets)


# -- hostile SVGs --------------------------------------------------------------------------
NUMBERS = st.sampled_from(
    ["nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-320", "0", "-0", "1e9", "3", "12.5", "", "1e", "--1"]
)
UNITS = st.sampled_from(["", "mm", "cm", "in", "px", "pt", "pc", "em", "ex", "%", "km", "furlong"])
LENGTHS = st.builds(lambda n, u: n + u, NUMBERS, UNITS)
HEAD = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="{}" height="{}" viewBox="{}">'
)
SHAPES = st.one_of(
    st.builds(
        '<path d="M {} {} L {} {} C {} {} {} {} {} {}" stroke="#000" '
        'stroke-width="{}" transform="{}"/>'.format,
        *[NUMBERS] * 10,
        LENGTHS,
        st.sampled_from(
            ["", "scale(1e308)", "rotate(nan)", "matrix(0 0 0 0 0 0)", "translate(inf)", "skewX(90)"]
        ),
    ),
    st.builds(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'.format,
        *[LENGTHS] * 4,
        st.sampled_from(["#000", "url(#x)", "#12", "rgb(300,-1,nan)", "none", ""]),
    ),
    st.builds('<circle cx="{}" cy="{}" r="{}" stroke="#000" fill="none"/>'.format, *[LENGTHS] * 3),
    st.builds('<polyline points="{} {} {} {} {}" stroke="#000"/>'.format, *[NUMBERS] * 5),
    st.builds('<rect x="{}" y="{}" width="{}" height="{}" rx="{}" stroke="#000"/>'.format, *[LENGTHS] * 5),
)


def _nested(depth: int) -> str:
    return "<g>" * depth + '<path d="M10 10 L20 20" stroke="#000"/>' + "</g>" * depth


def _huge(n: int) -> str:
    return '<path stroke="#000" d="M10 10 ' + "l0.01 0.005 " * n + '"/>'


def _specials(place: Path) -> list[str]:
    secret, secret_svg = place / "secret.txt", place / "secret.svg"
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    ok = '<path d="M10 10 L50 50" stroke="#000"/>'
    return [
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY l0 "lol">{lol}]>'
        f"{HEAD.format('10cm', '10cm', '0 0 100 100')}"
        f"<text>&l9;</text>{ok}</svg>",
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY s SYSTEM "file://{secret}">]>'
        f"{HEAD.format('10cm', '10cm', '0 0 100 100')}<desc>&s;</desc>{ok}</svg>",
        f'<?xml version="1.0"?><!DOCTYPE svg SYSTEM "file://{secret}">'
        f"{HEAD.format('10cm', '10cm', '0 0 9 9')}{ok}</svg>",
        f'{HEAD.format("10cm", "10cm", "0 0 100 100")}<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
        f'href="file://{secret}" parse="text"/>{ok}</svg>',
        f'{HEAD.format("10cm", "10cm", "0 0 100 100")}<image href="file://{secret}" width="10" height="10"/>'
        f'<image xlink:href="{secret}" width="10" height="10"/>{ok}</svg>',
        f'{HEAD.format("10cm", "10cm", "0 0 100 100")}<use href="{secret_svg}#x"/>'
        f'<use xlink:href="file://{secret_svg}#x"/>{ok}</svg>',
        f'{HEAD.format("10cm", "10cm", "0 0 100 100")}<style>@import url("file://{secret}");</style>{ok}</svg>',
        f'{HEAD.format("10cm", "10cm", "0 0 100 100")}<g id="a"><use href="#b"/>{ok}</g>'
        '<g id="b"><use href="#a"/></g><use id="c" href="#c"/><use href="#a"/></svg>',
        f'{HEAD.format("10cm", "10cm", "0 0 100 100")}<g inkscape:groupmode="layer" id="layer{"9" * 400}" '
        f'inkscape:label="{"x" * 5000}" style="stroke:url(#nothing);stroke-width:1e308">{ok}</g></svg>',
    ]


@st.composite
def hostile_svgs(draw, place: Path, real: bytes) -> bytes:
    kind = draw(st.sampled_from(["mutant", "shapes", "nested", "huge", "special"]))
    if kind == "mutant":
        data = bytearray(real)
        for at, junk in draw(
            st.lists(st.tuples(st.integers(0, len(real) - 1), st.binary(max_size=8)), max_size=6)
        ):
            cut = draw(st.integers(0, 16))
            data[at : at + cut] = junk
        return bytes(data)
    head = HEAD.format(
        draw(LENGTHS), draw(LENGTHS), " ".join(draw(st.lists(NUMBERS, min_size=4, max_size=4)))
    )
    if kind == "shapes":
        body = "".join(draw(st.lists(SHAPES, min_size=1, max_size=4)))
    elif kind == "nested":
        body = _nested(draw(st.sampled_from([50, 900, 5000, 20000])))
    elif kind == "huge":
        body = _huge(draw(st.sampled_from([1000, 20000])))
    else:
        return draw(st.sampled_from(_specials(place))).encode()
    return (head + body + "</svg>").encode()


@pytest.fixture(scope="module")
def real_drawing(place) -> bytes:
    return write_layers(place / "real.svg", _layers(1)).read_bytes()


# Found by the fuzzer: a page of 1e308 px reached the preview, whose advice then divided by it.
HUGE_HEAD = HEAD.format("1e308", "1e308", "nan nan nan nan")
HUGE_PAGE = f"{HUGE_HEAD}{_nested(1)}</svg>".encode()


def test_hostile_svgs_through_estimate_preview_and_the_dry_run(place, real_drawing):
    @FUZZ
    @given(svg=hostile_svgs(place, real_drawing), rotate=st.booleans())
    @example(svg=HUGE_PAGE, rotate=False)
    def check(svg: bytes, rotate: bool) -> None:
        path = place / "drawing.svg"
        path.write_bytes(svg)
        turn = ["--rotate"] * rotate
        _run(["estimate", str(path), *turn], place)
        _run(["preview", str(path), "-o", str(place / "out.png"), "--dpi", "20", *turn], place)
        _run(["plot", str(path), "--dry-run", *turn], place)

    check()


# Found by the fuzzer in CI: lengths svgelements cannot multiply raised a bare ValueError.
UNRESOLVABLE = f'{HUGE_HEAD}<line x1="nan" y1="nan" x2="nan" y2="1e308em" stroke="#000"/></svg>'.encode()


def test_hostile_svgs_through_render(place, real_drawing):
    @settings(FUZZ, max_examples=6)
    @given(svg=hostile_svgs(place, real_drawing))
    @example(svg=UNRESOLVABLE)
    def check(svg: bytes) -> None:
        path = place / "drawing.svg"
        path.write_bytes(svg)
        _run(["render", str(path), "-o", str(place / "render.png"), "--size", "64"], place)

    check()


# -- hostile option values -----------------------------------------------------------------
HOSTILE = st.one_of(
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "-1",
            "0",
            "1e308",
            "1e-300",
            "",
            " ",
            "1km",
            "1e-300mm",
            "-5mm",
            "0s",
            "nans",
            "1e308h",
            "--",
            "-o",
            "\u00e9\u00e9",
            "9" * 400,
            "1h" * 50,
            "axidraw-v3/../../secret",
            "../secret.txt",
        ]
    ),
    st.text(max_size=12).filter(lambda text: "\x00" not in text),  # argv cannot hold a NUL byte
    st.floats().map(str),
)
PATHS = st.sampled_from(
    [
        "/",
        "/proc/self/mem",
        "/dev/null",
        "missing-folder/x.png",
        "x",
        "x.jpg",
        "x.pdf",
        "x.png/",
        ".",
        "..",
        "\u00e9.png",
        "other.svg",
    ]
)


def test_hostile_option_values_of_the_paper_side_commands(place, real_drawing, monkeypatch):
    monkeypatch.chdir(place)
    svg = str(place / "real.svg")

    @settings(FUZZ, max_examples=12)
    @given(value=HOSTILE, path=PATHS)
    def check(value: str, path: str) -> None:
        _run(["estimate", svg, "--plotter", value], place)
        _run(["preview", svg, "--dpi", value, "-o", "p.png"], place)
        _run(["preview", svg, "--pen-width", value, "--dpi", "10", "-o", "p.png"], place)
        _run(["preview", svg, "--dpi", "10", "-o", path], place)
        for option in ("--plotter", "--pause-every", "--backend"):
            _run(["plot", svg, "--dry-run", option, value], place)
        assert (place / "secret.txt").read_text() == SECRET

    check()


def test_hostile_option_values_of_emulate(place, monkeypatch):
    """Every value that starts the emulator is stopped at its first wait, as by kill."""
    monkeypatch.chdir(place)

    def kill_at_first_wait(seconds: float) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    @settings(FUZZ, max_examples=8)
    @given(value=HOSTILE, path=PATHS)
    def check(value: str, path: str) -> None:
        with mock.patch.object(plot_commands.time, "sleep", kill_at_first_wait):
            for option in ("--speedup", "--save-every", "--drop-after", "--plotter"):
                _run(["emulate", option, value], place)
            _run(["emulate", "--record", path], place)
        assert Path("/dev/null").is_char_device()

    check()


# -- each failure measured in issue 24 -------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--dpi", "nan"], "--dpi must be in (0, 1200], got nan"),
        (["--pen-width", "1km"], "--pen-width must be at most 50 mm"),
        (["-o", "/"], "-o / is a folder"),
        (["-o", "/proc/self/mem"], "must end in an image suffix"),
        (["-o", "/proc/self/mem.png"], "cannot write it"),
        (["-o", "missing-folder/x.png"], "the folder missing-folder does not exist"),
    ],
)
def test_preview_refuses_what_it_cannot_do_in_one_line(place, real_drawing, args, said):
    """A process of its own, so that a hang in Pillow's C code (--pen-width 1km) fails too."""
    done = subprocess.run(
        [sys.executable, "-m", "plotkit", "preview", str(place / "real.svg"), *args],
        capture_output=True,
        text=True,
        cwd=place,
        timeout=CASE_S * 2,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: ") and said in line, line


def test_a_preview_pen_as_wide_as_the_svg_says_is_refused_too(place):
    svg = write_layers(place / "wide.svg", [("#000000", 1e6, [[(10, 10), (50, 50)]])])
    with _watched():
        result = CliRunner().invoke(app, ["preview", str(svg), "-o", str(place / "w.png")])
    assert result.exit_code == 2 and "give --pen-width" in result.stderr, result.output
