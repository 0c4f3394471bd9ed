"""A gallery: one excite drawing per channel of a layer, then a contact sheet and a page.

Each channel is the excite run with objective ``LAYER:k``, written as ``DIR/ch<k>.svg``,
``.png`` and ``.json``; its checkpoint ``DIR/ch<k>.svg.ckpt`` makes an interrupted channel
resumable. Channels are drawn in batches that share each forward pass (``excite_batch``),
here or as Ray tasks (``plotkit.excite.cluster``). Rerunning the same command skips
finished channels, resumes the interrupted ones and rebuilds ``sheet.png`` and
``index.html`` at the end.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from optim.errors import OverBudget
from optim.excite import (
    ExciteResult,
    ExciteSettings,
    Network,
    excite_batch,
    memory_available,
    memory_needed,
    pick_device,
)
from optim.excite import Progress as StepProgress
from optim.run import settings_differ
from plotkit.errors import Interrupted, UserError
from plotkit.excite.budget import refusal
from plotkit.excite.cluster import CLUSTERS, ray_drawer
from plotkit.excite.job import checkpoint_beside, keep_drawing
from plotkit.excite.request import DrawingRequest
from plotkit.excite.settings import ExciteRun, plan
from plotkit.excite.sheet import activation_gain, write_sheet
from plotkit.excite.sidecar import GalleryEntry, Sidecar, read_sidecar, write_sidecar

_CHANNELS = re.compile(r"^(\d+)(?:-(\d+))?$")
MAX_CHANNELS = 4096  # more than any torchvision layer has; a typo like 0-99999 stops here
MAX_BATCH = 16  # channels in one forward pass when memory allows: beyond, little is gained


def parse_channels(text: str) -> list[int]:
    """'0-63', '3' or '0,5,9-12' -> sorted distinct channels; anything else is refused."""
    example = "a channel, a range or a list like 0,5,9-12"
    if not text.strip():
        raise UserError(f"--channels is empty; give {example}")
    channels: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if part.startswith("-") and part[1:].strip().isdigit():
            raise UserError(f"--channels takes channels from 0 up, got {part!r} in {text!r}")
        match = _CHANNELS.match(part)
        if not match:
            raise UserError(f"--channels takes {example}, got {part!r} in {text!r}")
        lo = int(match.group(1))
        hi = int(match.group(2)) if match.group(2) is not None else lo
        if lo > hi:
            raise UserError(f"--channels range {part} runs backwards; give the low end first")
        if hi - lo >= MAX_CHANNELS:
            raise UserError(f"--channels {part} asks for more than {MAX_CHANNELS} channels")
        channels.update(range(lo, hi + 1))
    return sorted(channels)


@dataclass(frozen=True)
class ChannelResult:
    channel: int
    svg: Path
    png: Path
    sidecar: Path
    initial_activation: float
    final_activation: float
    gain: float
    gain_kind: str  # "ratio" or "difference": see sheet.activation_gain
    skipped: bool  # finished by an earlier run of the same command


@dataclass(frozen=True)
class GalleryProgress:
    """The gallery as a whole, after each step and after each channel is written."""

    channel: int  # the channel being drawn (or just finished)
    done: int  # channels finished, those skipped included
    total: int  # channels asked for
    step: int  # steps of this run's channels done, those resumed from checkpoints included
    steps: int  # steps of all the channels this run draws
    activation: float  # the current channel's activation at this step
    seconds: float  # since the gallery started
    resumed_steps: int  # steps of ``step`` that came from checkpoints, not this run's work

    @property
    def eta(self) -> float:
        """Seconds left at this run's own pace (steps from checkpoints cost it nothing)."""
        worked = self.step - self.resumed_steps
        return (self.steps - self.step) * self.seconds / worked if worked > 0 else float("nan")


def paths_of(out_dir: Path, channel: int) -> tuple[Path, Path, Path]:
    """SVG, PNG and JSON sidecar of a channel: exactly ``ch<k>.svg``, ``.png``, ``.json``."""
    svg = out_dir / f"ch{channel}.svg"
    return svg, svg.with_suffix(".png"), svg.with_suffix(".json")


def channel_run(base: ExciteRun, channel: int) -> ExciteRun:
    """The excite run of one channel: the gallery's settings with objective ``layer:channel``."""
    options = dataclasses.replace(base.options, channel=channel)
    settings = dataclasses.replace(base.settings, objective=options.target)
    return dataclasses.replace(base, options=options, settings=settings)


