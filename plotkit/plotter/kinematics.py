"""AxiDraw mixed-axis kinematics: two motors drive one belt, so x and y are their sum and
difference. Motor steps are counted at 16x microstepping (``units.STEPS_PER_MM`` per mm)."""

from __future__ import annotations

from plotkit.units import STEPS_PER_MM


def motor_steps(x_mm: float, y_mm: float) -> tuple[float, float]:
    """Motor 1 and motor 2 positions, in steps, of the carriage at (x, y) mm from home."""
    return (x_mm + y_mm) * STEPS_PER_MM, (x_mm - y_mm) * STEPS_PER_MM


def position_mm(motor1: float, motor2: float) -> tuple[float, float]:
    """Where the carriage is, in mm from home, for these motor positions in steps."""
    return (motor1 + motor2) / 2 / STEPS_PER_MM, (motor1 - motor2) / 2 / STEPS_PER_MM
