"""A gallery's contact sheet (``sheet.png``) and page (``index.html``), made from the files
of every finished channel in the folder, so a rerun or a second range adds to them."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from optim.atomic import save_image, write_atomic
from plotkit.excite.sidecar import PlotCost, read_sidecar
from plotkit.units import format_duration

THUMB = 240  # side of each channel's thumbnail on the sheet, pixels: strokes show at this size
LABEL = 40  # height of the two label lines under each thumbnail
PAD = 8  # gap between cells and around the sheet
_SIDECAR = re.compile(r"^ch(\d+)\.json$")


def activation_gain(initial: float, final: float) -> tuple[float, str]:
    """How much the drawing raised its channel: final / initial when the start was positive
    (a ratio reads the same across channels of different scale), else final - initial, since
    a ratio to a value at or below zero means nothing. Returns the value and its kind."""
    if initial > 0:
        return final / initial, "ratio"
    return final - initial, "difference"


def shown_gain(initial: float, final: float) -> str:
    """The gain the sheet and page show, one way for every channel: final - initial ('+5.12').
    A ratio means nothing where a channel starts at or below zero, as trained networks' often
    do, and two kinds side by side ('x2.29', '+5.12') cannot be compared at a glance."""
    return f"{final - initial:+.3g}"


@dataclass(frozen=True)
class Finished:
    channel: int
    svg: str
    png: str
    gain: str  # as shown_gain writes it
    change: float  # final - initial, what the page sorts by
    cost: PlotCost | None  # what plotting it costs; None for free colours or a page too large

    @property
    def time(self) -> str:
        return format_duration(self.cost.seconds) if self.cost else "–"

    @property
    def line(self) -> str:
        return f"{self.cost.pen_down_m:.1f} m" if self.cost else "–"


def finished_channels(out_dir: Path) -> list[Finished]:
    """Channels whose SVG, PNG and sidecar all exist in ``out_dir``, by channel number."""
    found = []
    for sidecar in out_dir.glob("ch*.json"):
        match = _SIDECAR.match(sidecar.name)
        svg, png = sidecar.with_suffix(".svg"), sidecar.with_suffix(".png")
        if not match or not (svg.exists() and png.exists()):
            continue
        meta = read_sidecar(sidecar, said="", fix=f"delete {sidecar.stem}.* to redraw it")
        gain = shown_gain(meta.initial_activation, meta.final_activation)
        change = meta.final_activation - meta.initial_activation
        found.append(Finished(int(match.group(1)), svg.name, png.name, gain, change, meta.plot))
    return sorted(found, key=lambda f: f.channel)


def grid(count: int) -> tuple[int, int]:
    """(columns, rows) of a near-square grid holding ``count`` cells."""
    columns = max(1, math.ceil(math.sqrt(count)))
    return columns, max(1, math.ceil(count / columns))


def sheet_size(count: int) -> tuple[int, int]:
    """Pixel size of the sheet for ``count`` channels."""
    columns, rows = grid(count)
    return PAD + columns * (THUMB + PAD), PAD + rows * (THUMB + LABEL + PAD)


def write_sheet(out_dir: Path) -> tuple[Path, Path]:
    """Write ``sheet.png`` (a grid of thumbnails, each labelled with its channel and gain) and
    ``index.html`` (the sheet, then every channel linked to its SVG and PNG). Returns both."""
    channels = finished_channels(out_dir)
    columns, _ = grid(len(channels))
    sheet = Image.new("RGB", sheet_size(len(channels)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=14)
    for i, ch in enumerate(channels):
        x = PAD + (i % columns) * (THUMB + PAD)
        y = PAD + (i // columns) * (THUMB + LABEL + PAD)
        with Image.open(out_dir / ch.png) as image:  # scaled up or down to fit the cell
            thumb = ImageOps.contain(image.convert("RGB"), (THUMB, THUMB))
        sheet.paste(thumb, (x + (THUMB - thumb.width) // 2, y + (THUMB - thumb.height) // 2))
        draw.rectangle((x - 1, y - 1, x + THUMB, y + THUMB), outline=(200, 200, 200))
        draw.text((x, y + THUMB + 3), f"ch {ch.channel}   gain {ch.gain}", fill="black", font=font)
        draw.text((x, y + THUMB + 21), f"plots in {ch.time}, {ch.line}", fill=(90, 90, 90), font=font)
    sheet_path = out_dir / "sheet.png"
    save_image(sheet, sheet_path)
    page = out_dir / "index.html"
    write_atomic(page, _page(out_dir.name, channels))
    return sheet_path, page


def _cell(ch: Finished) -> str:
    cost = ch.cost
    data = {
        "channel": ch.channel,
        "gain": f"{ch.change:.6g}",
        "time": cost.seconds if cost else "",
        "line": cost.pen_down_m if cost else "",
        "lifts": cost.lifts if cost else "",
    }
    attributes = " ".join(f'data-{k}="{v}"' for k, v in data.items())
    plots = f"plots in {ch.time} on {cost.plotter}, {ch.line} of line, {cost.lifts} lifts" if cost else ""
    return (
        f'<figure {attributes}><a href="{html.escape(ch.svg)}"><img src="{html.escape(ch.png)}" '
        f'width="{THUMB}" alt="channel {ch.channel}"></a><figcaption><a href="{html.escape(ch.svg)}">'
        f'ch {ch.channel}</a> (<a href="{html.escape(ch.png)}">png</a>) gain {ch.gain}<br>{plots}'
        "</figcaption></figure>"
    )


# Sorting the cells by a figure's data attribute; drawings without a cost go last.
_SORT = """<script>
function sortBy(key, down) {
  const cells = document.getElementById("cells");
  const value = (f) => (f.dataset[key] === "" ? Infinity : Number(f.dataset[key]) * (down ? -1 : 1));
  [...cells.children].sort((a, b) => value(a) - value(b)).forEach((f) => cells.append(f));
}
</script>"""


def _page(title: str, channels: list[Finished]) -> str:
    """A static page: the sheet, then one linked thumbnail per channel with its gain and
    plotting cost, sortable by them."""
    cells = "\n".join(_cell(ch) for ch in channels)
    buttons = " ".join(
        f"<button onclick=\"sortBy('{key}', {down})\">{label}</button>"
        for key, down, label in (
            ("channel", "false", "channel"),
            ("gain", "true", "gain"),
            ("time", "false", "plotting time"),
            ("line", "false", "line"),
            ("lifts", "false", "pen lifts"),
        )
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}: {len(channels)} channels</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
figure {{ display: inline-block; margin: 0.5em; text-align: center; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p><img src="sheet.png" alt="contact sheet of {len(channels)} channels"></p>
<p>Sort by {buttons}</p>
<div id="cells">
{cells}
</div>
{_SORT}
</body>
</html>
"""
