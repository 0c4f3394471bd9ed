"""Under load: optimizer jobs sharing this machine, with plotkit's thread policy and without.

The same ``plotkit excite`` command (MobileNetV2 features.7, ``--steps`` steps, the ImageNet
weights in ../shared when present) is timed once alone, then two and four copies started
together, each as the CLI runs it: a fresh process. Each layout is run twice, with plotkit's
policy (``optim.threads``: a short OpenMP spin) and with libgomp's own (its default spin
set in the environment, which plotkit keeps as a user's choice), so the figures compare in
one run. Then the bundled example is plotted into the emulator (``--speedup`` times a real
board), alone and beside an excite run: the plot's wall time against the board's own move
time shows whether the ETA, which counts the planner's clock, stays honest under load.

Prints a table, then one JSON line: per policy the seconds alone, the slowdown of two and
four together (the slowest copy's time over the time alone), and the plot's times.

    python benchmarks/load.py [--steps 60] [--speedup 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plot import EXAMPLE, emulate, place_on_a4  # benchmarks/plot.py: the example plotted on A4

from optim.threads import POLICY
from plotkit.presets import DEFAULT_PLOTTER

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT.parent / "shared" / "weights" / "mobilenet_v2_imagenet.pth"
LIBGOMP = {"GOMP_SPINCOUNT": "300000"}  # libgomp's own spin, as if plotkit set nothing


def excite_command(out: Path, steps: int) -> list[str]:
    weights = str(WEIGHTS) if WEIGHTS.is_file() else "random"
    return [
        *(sys.executable, "-m", "plotkit", "excite", "--model", "mobilenet_v2", "--weights", weights),
        *("--layer", "features.7", "--channel", "12", "--size", "224", "--steps", str(steps), "--quiet"),
        *("-o", str(out)),
    ]


def environment(policy: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in POLICY and k != "OMP_WAIT_POLICY"}
    return env | policy


def together(copies: int, steps: int, policy: dict[str, str]) -> float:
    """Seconds until the slowest of ``copies`` excite runs started together finishes."""
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen(
                excite_command(Path(folder) / f"d{i}.svg", steps),
                env=environment(policy),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for i in range(copies)
        ]
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"excite failed: {err.decode()[-500:]}")
        return time.perf_counter() - t0


def plot_seconds(speedup: float, beside_steps: int, policy: dict[str, str]) -> tuple[float, float]:
    """Wall seconds of plotting the example into the emulator, and the board's own move time
    scaled to the emulator's speed (what an honest ETA counts down); with ``beside_steps``, an
    excite run of that many steps runs meanwhile."""
    with tempfile.TemporaryDirectory() as folder:
        svg = place_on_a4(EXAMPLE, 120.0, Path(folder) / "example.svg")
        beside = excite_command(Path(folder) / "beside.svg", beside_steps)
        other = (
            subprocess.Popen(beside, env=environment(policy), stdout=subprocess.DEVNULL)
            if beside_steps
            else None
        )
        try:
            if other is not None:
                time.sleep(5)  # the excite run past its start-up, at full work
            emulated, _, wall = emulate(svg, DEFAULT_PLOTTER, speedup)
        finally:
            if other is not None:
                other.terminate()
                other.wait()
    return wall, emulated / speedup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--speedup", type=float, default=10.0, help="emulator speed for the plot")
    parser.add_argument("--copies", type=int, nargs="+", default=[2, 4])
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} cores; excite mobilenet_v2 features.7, {args.steps} steps, "
        f"weights: {WEIGHTS if WEIGHTS.is_file() else 'random'}"
    )
    figures: dict[str, dict] = {}
    for name, policy in (("plotkit", POLICY), ("libgomp", LIBGOMP)):
        alone = together(1, args.steps, policy)
        row = {"alone_s": round(alone, 1)}
        for copies in args.copies:
            row[f"x{copies}_slowdown"] = round(together(copies, args.steps, policy) / alone, 2)
        plot_alone, predicted = plot_seconds(args.speedup, 0, policy)
        plot_loaded, _ = plot_seconds(args.speedup, 10 * args.steps, policy)
        row |= {"plot_board_s": round(predicted, 1), "plot_alone_s": round(plot_alone, 1)}
        row["plot_beside_excite_s"] = round(plot_loaded, 1)
        figures[name] = row
        together_text = ", ".join(f"{c} together {row[f'x{c}_slowdown']:.2f}x" for c in args.copies)
        print(
            f"{name:8s} {policy}: alone {alone:.1f} s, {together_text}; plot {plot_alone:.1f} s alone, "
            f"{plot_loaded:.1f} s beside an excite (the board's own time: {predicted:.1f} s)"
        )
    figures["alone_plotkit_vs_libgomp"] = round(
        figures["plotkit"]["alone_s"] / figures["libgomp"]["alone_s"], 3
    )
    print(json.dumps({"steps": args.steps, "cores": os.cpu_count(), **figures}))


if __name__ == "__main__":
    main()
