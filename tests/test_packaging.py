"""A normal (non-editable) install carries the bundled presets (pens, plotters, recipes) and
the web page of ``plotkit serve``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from plotkit.presets import KINDS, preset_files

ROOT = Path(__file__).resolve().parents[1]


def test_a_wheel_holds_the_presets_and_its_install_lists_them(tmp_path):
    # built from a copy: setuptools writes build/ and *.egg-info beside the sources it builds
    source = tmp_path / "source"
    skipped = shutil.ignore_patterns(
        ".*", "build", "*.egg-info", "__pycache__", "docs", "tests", "benchmarks"
    )
    shutil.copytree(ROOT, source, ignore=skipped)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = {kind: sorted(preset_files(kind)) for kind in KINDS}
    for kind, presets in bundled.items():
        assert presets and all(f"plotkit/presets/data/{kind}/{p}.toml" in names for p in presets), kind
    page = {p.name for p in (ROOT / "plotkit/serve/static").iterdir()}  # plotkit serve's page, offline
    assert page >= {"index.html", "app.js", "style.css"}
    assert all(f"plotkit/serve/static/{name}" in names for name in page)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    # the installed wheel comes first; the dependencies come from this environment
    env = dict(os.environ, PYTHONPATH=str(site), COLUMNS="300", PLOTKIT_PRESETS="", HOME=str(tmp_path))
    listed = subprocess.run(
        [sys.executable, "-m", "plotkit", "presets"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    for presets in bundled.values():
        for name in presets:
            assert name in listed.stdout
    assert str(site / "plotkit" / "presets" / "data") in listed.stdout
    assert str(ROOT) not in listed.stdout
