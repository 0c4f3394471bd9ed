"""Under load: optimizer jobs sharing this machine, with plotkit's thread policy and without.

The same ``plotkit excite`` command (MobileNetV2 features.7, ``--steps`` steps, the ImageNet
weights in ../shared when present) is timed once alone, then two and four copies started
together, each as the CLI runs it: a fresh process. Each layout is run with each policy, so
the figures compare in one run: ``plotkit`` (``optim.threads``: a short OpenMP spin, and the
cores shared out between the runs going), ``spin-only`` (the short spin, every run on every
core: ``--threads`` set to the cores, as plotkit ran before it shared them out) and
``libgomp`` (its own spin set in the environment, which plotkit keeps as a user's choice,
every core). Then the bundled example is plotted into the emulator (``--speedup`` times a real
board), alone and beside an excite run: the plot's wall time against the board's own move
time shows whether the ETA, which counts the planner's clock, stays honest under load.

Prints a table, then one JSON line: per policy the seconds alone (the median of
``--repeats`` runs, the policies taking turns), the slowdown of two and four together (the
slowest copy's time over the time alone), and the plot's times.

    python benchmarks/load.py [--steps 60] [--speedup 10] [--policies plotkit spin-only libgomp]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plot import EXAMPLE, emulate, place_on_a4  # benchmarks/plot.py: the example plotted on A4

from optim.threads import POLICY, cores
from plotkit.presets import DEFAULT_PLOTTER

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT.parent / "shared" / "weights" / "mobilenet_v2_imagenet.pth"
LIBGOMP = {"GOMP_SPINCOUNT": "300000"}  # libgomp's own spin, as if plotkit set nothing
EVERY_CORE = ("--threads", str(cores()))
POLICIES = {  # the environment, and the options added to the command
    "plotkit": (POLICY, ()),
    "spin-only": (POLICY, EVERY_CORE),
    "libgomp": (LIBGOMP, EVERY_CORE),
}


def excite_command(out: Path, steps: int, extra: tuple[str, ...]) -> list[str]:
    weights = str(WEIGHTS) if WEIGHTS.is_file() else "random"
    return [
        *(sys.executable, "-m", "plotkit", "excite", "--model", "mobilenet_v2", "--weights", weights),
        *("--layer", "features.7", "--channel", "12", "--size", "224", "--steps", str(steps), "--quiet"),
        *("-o", str(out)),
        *extra,
    ]


def environment(policy: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in POLICY and k != "OMP_WAIT_POLICY"}
    return env | policy


def together(copies: int, steps: int, policy: str) -> float:
    """Seconds until the slowest of ``copies`` excite runs started together finishes."""
    env, extra = POLICIES[policy]
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen(
                excite_command(Path(folder) / f"d{i}.svg", steps, extra),
                env=environment(env),
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


def plot_seconds(speedup: float, beside_steps: int, policy: str) -> tuple[float, float]:
    """Wall seconds of plotting the example into the emulator, and the board's own move time
    scaled to the emulator's speed (what an honest ETA counts down); with ``beside_steps``, an
    excite run of that many steps runs meanwhile."""
    with tempfile.TemporaryDirectory() as folder:
        svg = place_on_a4(EXAMPLE, 120.0, Path(folder) / "example.svg")
        env, extra = POLICIES[policy]
        beside = excite_command(Path(folder) / "beside.svg", beside_steps, extra)
        other = (
            subprocess.Popen(beside, env=environment(env), stdout=subprocess.DEVNULL)
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
    parser.add_argument("--repeats", type=int, default=3, help="runs alone per policy, taken in turns")
    parser.add_argument("--policies", nargs="+", choices=list(POLICIES), default=list(POLICIES))
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} cores; excite mobilenet_v2 features.7, {args.steps} steps, "
        f"weights: {WEIGHTS if WEIGHTS.is_file() else 'random'}"
    )
    together(1, args.steps, args.policies[0])  # untimed: the first run reads torch and the weights from disk
    # alone, each policy's median of runs taken in turns: single runs differ by up to 20 %
    times: dict[str, list[float]] = {name: [] for name in args.policies}
    for _ in range(args.repeats):
        for name in args.policies:
            times[name].append(together(1, args.steps, name))
    figures: dict[str, dict] = {}
    for name in args.policies:
        alone = statistics.median(times[name])
        row = {"alone_s": round(alone, 1), "alone_runs_s": [round(t, 1) for t in times[name]]}
        for copies in args.copies:
            row[f"x{copies}_slowdown"] = round(together(copies, args.steps, name) / alone, 2)
        plot_alone, predicted = plot_seconds(args.speedup, 0, name)
        plot_loaded, _ = plot_seconds(args.speedup, 10 * args.steps, name)
        row |= {"plot_board_s": round(predicted, 1), "plot_alone_s": round(plot_alone, 1)}
        row["plot_beside_excite_s"] = round(plot_loaded, 1)
        figures[name] = row
        together_text = ", ".join(f"{c} together {row[f'x{c}_slowdown']:.2f}x" for c in args.copies)
        print(
            f"{name:9s} {POLICIES[name]}: alone {alone:.1f} s, {together_text}; "
            f"plot {plot_alone:.1f} s alone, "
            f"{plot_loaded:.1f} s beside an excite (the board's own time: {predicted:.1f} s)"
        )
    for other in ("spin-only", "libgomp"):
        if "plotkit" in figures and other in figures:
            figures[f"alone_plotkit_vs_{other}"] = round(
                figures["plotkit"]["alone_s"] / figures[other]["alone_s"], 3
            )
    print(json.dumps({"steps": args.steps, "cores": os.cpu_count(), **figures}))


if __name__ == "__main__":
    main()
