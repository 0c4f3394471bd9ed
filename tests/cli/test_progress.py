"""The optimizer's progress as a new user reads it: the phase named, the activation with what
it is measured on, elapsed time and ETA labelled, and an ETA that does not jump."""

from __future__ import annotations

import io

from rich.console import Console

from optim.run import Progress
from optim.settings import ExciteSettings
from plotkit.cli.progress import StepTime, excite_bar

TILED = ExciteSettings(size=224, tile=3, steps=100, finetune_steps=100)


def _plain(settings: ExciteSettings, events: list[Progress]) -> list[str]:
    out = io.StringIO()
    with excite_bar(Console(file=out, force_terminal=False), False, settings) as show:
        for e in events:
            show(e)
    return out.getvalue().splitlines()


def test_each_phase_is_named_and_says_what_the_activation_is_measured_on():
    lines = _plain(
        TILED,
        [
            Progress(1, 200, 1.5, 2.0, "base"),
            Progress(100, 200, 13.76, 60.0, "base"),
            Progress(101, 200, 3.7, 61.0, "finetune"),  # said at once: a new phase
        ],
    )
    assert lines[0].startswith("excite: base drawing, step 1/200, activation 1.5 (whole drawing), ")
    assert lines[1].startswith(
        "excite: fine-tuning on 3 x 3 tiles, step 101/200, activation 3.7 (a 224 px window of 672 px), "
    )


def test_elapsed_and_eta_are_labelled():
    line = _plain(TILED, [Progress(20, 200, 1.0, 40.0, "base")])[0]
    assert line.endswith(", 0.50 steps/s, elapsed 0m40s, ETA 6m00s")


def test_an_untiled_run_fine_tunes_the_whole_drawing():
    settings = ExciteSettings(steps=10, finetune_steps=10)
    line = _plain(settings, [Progress(11, 20, 2.0, 5.0, "finetune")])[0]
    assert line.startswith("excite: fine-tuning, step 11/20, activation 2 (whole drawing)")


def test_the_bar_at_a_terminal_labels_its_times_and_names_the_phase():
    out = io.StringIO()
    with excite_bar(Console(file=out, force_terminal=True, width=250), False, TILED) as show:
        show(Progress(150, 200, 3.7, 300.0, "finetune"))
    text = out.getvalue()
    assert "fine-tuning on 3 x 3 tiles" in text and "(a 224 px window of 672 px)" in text
    assert "elapsed 5m00s, ETA 1m40s" in text


def test_one_slow_step_moves_the_eta_a_little_not_fivefold():
    clock, seconds = StepTime(), 0.0
    for step in range(1, 101):
        seconds += 1.0
        clock.update(step, seconds)
    assert clock.eta(100) == "1m40s"
    clock.update(101, seconds + 30.0)  # a respawn's extra pass, the tiling
    # an average over the last 30 s would take 30 s a step for the rate: an ETA of 50 min
    assert 100 < clock.per_step * 100 < 200


def test_the_eta_follows_a_new_step_time_within_a_few_windows():
    clock, seconds = StepTime(), 0.0
    for step in range(1, 401):
        seconds += 1.0 if step <= 100 else 2.0  # fine-tuning steps cost twice as much
        clock.update(step, seconds)
    assert abs(clock.per_step - 2.0) < 0.05


def test_a_resumed_run_starts_from_the_time_its_steps_took():
    clock = StepTime()
    clock.update(50, 100.0)  # the checkpoint's steps and seconds
    assert clock.eta(10) == "0m20s" and clock.rate() == 0.5
