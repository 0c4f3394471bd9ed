"""What the server must remember across a restart: the queue of drawings waiting for the
plotter and the plot that holds it (running, or stopped and waiting to be resumed). Where
that plot got to is in its journal; this small file only says which drawing, with which
settings. It is rewritten atomically at every change."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from optim.atomic import write_atomic
from plotkit.errors import UserError
from plotkit.plot.journal import journal_path, load_journal
from plotkit.presets import DEFAULT_PLOTTER

STATE_FILE = ".plotkit-serve.json"
VERSION = 1


@dataclass(frozen=True)
class PlotSettings:
    """The page's controls for one plot; the first three decide what is drawn (the journal
    is keyed by them), ``pause_every`` only when to stop for the pen."""

    plotter: str = DEFAULT_PLOTTER
    optimize: bool = False
    rotate: bool = False
    pause_every: str = ""

    @property
    def journal_settings(self) -> dict[str, object]:
        return {"optimize": self.optimize, "plotter": self.plotter, "rotate": self.rotate}


@dataclass(frozen=True)
class Item:
    """A drawing of the served folder and how to plot it."""

    name: str
    settings: PlotSettings

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "settings": asdict(self.settings)}

    @staticmethod
    def from_json(data: dict) -> Item:
        return Item(str(data["name"]), PlotSettings(**data["settings"]))


class ServeState:
    """The queue and the plot holding the plotter, saved in ``folder/.plotkit-serve.json``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / STATE_FILE
        self.queue: list[Item] = []
        self.active: Item | None = None
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data["version"] != VERSION:
                raise ValueError(data["version"])
            self.queue = [Item.from_json(d) for d in data["queue"]]
            self.active = Item.from_json(data["active"]) if data["active"] else None
        except (OSError, ValueError, TypeError, KeyError):
            raise UserError(
                f"{self.path} is damaged; delete it (the queue is lost, the plots' journals stay)"
            ) from None
        if self.active is not None and not self.resumable(self.active):
            self.active = None  # finished, or its journal deleted by hand meanwhile

    def resumable(self, item: Item) -> bool:
        """Whether the drawing has an unfinished plot in its journal."""
        path = journal_path(self.folder / item.name)
        return path.exists() and not load_journal(path).finished

    def save(self) -> None:
        state = {
            "version": VERSION,
            "queue": [item.to_json() for item in self.queue],
            "active": self.active.to_json() if self.active else None,
        }
        write_atomic(self.path, json.dumps(state, indent=1))
