"""Start-up cost of the paper side: what installing plotkit adds to every vpype command, and
how fast the plotting commands answer.

Prints a table, then one JSON line with vpype_s, vpype_without_plugin_s, vpype_ratio,
plot_help_s, plotkit_help_s and their peak memory (max RSS, MB).

- vpype_s: ``vpype line 0 0 1cm 1cm stat`` as installed, with plotkit's plugin, which vpype
  imports at start. vpype_without_plugin_s: the same command with the plugin's entry point
  hidden from vpype, in the same environment. Target: the ratio at most 1.3.
- plot_help_s: ``plotkit plot --help``. Target: under 1.5 s.

Runs alternate between the commands and the median of ``--runs`` is reported, so a
neighbour's load falls on both sides of each ratio.

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

VPYPE_ARGS = ["line", "0", "0", "1cm", "1cm", "stat"]
# vpype's own entry point, with plotkit's plugin filtered out of the plugin group
WITHOUT_PLUGIN = """
import importlib.metadata as md, sys
_all = md.entry_points
class _Hidden:
    def select(self, **kw):
        return md.EntryPoints(e for e in _all(**kw) if not e.value.startswith("plotkit.vpype_plugin"))
def entry_points(**kw):
    return _Hidden().select(**kw) if kw else _Hidden()
md.entry_points = entry_points
from vpype_cli.cli import cli
sys.argv[0] = "vpype"
cli()
"""
COMMANDS = {
    "vpype": [sys.executable, "-c", "from vpype_cli.cli import cli; cli()", *VPYPE_ARGS],
    "vpype_without_plugin": [sys.executable, "-c", WITHOUT_PLUGIN, *VPYPE_ARGS],
    "plot_help": [sys.executable, "-m", "plotkit", "plot", "--help"],
    "plotkit_help": [sys.executable, "-m", "plotkit", "--help"],
}


def _seconds(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():  # warm the file cache once
        subprocess.run(command, check=True, capture_output=True)
    peaks = {}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            times[name].append(_seconds(command))
    for name, command in COMMANDS.items():  # one measured run each in a fresh child for memory
        peaks[name] = _peak_mb(command)
    results = {f"{name}_s": statistics.median(t) for name, t in times.items()}
    results["vpype_ratio"] = results["vpype_s"] / results["vpype_without_plugin_s"]
    results.update({f"{name}_mb": mb for name, mb in peaks.items()})
    print(f"{'measure':44} {'value':>8}  target")
    print(f"{'vpype ... stat, plugin installed, s':44} {results['vpype_s']:8.2f}")
    print(f"{'vpype ... stat, plugin hidden, s':44} {results['vpype_without_plugin_s']:8.2f}")
    print(f"{'ratio':44} {results['vpype_ratio']:8.2f}  at most 1.3")
    print(f"{'plotkit plot --help, s':44} {results['plot_help_s']:8.2f}  under 1.5")
    print(f"{'plotkit --help, s':44} {results['plotkit_help_s']:8.2f}")
    for name in COMMANDS:
        print(f"{f'{name} peak memory, MB':44} {peaks[name]:8.0f}")
    print(json.dumps({k: round(v, 3) for k, v in results.items()}))


def _peak_mb(command: list[str]) -> float:
    """Peak RSS of one run, measured in a fresh Python so earlier children do not count."""
    code = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code, *command], check=True, capture_output=True, text=True)
    return float(out.stdout)


if __name__ == "__main__":
    main()
