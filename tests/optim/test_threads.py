"""The OpenMP policy that lets two optimizer runs share the machine: in place before torch
loads, in a fresh process started as the CLI starts, and never over what the user set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from optim.threads import POLICY, share_cores
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