def _finished(run: ExciteRun, channel: int, out_dir: Path) -> ChannelResult | None:
    """The channel's earlier result when its three files exist; refused if other settings made it."""
    svg, png, sidecar = paths_of(out_dir, channel)
    if not (svg.exists() and png.exists() and sidecar.exists()):
        return None
    meta = read_sidecar(sidecar, said="", fix=f"delete ch{channel}.* to redraw it")
    initial, final = meta.initial_activation, meta.final_activation
    differ = settings_differ(meta.settings, run.settings)
    if differ:
        raise UserError(
            f"{sidecar} was drawn with other settings ({', '.join(differ)}); rerun with the same "
            "options, or choose another --output"
        )
    gain, kind = activation_gain(initial, final)
    if meta.gallery is None:  # stopped between writing the drawing and recording its gain
        _record_gain(sidecar, meta, channel, gain, kind)
    return ChannelResult(channel, svg, png, sidecar, initial, final, gain, kind, skipped=True)


def _record_gain(path: Path, sidecar: Sidecar, channel: int, gain: float, kind: str) -> None:
    """Add the gallery's part to a channel's sidecar: its channel and activation gain."""
    write_sidecar(path, dataclasses.replace(sidecar, gallery=GalleryEntry(channel, gain, kind)))


def _check_checkpoint(checkpoint: Path, run: ExciteRun, channel: int) -> None:
    """Refuse, in the gallery's words, a checkpoint that other settings made."""
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    differ = settings_differ(saved.get("settings", {}), run.settings)
    if differ:
        raise UserError(
            f"{checkpoint} was made with other settings ({', '.join(differ)}); rerun with the same "
            f"options, or delete it to draw channel {channel} afresh"
        )


def batch_size(settings: ExciteSettings, device: str, pending: int) -> int:
    """Channels per batch: on a GPU as many as its free memory holds, up to ``MAX_BATCH``; on
    the CPU one: batches of 2 to 4 gained no more than the noise between runs there, 8 lost
    (benchmarks/gallery.py)."""
    dev = pick_device(device)
    if dev.type == "cpu":
        return 1
    fits = memory_available(dev) // max(1, memory_needed(settings))
    return int(max(1, min(pending, MAX_BATCH, fits)))


def run_gallery(
    asked: DrawingRequest,
    channels: list[int],
    out_dir: Path,
    drawing_mm: float,
    progress: Callable[[GalleryProgress], None] | None = None,
    batch_channels: int | None = None,
    cluster: str | None = None,
) -> list[ChannelResult]:
    """Draw each channel of ``values``' layer into ``out_dir`` (created if missing), then
    rebuild ``sheet.png`` and ``index.html``. ``batch_channels`` channels share each forward
    pass (default: as many as fit); ``cluster="ray"`` draws the batches as Ray tasks. All
    channels are checked against the layer's range before any work; Ctrl-C raises
    ``Interrupted`` saying how to resume."""
    if batch_channels is not None and batch_channels < 1:
        raise UserError(f"--batch-channels must be 1 or more, got {batch_channels}")
    if cluster not in (None, *CLUSTERS):
        raise UserError(f"--cluster takes {' or '.join(CLUSTERS)}, got {cluster!r}")
    try:
        return _run_gallery(asked, channels, out_dir, drawing_mm, progress, batch_channels, cluster)
    except KeyboardInterrupt:  # between batches: every finished channel is on disk
        raise Interrupted(
            "Interrupted. Finished channels are kept; run the same command again to go on."
        ) from None


class _Tally:
    """The gallery's progress across batches: steps done, resumed and still to do."""

    def __init__(
        self, total: int, finished: int, steps: int, report: Callable[[GalleryProgress], None] | None
    ):
        self.total, self.finished, self.steps, self.report = total, finished, steps, report
        self.t0 = time.perf_counter()
        self.done_steps = 0  # of channels finished by this run
        self.current: dict[int, int] = {}  # channel -> its steps done, in the batch under way
        self.resumed = 0

    def step(self, channel: int, p: StepProgress) -> None:
        if channel not in self.current:
            self.resumed += p.step - 1  # a resumed channel starts past its checkpoint
        self.current[channel] = p.step
        self._report(channel, p.activation)

    def finish(self, channel: int, per_channel: int, activation: float) -> None:
        self.current.pop(channel, None)
        self.done_steps += per_channel
        self.finished += 1
        self._report(channel, activation)

    def _report(self, channel: int, activation: float) -> None:
        if self.report is not None:
            step = self.done_steps + sum(self.current.values())
            seconds = time.perf_counter() - self.t0
            self.report(
                GalleryProgress(
                    channel, self.finished, self.total, step, self.steps, activation, seconds, self.resumed
                )
            )


