"""The OpenMP policy that lets two optimizer runs share the machine: in place before torch
loads, in a fresh process started as the CLI starts, and never over what the user set; and
the cores shared out between the runs going, counted across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

import optim.threads
from optim.augment import Augment
from optim.excite import ExciteSettings, excite
from optim.threads import POLICY, CoreShare, cores, share_cores
from tests.scenes import TINY_EXCITE

# Runs the CLI's own entry point in a fresh process, recording the environment at the moment
# torch is imported (the audit hook sees the import before torch's libraries load).
PROBE = """
import json, os, sys
seen = {}
def hook(event, args):
    if event == "import" and args[0] == "torch" and not seen:
        seen.update({k: os.environ.get(k) for k in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "OMP_NUM_THREADS")})
sys.addaudithook(hook)
from plotkit.cli.app import app
try:
    app(sys.argv[1:])
except SystemExit as end:
    import torch
    print(json.dumps({"code": end.code, "seen": seen, "threads": torch.get_num_threads()}))
"""


def _excite(tmp_path, env: dict[str, str], *extra: str) -> dict:
    args = ["excite", *TINY_EXCITE, "-o", str(tmp_path / "d.svg"), *extra]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {*POLICY, "OMP_WAIT_POLICY", "OMP_NUM_THREADS"}}


def test_the_policy_is_set_before_torch_loads_and_threads_sets_the_runs_threads(tmp_path):
    report = _excite(tmp_path, _clean_env(), "--threads", "1")
    assert report["code"] in (0, None)
    assert report["seen"]["GOMP_SPINCOUNT"] == POLICY["GOMP_SPINCOUNT"]
    assert report["threads"] == 1


def test_what_the_user_set_wins(tmp_path):
    mine = {"GOMP_SPINCOUNT": "123", "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    report = _excite(tmp_path, _clean_env() | mine)
    assert report["seen"] == mine and report["threads"] == 1


def test_share_cores_sets_only_what_is_missing():
    env = {"GOMP_SPINCOUNT": "5"}
    assert share_cores(env) == {} and env == {"GOMP_SPINCOUNT": "5"}
    env = {}
    assert share_cores(env) == POLICY and env == POLICY


@pytest.mark.parametrize("value", ["0", "-1", "1025", "nan"])
def test_threads_out_of_range_is_refused(value, runner, tmp_path):
    from plotkit.cli.app import app

    result = runner.invoke(
        app, ["excite", "--threads", value, "--weights", "random", "-o", str(tmp_path / "d.svg")]
    )
    assert result.exit_code == 2 and "--threads" in result.stderr


# A run in another process: it holds its place until killed, and never cleans up.
HOLD = """
import sys, time
from pathlib import Path
from optim.threads import CoreShare
CoreShare(Path(sys.argv[1]))
print("holding", flush=True)
time.sleep(600)
"""


def test_runs_in_other_processes_count_until_they_end_even_killed(tmp_path):
    mine = CoreShare(tmp_path)
    assert mine.runs() == 1 and mine.threads() == cores()
    other = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "holding"
        assert mine.runs() == 2 and mine.threads() == max(1, cores() // 2)
    finally:
        other.kill()
        other.wait()
    assert mine.runs() == 1 and len(list(tmp_path.glob("*.run"))) == 1  # the killed run's place freed
    mine.close()
    assert not list(tmp_path.glob("*.run"))


def test_more_runs_than_cores_run_one_thread_each(tmp_path, monkeypatch):
    monkeypatch.setattr(optim.threads, "cores", lambda: 2)
    shares = [CoreShare(tmp_path) for _ in range(5)]
    assert [s.threads() for s in shares] == [1] * 5
    for share in shares[1:]:
        share.close()
    assert shares[0].threads() == 2


def _threads_while_running(threads: int | None = None) -> set[int]:
    seen: set[int] = set()
    settings = ExciteSettings(
        weights="random", objective="relu2_2:2", paths=10, size=48, steps=3, augment=Augment(1, 48)
    )
    excite(settings, device="cpu", progress=lambda _: seen.add(torch.get_num_threads()), threads=threads)
    return seen


@pytest.mark.skipif(cores() < 2, reason="one core: every run has all of it")
def test_a_run_takes_its_part_of_the_cores_and_a_given_thread_count_wins(tmp_path, monkeypatch):
    monkeypatch.setattr(optim.threads, "RUNS", tmp_path)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        assert _threads_while_running() == {cores()}
        other = CoreShare(tmp_path)  # another run going
        assert _threads_while_running() == {cores() // 2}
        assert _threads_while_running(threads=cores()) == {cores()}
        other.close()
        assert _threads_while_running() == {cores()}
        assert [p.name for p in tmp_path.iterdir()] == []  # each run gave its place back
    finally:
        torch.set_num_threads(before)


def test_without_a_folder_to_count_runs_in_a_run_takes_every_core(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(optim.threads, "RUNS", tmp_path / "file" / "runs")  # cannot be made
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    torch.set_num_threads(cores())
    assert _threads_while_running() == {cores()}
