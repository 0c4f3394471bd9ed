"""Plot budgets against what a user does without them, on the real MobileNetV2.

For each channel of features.7 (the ImageNet weights in ../shared), 10 cm with the black
fineliner, and each plotting time:

- budgeted: ``--plot-time``;
- ink bisection: the same command with ``--ink`` lowered (bisection, ``--tries`` runs) until
  ``plotkit estimate --optimize`` fits; the best that fits;
- random thinning: the unbudgeted drawing (default ink) with random strokes dropped until it
  fits (the most that fit, by bisection).

Prints estimate / budget, each drawing's activation (the finished strokes as the network
sees them), the budgeted one's over the other two, and the seconds each took; then one JSON
line. Without the weights it says so and exits 0.

    python benchmarks/budget.py [--channels 1 7 12] [--minutes 5 15 45] [--steps 500] [--tries 4]
                               [--seeds 0]

With several ``--seeds``, every drawing is made once per seed and the activations are the
means over them (one seed's cell moves by 10 % and more from seed to seed).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import torch

from optim.excite import ExciteResult, ExciteSettings, Network
from optim.render import render
from plotkit.excite.budget import PlotBudget
from plotkit.excite.job import run_excite
from plotkit.excite.options import DEFAULTS
from plotkit.excite.placement import A4
from plotkit.excite.request import request
from plotkit.excite.settings import plan
from plotkit.plot.drawing import read_drawing
from plotkit.plot.schedule import estimate
from plotkit.presets import DEFAULT_PLOTTER, load_pen_set, load_plotter

WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "weights" / "mobilenet_v2_imagenet.pth"
SIZE_MM = 100.0
DEFAULT_INK = DEFAULTS.ink
COMMON = {"model": "mobilenet_v2", "weights": str(WEIGHTS), "layer": "features.7", "pens": "black-fineliner"}


def drawn(out: Path, name: str, options: dict) -> tuple[ExciteResult, float, float]:
    """A drawing with ``options``: its result, its plotting seconds as estimate --optimize says
    of the written SVG, and the seconds the run took."""
    t0 = time.perf_counter()
    svg = out / f"{name}.svg"
    result, _ = run_excite(
        plan(request(COMMON | options), SIZE_MM), save=svg, save_option="-o", size_mm=SIZE_MM, resume=False
    )
    took = time.perf_counter() - t0
    return result, estimate(read_drawing(svg, optimize=True), load_plotter(DEFAULT_PLOTTER)).seconds, took


def bisected_ink(
    out: Path, base: dict, budget_s: float, tries: int, runs: dict[float, tuple[ExciteResult, float, float]]
) -> tuple[float, float, float]:
    """The best activation of a drawing whose ink is lowered until it fits, ``runs`` holding
    the drawings made so far by ink (the default ink's first; the same ink draws the same
    drawing, so another budget's bisection reuses them): (activation, its plotting seconds,
    seconds all the tries took, as if none were reused)."""
    result, seconds, took = runs[DEFAULT_INK]
    if seconds <= budget_s:
        return result.final_activation, seconds, took
    lo, hi, best = 0.0, DEFAULT_INK, (-math.inf, math.nan)
    for _ in range(1, tries):
        ink = (lo + hi) / 2
        if ink not in runs:
            runs[ink] = drawn(out, f"ink{ink:.4f}-{base['channel']}-{base['seed']}", base | {"ink": ink})
        result, seconds, t = runs[ink]
        took += t
        if seconds <= budget_s:
            best = max(best, (result.final_activation, seconds))
            lo = ink
        else:
            hi = ink
    return best[0], best[1], took


def thinned(result: ExciteResult, budget_s: float, network: Network, seed: int = 0) -> tuple[float, int]:
    """The activation of ``result``'s drawing with random strokes dropped until it fits, and
    the strokes kept."""
    pens = load_pen_set(COMMON["pens"])
    measure = PlotBudget(budget_s, None, DEFAULT_PLOTTER, pens, A4.place(SIZE_MM))
    order = torch.randperm(result.scene.n_paths, generator=torch.Generator().manual_seed(seed))

    def kept(n: int):
        keep = torch.zeros(result.scene.n_paths, dtype=torch.bool)
        keep[order[:n]] = True
        return result.scene.subset(keep), None if result.pens is None else result.pens[keep]

    lo, hi = 0, result.scene.n_paths + 1  # lo fits, hi does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if measure(*kept(mid)) <= 1 else (lo, mid)
    scene, _ = kept(lo)
    with torch.no_grad():
        image = render(scene)[None]
        return float(network.objectives([image], [network.terms], exact=True)[0]), lo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, nargs="+", default=[1, 7, 12])
    parser.add_argument("--minutes", type=float, nargs="+", default=[5, 15, 45])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--tries", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    if not WEIGHTS.is_file():
        print(f"skipped: the real MobileNetV2 weights are not at {WEIGHTS}")
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for k in args.channels:
            settings = ExciteSettings(model="mobilenet_v2", weights=str(WEIGHTS), objective=f"features.7:{k}")
            network = Network(settings, torch.device("cpu"))
            for seed in args.seeds:
                rows += _cells(out, network, k, seed, args)
    means = [_mean([r for r in rows if (r["channel"], r["minutes"]) == cell]) for cell in _cells_of(rows)]
    if len(args.seeds) > 1:
        for m in means:
            print(
                f"features.7:{m['channel']} in {m['minutes']:g} min, mean over seeds {args.seeds}: "
                f"activation {m['budgeted']:.2f} against ink bisection {m['ink_bisection']:.2f} "
                f"({m['budgeted_over_ink']:.2f}x) and random thinning {m['random_thinning']:.2f} "
                f"({m['budgeted_over_thinning']:.2f}x); plots in at most "
                f"{m['estimate_over_budget']:.2f} of it",
                flush=True,
            )
    print(
        json.dumps(
            {"benchmark": "budget", "steps": args.steps, "seeds": args.seeds, "rows": rows, "means": means}
        )
    )


def _cells(out: Path, network: Network, k: int, seed: int, args: argparse.Namespace) -> list[dict]:
    """Every budget's row for channel ``k`` and ``seed``."""
    base = {"channel": k, "steps": args.steps, "seed": seed}
    runs = {DEFAULT_INK: drawn(out, f"free{k}-{seed}", base)}
    free, free_s, free_took = runs[DEFAULT_INK]
    rows = []
    for minutes in args.minutes:
        budget_s = minutes * 60
        mine, mine_s, mine_took = drawn(
            out, f"b{k}-{minutes:g}-{seed}", base | {"plot_time": f"{budget_s:g}s"}
        )
        ink, ink_s, ink_took = bisected_ink(out, base, budget_s, args.tries, runs)
        thin, thin_kept = thinned(free, budget_s, network)
        row = {
            "channel": k,
            "minutes": minutes,
            "seed": seed,
            "estimate_over_budget": round(mine_s / budget_s, 3),
            "budgeted": round(mine.final_activation, 3),
            "ink_bisection": round(ink, 3),
            "ink_bisection_over_budget": round(ink_s / budget_s, 3),
            "random_thinning": round(thin, 3),
            "budgeted_over_ink": round(mine.final_activation / ink, 3),
            "budgeted_over_thinning": round(mine.final_activation / thin, 3),
            "strokes": mine.scene.n_paths,
            "thinned_strokes": thin_kept,
            "unbudgeted_plot_s": round(free_s, 1),
            "seconds": {"budgeted": round(mine_took, 1), "ink_bisection": round(ink_took, 1)},
            "unbudgeted_seconds": round(free_took, 1),
        }
        rows.append(row)
        print(
            f"features.7:{k} in {minutes:g} min, seed {seed}: plots in {mine_s / 60:.1f} min "
            f"({row['estimate_over_budget']:.2f} of it), activation {row['budgeted']:.2f} against "
            f"ink bisection {ink:.2f} ({row['budgeted_over_ink']:.2f}x) and random thinning "
            f"{thin:.2f} ({row['budgeted_over_thinning']:.2f}x); {mine_took:.0f} s against "
            f"{ink_took:.0f} s of bisection (the unbudgeted drawing plots in {free_s / 60:.1f} min)",
            flush=True,
        )
    return rows


def _cells_of(rows: list[dict]) -> list[tuple[int, float]]:
    return list(dict.fromkeys((r["channel"], r["minutes"]) for r in rows))


def _mean(rows: list[dict]) -> dict:
    """A cell's activations averaged over its seeds, the ratios of those means, and the
    largest share of the budget any seed's drawing took."""
    mean = {
        key: round(sum(r[key] for r in rows) / len(rows), 3)
        for key in ("budgeted", "ink_bisection", "random_thinning")
    }
    return {
        "channel": rows[0]["channel"],
        "minutes": rows[0]["minutes"],
        "seeds": len(rows),
        **mean,
        "budgeted_over_ink": round(mean["budgeted"] / mean["ink_bisection"], 3),
        "budgeted_over_thinning": round(mean["budgeted"] / mean["random_thinning"], 3),
        "estimate_over_budget": max(r["estimate_over_budget"] for r in rows),
    }


if __name__ == "__main__":
    main()