def _run_gallery(
    asked: DrawingRequest,
    channels: list[int],
    out_dir: Path,
    drawing_mm: float,
    progress: Callable[[GalleryProgress], None] | None,
    batch_channels: int | None,
    cluster: str | None,
) -> list[ChannelResult]:
    if not channels:
        raise UserError("--channels is empty; give a channel, a range or a list like 0,5,9-12")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir} is a file; give a folder to --output")
    base = plan(asked, drawing_mm)
    runs = {k: channel_run(base, k) for k in channels}
    # Loads the model once and checks the largest channel (and the layer) against its range.
    Network(runs[channels[-1]].settings, torch.device("cpu"))
    if cluster == "ray":
        ray_draw = ray_drawer()  # says how to install Ray before any work
    out_dir.mkdir(parents=True, exist_ok=True)

    results: dict[int, ChannelResult] = {}
    for k in channels:
        earlier = _finished(runs[k], k, out_dir)
        if earlier is not None:
            results[k] = earlier
    pending = [k for k in channels if k not in results]
    per_channel = base.settings.steps + base.settings.finetune_steps
    size = batch_channels or batch_size(base.settings, base.device, len(pending))
    batches = [pending[i : i + size] for i in range(0, len(pending), size)]
    tally = _Tally(len(channels), len(results), per_channel * len(pending), progress)
    for k in pending:
        checkpoint = _checkpoint(out_dir, k)
        if checkpoint.exists():
            _check_checkpoint(checkpoint, runs[k], k)

    def keep(k: int, result: ExciteResult) -> None:  # a channel's files, its gain, the tally
        svg, png, sidecar = paths_of(out_dir, k)
        written = keep_drawing(result, runs[k], svg, drawing_mm)
        gain, kind = activation_gain(result.initial_activation, result.final_activation)
        _record_gain(sidecar, written, k, gain, kind)
        results[k] = ChannelResult(
            k, svg, png, sidecar, result.initial_activation, result.final_activation, gain, kind, False
        )
        tally.finish(k, per_channel, result.final_activation)

    if cluster == "ray":
        jobs = [
            (batch, [runs[k].settings for k in batch], [runs[k].budget for k in batch]) for batch in batches
        ]
        ray_draw(jobs, base.device, base.options.threads or 1, keep)
    else:
        for batch in batches:
            checkpoints = [_checkpoint(out_dir, k) for k in batch]
            try:
                drawn = excite_batch(
                    [runs[k].settings for k in batch],
                    device=base.device,
                    checkpoints=checkpoints,
                    resume=[c.exists() for c in checkpoints],
                    checkpoint_every=base.checkpoint_every,
                    progress=lambda i, p, batch=batch: tally.step(batch[i], p),
                    measures=[runs[k].budget for k in batch],
                    threads=base.options.threads,
                )
            except KeyboardInterrupt:
                saved = [str(c) for c in checkpoints if c.exists()]
                kept = f"progress saved in {', '.join(saved)}" if saved else "no checkpoint reached yet"
                raise Interrupted(
                    f"Interrupted at {_listed(batch)} ({len(results)} of {len(channels)} channels done; "
                    f"{kept}). Run the same command again to go on: finished channels are skipped."
                ) from None
            except OverBudget as over:
                k = batch[over.drawing]
                _checkpoint(out_dir, k).unlink(missing_ok=True)  # a resume would end the same way
                assert runs[k].budget is not None  # only a budget or an overdraw limit raises it
                raise UserError(refusal(over, runs[k].budget, k)) from None
            for k, result in zip(batch, drawn, strict=True):
                keep(k, result)
    write_sheet(out_dir)
    return [results[k] for k in channels]


def _checkpoint(out_dir: Path, channel: int) -> Path:
    return checkpoint_beside(paths_of(out_dir, channel)[0])


def _listed(channels: list[int]) -> str:
    return f"channel {channels[0]}" if len(channels) == 1 else f"channels {', '.join(map(str, channels))}"
