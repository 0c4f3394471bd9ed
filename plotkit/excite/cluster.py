"""Gallery batches as Ray tasks, on the cluster ``RAY_ADDRESS`` names or on a local Ray
started for the run.

Each task draws one batch with ``excite_batch`` and returns its results; the driver writes
the files as the tasks finish, so a cluster without a shared disk gives the same files as
a local run. A task asks Ray for as many CPUs as it runs threads, so that the tasks Ray runs
at once never ask for more threads than the machine has cores. Ray is an optional extra:
``pip install -e ".[cluster]"``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from optim.errors import OverBudget
from optim.excite import ExciteResult, ExciteSettings, Measure, excite_batch
from plotkit.errors import UserError
from plotkit.excite.budget import PlotBudget, refusal

CLUSTERS = ("ray",)
Keep = Callable[[int, ExciteResult], None]
Job = tuple[list[int], list[ExciteSettings], list[Measure | None]]  # channels, their settings, budgets
Drawer = Callable[[Sequence[Job], str, int, Keep], None]


def draw_batch(
    settings: list[ExciteSettings], device: str, threads: int, measures: list[Measure | None]
) -> list[ExciteResult]:
    """One task: the batch's drawings, without checkpoints (a lost task is simply redone)."""
    return excite_batch(settings, device=device, measures=measures, threads=threads)


def ray_drawer() -> Drawer:
    """A function that draws batches on Ray; refused in one line when Ray is missing."""
    try:
        import ray
    except ImportError:
        raise UserError(
            '--cluster ray needs Ray: pip install -e ".[cluster]" (or pip install ray), then rerun'
        ) from None

    def draw(jobs: Sequence[Job], device: str, threads: int, keep: Keep) -> None:
        started = not ray.is_initialized()
        if started:  # RAY_ADDRESS names a running cluster; without it, Ray starts one here
            ray.init(address=os.environ.get("RAY_ADDRESS"), include_dashboard=False, logging_level="ERROR")
        task = ray.remote(num_cpus=threads)(draw_batch)
        batches = {
            task.remote(settings, device, threads, budgets): (batch, budgets)
            for batch, settings, budgets in jobs
        }
        waiting = list(batches)
        try:
            while waiting:
                ready, waiting = ray.wait(waiting, num_returns=1)
                for ref in ready:
                    for k, result in zip(batches[ref][0], results_of(ref, *batches[ref]), strict=True):
                        keep(k, result)
        except KeyboardInterrupt:
            for ref in waiting:
                ray.cancel(ref, force=True)
            raise
        finally:
            if started:
                ray.shutdown()

    def results_of(
        ref: ray.ObjectRef, channels: list[int], budgets: list[Measure | None]
    ) -> list[ExciteResult]:
        """A task's results; a drawing nothing of fits its budget refused in one line (Ray
        raises the task's error as its own type, its attributes kept)."""
        try:
            return ray.get(ref)
        except OverBudget as over:
            budget = budgets[over.drawing]
            assert isinstance(budget, PlotBudget)  # only a budget or an overdraw limit raises it
            raise UserError(refusal(over, budget, channels[over.drawing])) from None

    return draw
