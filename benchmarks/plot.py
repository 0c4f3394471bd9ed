"""Plotting: the planner's estimate against the emulated board, the host's command rate, and
what ``--optimize`` saves in pen-up travel.

Prints a table, then one JSON line with estimate_s, emulated_s, estimate_error,
host_commands_per_s, board_commands_per_s, pen_up_m and pen_up_m_optimized.

- The drawing: an SVG of coloured strokes (default: plotkit's bundled 160 random strokes;
  the published drawings in ../shared/examples work too), one layer per stroke colour as
  ``vpype read --attr stroke`` makes them, scaled to ``--size`` and placed on an A4 page.
- estimate_s: ``plotkit estimate``'s plotting time. emulated_s: the move time the emulator
  accumulated while the ``ebb`` backend plotted it over a pseudo-terminal.
- host_commands_per_s: commands sent and acknowledged per second of wall time, with the
  emulator running ``--speedup`` times faster than a real board, so that the host side
  (planning, the serial exchange) is what limits it; board_commands_per_s: the rate a real
  board must take at real speed (commands per emulated second), to compare with it.
- pen_up_m, pen_up_m_optimized: pen-up travel as the file is, and after vpype's linemerge
  and linesort (``--optimize``).

    python benchmarks/plot.py [--svg FILE] [--size 150] [--speedup 1000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import vpype as vp

from plotkit.plot.drawing import read_drawing
from plotkit.plot.journal import Journal
from plotkit.plot.schedule import estimate
from plotkit.plot.session import PlotSession
from plotkit.plotter.ebb import EbbBackend
from plotkit.plotter.emulator import EBBEmulator
from plotkit.presets import load_plotter

EXAMPLE = Path(__file__).resolve().parents[1] / "plotkit" / "examples" / "strokes.svg"
MM = vp.convert_length("mm")
MARGIN_MM = 20.0


def place_on_a4(source: Path, size_mm: float, target: Path) -> Path:
    """One layer per stroke colour, the artwork ``size_mm`` wide, at the page's top left margin."""
    doc = vp.read_svg_by_attributes(str(source), ["stroke"], quantization=0.01 * MM)
    x0, y0, x1, y1 = doc.bounds()
    doc.translate(-x0, -y0)
    doc.scale(size_mm * MM / max(x1 - x0, y1 - y0))
    doc.translate(MARGIN_MM * MM, MARGIN_MM * MM)
    doc.page_size = vp.PAGE_SIZES["a4"]
    with open(target, "w") as f:
        vp.write_svg(f, doc, page_size=doc.page_size)
    return target


def emulate(svg: Path, plotter_name: str, speedup: float) -> tuple[float, int, float]:
    """Emulated move seconds, commands sent and wall seconds of plotting ``svg``."""
    plotter = load_plotter(plotter_name)
    drawing = read_drawing(svg)
    board = EBBEmulator(speedup=speedup)
    try:
        backend = EbbBackend(plotter, board.start())
        t0 = time.perf_counter()
        PlotSession(drawing, plotter, backend, Journal("benchmark", {}), None).run()
        assert board.wait_idle(timeout=600)
        wall = time.perf_counter() - t0
    finally:
        board.stop()
    return board.paper.move_seconds, backend.sent, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=EXAMPLE, help="strokes to plot (any SVG)")
    parser.add_argument("--size", type=float, default=150.0, help="artwork width on paper, mm")
    parser.add_argument("--plotter", default="axidraw-v3")
    parser.add_argument("--speedup", type=float, default=1000.0, help="emulator speed over a real board")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        svg = place_on_a4(args.svg, args.size, Path(folder) / "drawing.svg")
        plotter = load_plotter(args.plotter)
        plain = estimate(read_drawing(svg), plotter)
        optimized = estimate(read_drawing(svg, optimize=True), plotter)
        emulated_s, sent, wall = emulate(svg, args.plotter, args.speedup)

    error = plain.seconds / emulated_s - 1
    results = {
        "estimate_s": plain.seconds,
        "emulated_s": emulated_s,
        "estimate_error": error,
        "host_commands_per_s": sent / wall,
        "board_commands_per_s": sent / emulated_s,
        "pen_up_m": plain.pen_up_mm / 1000,
        "pen_up_m_optimized": optimized.pen_up_mm / 1000,
    }
    print(
        f"{args.svg.name} at {args.size:g} mm on {args.plotter}: {plain.layers} layers, {plain.lifts} lifts"
    )
    print(f"{'measure':46} {'value':>10}  target")
    print(f"{'planner estimate, s':46} {plain.seconds:10.1f}")
    print(f"{'emulated move time, s':46} {emulated_s:10.1f}")
    print(f"{'estimate error':46} {error:10.2%}  within 5%")
    print(f"{f'host commands/s (emulator {args.speedup:g}x real time)':46} {sent / wall:10.0f}")
    print(f"{'commands/s a real board takes':46} {sent / emulated_s:10.0f}")
    print(f"{'pen-up travel, m':46} {plain.pen_up_mm / 1000:10.2f}")
    print(f"{'pen-up travel with --optimize, m':46} {optimized.pen_up_mm / 1000:10.2f}")
    print(f"{'plotting time with --optimize, s':46} {optimized.seconds:10.1f}")
    results.update(
        svg=args.svg.name,
        size_mm=args.size,
        speedup=args.speedup,
        commands=sent,
        estimate_s_optimized=optimized.seconds,
    )
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in results.items()}))


if __name__ == "__main__":
    main()
