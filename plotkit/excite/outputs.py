"""Write an optimization result: the SVG to plot, the optimized strokes, a PNG preview and
the JSON sidecar."""

from __future__ import annotations

import dataclasses
import json
import platform
from pathlib import Path

import torch
import vpype as vp

from optim.atomic import atomic_file, save_image, write_atomic
from optim.excite import ExciteResult, pick_device
from optim.render.svg import scene_to_svg
from plotkit.errors import UserError
from plotkit.excite.placement import A4, Page, Placement, pen_layers, pen_line_collections, plot_document
from plotkit.excite.rasterize import to_pil
from plotkit.excite.settings import ExciteRun
from plotkit.excite.sidecar import PlotCost, Sidecar, write_sidecar
from plotkit.plot.drawing import check_fits, document_drawing
from plotkit.plot.schedule import estimate
from plotkit.presets import DEFAULT_PLOTTER, PenSet, load_plotter


def write_drawing(
    result: ExciteResult, svg_path: Path, run: ExciteRun, size_mm: float, page: Page = A4
) -> Sidecar:
    """The drawing to plot at ``svg_path`` (each pen's strokes in plotting order, on ``page``),
    beside it the optimized strokes (``.strokes.svg``), a PNG of what the network saw and the
    JSON sidecar; returns the sidecar. Free colours, which no pen draws, are written as the
    strokes alone."""
    scene = result.scene
    layers = pen_layers(scene.n_paths, result.pens, run.pens, free=result.settings.colors == "free")
    free = result.settings.colors == "free"
    strokes = svg_path if free else svg_path.with_name(svg_path.stem + ".strokes.svg")
    write_atomic(strokes, scene_to_svg(scene, layers, size_mm))
    cost = None
    if not free:
        written = write_plot(result, run.pens, page.place(size_mm), svg_path)
        cost = plot_cost(written, svg_path, run.options.plotter)
    png = svg_path.with_suffix(".png")
    save_image(to_pil(scene), png)
    sidecar = Sidecar(
        options=run.options,
        settings=json.loads(json.dumps(dataclasses.asdict(result.settings))),
        weights=result.weights_label,
        initial_activation=result.initial_activation,
        final_activation=result.final_activation,
        strokes=scene.n_paths,
        strokes_svg=strokes.name,
        ink_coverage=round(result.coverage, 4),
        seconds=round(result.seconds, 2),
        device=str(pick_device(run.device)),
        precision=result.precision,
        drawing_size_mm=size_mm,
        pens=run.pens.name if run.pens is not None else None,
        layers={name: len(members) for name, members in layers},
        torch=torch.__version__,
        python=platform.python_version(),
        svg=svg_path.name,
        png=png.name,
        plot=cost,
    )
    write_sidecar(svg_path.with_suffix(".json"), sidecar)
    return sidecar


def write_plot(
    result: ExciteResult, pens: PenSet | None, placement: Placement, svg_path: Path
) -> vp.Document:
    """The plotter's SVG: one layer per pen, lines merged and sorted as vpype's linemerge and
    linesort would, so ``plotkit plot`` draws it in the short order as it is; returns the
    document written."""
    doc = plot_document(pen_line_collections(result, pens, placement), placement)
    with atomic_file(svg_path, "w") as f:
        vp.write_svg(f, doc, page_size=placement.page, source_string="plotkit excite", set_date=False)
    return doc


def plot_cost(doc: vp.Document, svg_path: Path, plotter: str = DEFAULT_PLOTTER) -> PlotCost | None:
    """What plotting ``doc``, as written to ``svg_path``, costs on ``plotter``, as ``plotkit
    estimate`` says of the file (priced in memory: reading the SVG back takes vpype a second);
    None for a page that plotter cannot take (an A3 page on an A4 plotter)."""
    drawing, model = document_drawing(doc, svg_path), load_plotter(plotter)
    try:
        check_fits(drawing, model)
    except UserError:
        return None
    e = estimate(drawing, model)
    return PlotCost(plotter, round(e.seconds, 1), round(e.pen_down_mm / 1000, 3), e.lifts)
