"""What makes a step cheaper keeps its results honest: the allocator setting, channels-last
layout and bf16 autocast."""

from __future__ import annotations

import math

import pytest

from optim.allocator import keep_freed_memory
from optim.augment import Augment
from optim.errors import ExciteError
from optim.excite import ExciteSettings, excite

TINY = dict(weights="random", objective="relu2_2:2", paths=20, size=64, steps=3, augment=Augment(1, 64))


def test_glibc_keeps_freed_buffers_and_saying_so_twice_is_harmless():
    assert keep_freed_memory() is True  # this machine's Python runs on glibc
    assert keep_freed_memory() is True


def test_bf16_runs_and_lands_near_fp32():
    fp32 = excite(ExciteSettings(**TINY), device="cpu")
    bf16 = excite(ExciteSettings(**TINY, precision="bf16"), device="cpu")
    assert math.isfinite(bf16.final_activation)
    assert bf16.final_activation == pytest.approx(fp32.final_activation, rel=0.25)  # bf16 rounding


def test_unknown_precision_is_refused():
    with pytest.raises(ExciteError, match="unknown precision 'fp8'"):
        ExciteSettings(**TINY, precision="fp8")


def test_same_seed_same_drawing_with_channels_last():
    a, b = (excite(ExciteSettings(**TINY), device="cpu") for _ in range(2))
    assert (a.scene.points == b.scene.points).all()
