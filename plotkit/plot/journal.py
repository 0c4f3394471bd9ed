"""The plot journal beside a drawing: how far its plot got, so it can resume exactly there.

``drawing.svg.plotkit.json`` is rewritten atomically (``optim.atomic``), so a
crash or a pulled plug leaves the previous version or the new one, never half of each. It is
keyed by the SHA-256 of the drawing's bytes and by the settings that decide what is drawn
and in which order; a resume against anything else is refused with the reason.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from optim.atomic import write_atomic
from plotkit.errors import UserError

VERSION = 1


@dataclass
class Cursor:
    """The first segment not yet drawn: layer index, stroke index in it, segment index in that."""

    layer: int = 0
    stroke: int = 0
    segment: int = 0


@dataclass
class Journal:
    drawing_sha256: str
    settings: dict[str, Any]
    cursor: Cursor = field(default_factory=Cursor)
    strokes_done: int = 0
    drawn_mm: float = 0.0
    pen_mm: float = 0.0  # pen-down distance since the last pen change
    drawing_s: float = 0.0  # drawing time (plotter time, pen down) since the last pause
    elapsed_s: float = 0.0  # plotter time (planned time of what was drawn) over every session
    position_mm: tuple[float, float] | None = (0.0, 0.0)  # where the carriage was left; None: unknown
    stopped_by: str = ""  # quit, interrupt, button, link, finished
    finished: bool = False


RESERVE_BYTES = 16384  # room for a few journal saves once the disk is full


def reserve_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".reserve")


def reserve_space(journal: Path) -> None:
    """Set some disk space aside beside the journal while a plot runs. When the disk fills,
    ``release_space`` gives it back, so the saves that record where the plot stopped still fit.
    A disk full already gets no reserve: the plot's first save fails and stops it."""
    try:
        reserve_path(journal).write_bytes(b"\0" * RESERVE_BYTES)
    except OSError:
        reserve_path(journal).unlink(missing_ok=True)


def release_space(journal: Path) -> bool:
    """Remove the reserve; whether there was one."""
    try:
        reserve_path(journal).unlink()
    except OSError:
        return False
    return True


def journal_path(svg: Path) -> Path:
    return svg.with_name(svg.name + ".plotkit.json")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_journal(path: Path, journal: Journal) -> None:
    write_atomic(path, json.dumps({"version": VERSION, **asdict(journal)}, indent=1))


def load_journal(path: Path) -> Journal:
    damaged = f"{path} is damaged; delete it to plot the drawing from the start"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.pop("version") != VERSION:
            raise UserError(f"{path} was written by another plotkit version; delete it to start over")
        cursor = Cursor(**data.pop("cursor"))
        position = data.pop("position_mm")
        journal = Journal(cursor=cursor, position_mm=tuple(position) if position else None, **data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        raise UserError(damaged) from None
    return journal


def check_resumable(journal: Journal, path: Path, svg: Path, sha256: str, settings: dict[str, Any]) -> None:
    """Refuse to resume against another drawing or other settings, saying which."""
    if journal.drawing_sha256 != sha256:
        raise UserError(
            f"{svg} changed since its plot stopped ({path} belongs to the earlier version); "
            f"restore that file to resume, or delete {path.name} to plot the new one from the start"
        )
    # a setting missing on either side is off (a flag added after the journal was written)
    keys = [*settings, *(k for k in journal.settings if k not in settings)]
    changed = [
        f"{k} was {journal.settings.get(k, False)!r}"
        for k in keys
        if journal.settings.get(k, False) != settings.get(k, False)
    ]
    if changed:
        raise UserError(
            f"the plot of {svg} was started with other settings ({', '.join(changed)}); "
            "resume with the same ones"
        )


def open_journal(
    svg: Path, strokes: int, settings: dict[str, Any], resume: bool, dry_run: bool
) -> tuple[Journal, Path]:
    """The journal a plot of ``svg`` starts from: a fresh one, or with ``resume`` the saved one.

    A fresh plot over an unfinished journal is refused (it would lose that progress), and so
    is a resume of a finished plot or of another drawing or other settings."""
    path = journal_path(svg)
    sha = file_sha256(svg)
    if not resume:
        if path.exists() and not dry_run:
            old = load_journal(path)
            if not old.finished:
                raise UserError(
                    f"{svg} has an unfinished plot ({old.strokes_done}/{strokes} strokes, see "
                    f"{path.name}): add --resume to go on, or delete {path.name} to start over"
                )
        return Journal(sha, settings), path
    if not path.exists():
        raise UserError(f"{svg}: no plot to resume ({path.name} is missing); plot it without --resume")
    journal = load_journal(path)
    check_resumable(journal, path, svg, sha, settings)
    if journal.finished:
        raise UserError(f"the plot of {svg} is finished; plot it again without --resume")
    return journal, path
