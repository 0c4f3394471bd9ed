"""Absurd sizes end in one line, not a memory error; without a terminal, progress comes as
whole plain lines (issue 11, items 3, 7 and 9)."""

from __future__ import annotations

import pytest
import torch

from optim import excite as excite_module
from optim import run as run_module
from optim.errors import ExciteError
from optim.excite import ExciteSettings, excite
from plotkit.cli.app import app
from tests.scenes import TINY_EXCITE


def _svg(path, side: str) -> str:
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" viewBox="0 0 100 100">'
        '<path d="M 10 10 L 90 90" stroke="black" stroke-width="2" fill="none"/></svg>'
    )
    return str(path)


def test_render_scales_a_huge_svg_down_and_says_so(tmp_path, runner):
    out = tmp_path / "big.png"
    result = runner.invoke(app, ["render", _svg(tmp_path / "big.svg", "50000mm"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "rendered at 4096 px (--size chooses)" in result.stderr
    assert max(__import__("PIL.Image").Image.open(out).size) == 4096


def test_render_refuses_a_size_that_cannot_fit(tmp_path, runner):
    result = runner.invoke(app, ["render", _svg(tmp_path / "a.svg", "100mm"), "--size", "100000"])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1
    assert "--size 100000 makes a 100000 x 100000 px image" in lines[0] and "--size 10000 or less" in lines[0]


def test_running_out_of_memory_is_an_error_not_a_traceback(monkeypatch):
    def no_memory(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(run_module, "render", no_memory)
    settings = ExciteSettings(
        model="vgg16", weights="random", objective="relu2_2:2", paths=5, size=64, steps=2
    )
    with pytest.raises(ExciteError, match="use a smaller `size`, `tile`, `paths`, `batch` or `input_size`"):
        excite(settings, device="cpu")


def test_without_a_terminal_progress_is_whole_plain_lines(tmp_path, runner):
    args = [a for a in TINY_EXCITE if a != "--quiet"]
    result = runner.invoke(app, ["excite", *args, "-o", str(tmp_path / "d.svg")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("excite:")]
    assert lines and lines[-1].startswith("excite: base drawing, step 4/4, activation ")
    assert "ETA" in lines[-1] and "…" not in result.stderr


def test_presets_in_a_pipe_keep_whole_paths(runner):
    result = runner.invoke(app, ["presets"])
    assert result.exit_code == 0 and "…" not in result.output
    assert "presets/data/pens/stabilo-point-88.toml" in result.output


def test_cuda_memory_is_asked_of_the_gpu_when_present():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU here: the CPU path is tested above")
    assert excite_module.memory_available(torch.device("cuda")) > 0
