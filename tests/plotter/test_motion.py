"""The motion planner against closed forms and kinematic invariants."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plotkit.plotter.motion import Limits, plan_path

LIMITS = Limits(speed=50.0, accel=200.0, cornering=0.127)


def test_long_line_is_a_trapezoid_and_short_line_a_triangle():
    assert plan_path(np.array([[0, 0], [100, 0]]), LIMITS).seconds == pytest.approx(100 / 50 + 50 / 200)
    assert plan_path(np.array([[0, 0], [1, 0]]), LIMITS).seconds == pytest.approx(2 * math.sqrt(1 / 200))


def test_straight_vertices_keep_speed_corners_slow_down_and_reversals_stop():
    straight = plan_path(np.array([[0, 0], [50, 0], [100, 0]]), LIMITS)
    corner = plan_path(np.array([[0, 0], [50, 0], [50, 50]]), LIMITS)
    back = plan_path(np.array([[0, 0], [50, 0], [0, 0]]), LIMITS)
    assert straight.speeds[1] == pytest.approx(50)
    assert 0 < corner.speeds[1] < 10
    assert back.speeds[1] == pytest.approx(0, abs=1e-9)
    assert straight.seconds < corner.seconds < back.seconds


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), min_size=2, max_size=30))
def test_plans_are_kinematically_feasible(points):
    plan = plan_path(np.array(points), LIMITS)
    if len(plan.points) < 2:
        return
    length = np.linalg.norm(np.diff(plan.points, axis=0), axis=1)
    v = plan.speeds
    assert v[0] == 0 and v[-1] == 0
    assert (v <= LIMITS.speed + 1e-9).all()
    assert (np.abs(np.diff(v**2)) <= 2 * LIMITS.accel * length + 1e-6).all()  # reachable with the accel
    assert (plan.durations >= length / LIMITS.speed - 1e-9).all()  # never faster than the limit
    assert np.isfinite(plan.durations).all()
