"""The floors of the house: imports point down, and the paper side works without torch.

``plot/`` and ``plotter/`` never import torch, the optimizer or the command-line layers;
only ``cli/`` and the vpype plugin touch typer, click or rich; ``optim`` knows nothing of
plotkit. Then, with torch and torchvision made unimportable, the plotting commands and vpype
(with the plugin installed) run as usual.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.drawings import write_layers

ROOT = Path(__file__).resolve().parents[1]
TORCH = {"torch", "torchvision"}
TERMINAL = {"typer", "click", "rich"}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (lazy imports count)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _offending(files: list[Path], forbidden: set[str], prefixes: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for path in files:
        for name in _imports(path):
            if name.split(".")[0] in forbidden or name.startswith(prefixes):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_paper_side_never_imports_torch_the_optimizer_or_the_cli():
    """Of ``optim`` it may use the atomic writer alone, which imports nothing of its own."""
    files = _modules("plotkit/plot") + _modules("plotkit/plotter") + _modules("plotkit/presets")
    files += [ROOT / "plotkit/errors.py", ROOT / "plotkit/units.py"]
    bad = _offending(files, TORCH | TERMINAL, ("plotkit.excite", "plotkit.cli", "optim"))
    assert [b for b in bad if not b.endswith(" imports optim.atomic")] == []


def test_the_atomic_writer_imports_only_the_standard_library_and_pillow():
    imported = {name.split(".")[0] for name in _imports(ROOT / "optim/atomic.py")}
    assert imported <= set(sys.stdlib_module_names) | {"PIL"}, imported


def test_the_option_table_vpype_loads_at_start_needs_no_torch():
    """It reads the optimizer's limits, errors and view families, modules that import nothing."""
    light = ("optim.limits", "optim.errors", "optim.views")
    table = ROOT / "plotkit/excite/options.py"
    assert not [n for n in _imports(table) if n.startswith("optim") and n not in light]
    assert not _offending([table], TORCH | TERMINAL, ("plotkit.cli",))
    light_files = [ROOT / f"optim/{name}.py" for name in ("limits", "errors", "views")]
    assert not _offending(light_files, TORCH | {"plotkit"})


def test_the_web_server_is_paper_side_and_leaves_the_terminal_to_the_cli():
    """``plotkit serve`` runs on the small computer beside the plotter: no torch, nothing of the
    optimizer but the atomic writer, and no typer, click or rich below the command itself."""
    bad = _offending(_modules("plotkit/serve"), TORCH | TERMINAL, ("plotkit.excite", "plotkit.cli", "optim"))
    assert [b for b in bad if not b.endswith(" imports optim.atomic")] == []


def test_plotter_floor_does_not_reach_up_into_plot():
    assert not _offending(_modules("plotkit/plotter"), set(), ("plotkit.plot.",))


def test_only_the_cli_and_the_plugin_touch_typer_click_or_rich():
    files = [p for p in _modules("plotkit") if "cli" not in p.parts and p.name != "vpype_plugin.py"]
    assert not _offending(files, TERMINAL)


def test_optim_knows_nothing_of_plotkit_vpype_or_terminals():
    assert not _offending(_modules("optim"), TERMINAL | {"plotkit", "vpype", "vpype_cli"})


def test_optim_names_settings_not_command_line_flags():
    """Its messages name settings (`lr`); the command line turns them into its own flags."""
    flagged = []
    for path in _modules("optim"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise):
                texts = [
                    n.value
                    for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                ]
                flagged += [f"{path.relative_to(ROOT)}: {t!r}" for t in texts if re.search(r"--[a-z]", t)]
    assert not flagged


def test_vpype_plugin_loads_no_torch_at_vpype_start():
    code = "import sys, plotkit.vpype_plugin, plotkit.cli.app; print(sorted(TORCH & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", f"TORCH = {TORCH!r}; {code}"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.fixture
def no_torch(tmp_path) -> dict[str, str]:
    """An environment in which importing torch or torchvision raises ImportError."""
    blocker = tmp_path / "blocker"
    for name in TORCH:
        (blocker / name).mkdir(parents=True)
        (blocker / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked by this test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(blocker), str(ROOT)]))
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_plotting_commands_and_vpype_work_without_torch(tmp_path, no_torch):
    svg = write_layers(tmp_path / "d.svg", [("#ff0000", 0.5, [[(20, 20), (60, 20), (60, 60)]])])
    plotkit = [sys.executable, "-m", "plotkit"]
    vpype = [str(Path(sys.executable).parent / "vpype")]
    blocked = _run([sys.executable, "-c", "import torch"], no_torch, tmp_path)
    assert "blocked by this test" in blocked.stderr  # the blocker itself works
    for args in (
        [*plotkit, "estimate", str(svg)],
        [*plotkit, "preview", str(svg), "-o", str(tmp_path / "p.png")],
        [*plotkit, "plot", str(svg), "--dry-run"],
        [*plotkit, "presets"],
        [*plotkit, "serve", "--help"],
        [*vpype, "line", "0", "0", "1cm", "1cm", "stat"],
    ):
        done = _run(args, no_torch, tmp_path)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)
    assert (tmp_path / "p.png").stat().st_size > 0
    listed = _run([*vpype, "--help"], no_torch, tmp_path)
    assert "neuronexc" in listed.stdout and "could not load plugin" not in listed.stdout


def test_emulate_runs_and_records_without_torch(tmp_path, no_torch):
    record = tmp_path / "paper.svg"
    proc = subprocess.Popen(
        [sys.executable, "-m", "plotkit", "emulate", "--record", str(record)],
        env=no_torch,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "EiBotBoard emulator on" in proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert record.exists()
