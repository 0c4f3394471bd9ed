"""A gallery: one excite drawing per channel of a layer, then a contact sheet and a page.

Each channel is the excite run with objective ``LAYER:k``, written as ``DIR/ch<k>.svg``,
``.png`` and ``.json`` by ``run_excite``, so its checkpoint ``DIR/ch<k>.svg.ckpt`` makes an
interrupted channel resumable. Rerunning the same command skips finished channels, resumes
the one that was interrupted and rebuilds ``sheet.png`` and ``index.html`` at the end.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from optim.excite import Network
from optim.excite import Progress as StepProgress
from plotkit.errors import Interrupted, UserError
from plotkit.excite.job import run_excite
from plotkit.excite.options import resolve
from plotkit.excite.settings import ExciteRun, settings_from_options
from plotkit.excite.sheet import activation_gain, write_sheet

_CHANNELS = re.compile(r"^(\d+)(?:-(\d+))?$")
MAX_CHANNELS = 4096  # more than any torchvision layer has; a typo like 0-99999 stops here


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


def channel_run(base: ExciteRun, layer: str, channel: int, neuron: bool) -> ExciteRun:
    """The excite run of one channel: the gallery's settings with objective ``layer:channel``."""
    objective = f"{layer}:{channel}{'@neuron' if neuron else ''}"
    return dataclasses.replace(base, settings=dataclasses.replace(base.settings, objective=objective))


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _finished(run: ExciteRun, channel: int, out_dir: Path) -> ChannelResult | None:
    """The channel's earlier result when its three files exist; refused if other settings made it."""
    svg, png, sidecar = paths_of(out_dir, channel)
    if not (svg.exists() and png.exists() and sidecar.exists()):
        return None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        initial, final = float(meta["initial_activation"]), float(meta["final_activation"])
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{sidecar} is not a gallery sidecar; delete ch{channel}.* to redraw it") from None
    if meta.get("settings") != _as_json(dataclasses.asdict(run.settings)):
        raise UserError(
            f"{sidecar} was drawn with other settings; rerun with the same options, "
            "or choose another --output"
        )
    gain, kind = activation_gain(initial, final)
    if "gallery" not in meta:  # stopped between writing the drawing and recording its gain
        _record_gain(sidecar, meta, channel, gain, kind)
    return ChannelResult(channel, svg, png, sidecar, initial, final, gain, kind, skipped=True)


def _record_gain(sidecar: Path, meta: dict[str, Any], channel: int, gain: float, kind: str) -> None:
    """Add the gallery's part to a channel's sidecar: its channel and activation gain."""
    meta["gallery"] = {"channel": channel, "activation_gain": gain, "gain_kind": kind}
    sidecar.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def _check_checkpoint(checkpoint: Path, run: ExciteRun, channel: int) -> None:
    """Refuse, in the gallery's words, a checkpoint that other settings made."""
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if saved.get("settings") != dataclasses.asdict(run.settings):
        raise UserError(
            f"{checkpoint} was made with other settings; rerun with the same options, "
            f"or delete it to draw channel {channel} afresh"
        )


def run_gallery(
    values: dict[str, Any],
    channels: list[int],
    out_dir: Path,
    drawing_mm: float,
    progress: Callable[[GalleryProgress], None] | None = None,
) -> list[ChannelResult]:
    """Draw each channel of ``values``' layer into ``out_dir`` (created if missing), then
    rebuild ``sheet.png`` and ``index.html``. All channels are checked against the layer's
    range before any work; Ctrl-C raises ``Interrupted`` saying how to resume."""
    try:
        return _run_gallery(values, channels, out_dir, drawing_mm, progress)
    except KeyboardInterrupt:  # between channels: every finished one is on disk
        raise Interrupted(
            "Interrupted. Finished channels are kept; run the same command again to go on."
        ) from None


def _run_gallery(
    values: dict[str, Any],
    channels: list[int],
    out_dir: Path,
    drawing_mm: float,
    progress: Callable[[GalleryProgress], None] | None,
) -> list[ChannelResult]:
    for name, flag in (("channel", "--channel"), ("objective", "--objective")):
        if values.get(name) is not None:
            raise UserError(f"gallery takes no {flag}: --channels chooses the channels of --layer")
    if not channels:
        raise UserError("--channels is empty; give a channel, a range or a list like 0,5,9-12")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir} is a file; give a folder to --output")
    resolved = resolve(values)
    base = settings_from_options(values, drawing_mm)
    layer, neuron = resolved["layer"], bool(resolved["neuron"])
    runs = {k: channel_run(base, layer, k, neuron) for k in channels}
    # Loads the model once and checks the largest channel (and the layer) against its range.
    Network(runs[channels[-1]].settings, torch.device("cpu"))
    out_dir.mkdir(parents=True, exist_ok=True)

    results: dict[int, ChannelResult] = {}
    for k in channels:
        earlier = _finished(runs[k], k, out_dir)
        if earlier is not None:
            results[k] = earlier
    pending = [k for k in channels if k not in results]
    per_channel = base.settings.steps + base.settings.finetune_steps
    steps, t0 = per_channel * len(pending), time.perf_counter()
    resumed = 0
    for i, k in enumerate(pending):
        svg, png, sidecar = paths_of(out_dir, k)
        checkpoint = svg.with_name(svg.name + ".ckpt")
        offset, first = i * per_channel, [True]

        def step(p: StepProgress, k: int = k, offset: int = offset, first: list[bool] = first) -> None:
            nonlocal resumed
            if first[0]:
                resumed += p.step - 1  # a resumed channel starts past its checkpoint
                first[0] = False
            if progress is not None:
                progress(
                    GalleryProgress(
                        k,
                        len(results),
                        len(channels),
                        offset + p.step,
                        steps,
                        p.activation,
                        time.perf_counter() - t0,
                        resumed,
                    )
                )

        if checkpoint.exists():
            _check_checkpoint(checkpoint, runs[k], k)
        try:
            result, _ = run_excite(
                runs[k],
                save=svg,
                save_option="--output",
                size_mm=drawing_mm,
                resume=checkpoint.exists(),
                progress=step,
            )
        except (Interrupted, KeyboardInterrupt):
            kept = (
                f"channel {k}'s progress is saved in {checkpoint}"
                if checkpoint.exists()
                else f"channel {k} had not reached its first checkpoint"
            )
            raise Interrupted(
                f"Interrupted at channel {k} ({len(results)} of {len(channels)} channels done; {kept}). "
                "Run the same command again to go on: finished channels are skipped."
            ) from None
        gain, kind = activation_gain(result.initial_activation, result.final_activation)
        _record_gain(sidecar, json.loads(sidecar.read_text(encoding="utf-8")), k, gain, kind)
        results[k] = ChannelResult(
            k, svg, png, sidecar, result.initial_activation, result.final_activation, gain, kind, False
        )
        if progress is not None:
            progress(
                GalleryProgress(
                    k,
                    len(results),
                    len(channels),
                    offset + per_channel,
                    steps,
                    result.final_activation,
                    time.perf_counter() - t0,
                    resumed,
                )
            )
    write_sheet(out_dir)
    return [results[k] for k in channels]
