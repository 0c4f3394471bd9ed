"""The ``plotkit`` command line: thin typer wrappers over plotkit's core functions."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from optim.augment import Augment
from optim.excite import ExciteSettings, pick_device
from optim.excite import Progress as StepProgress
from optim.excite import excite as excite_core
from optim.models import list_layers, load_model
from plotkit.drawing import write_drawing
from plotkit.errors import UserError, exits_cleanly, stderr
from plotkit.rasterize import EXAMPLE_SVG, rasterize_svg

app = typer.Typer(
    help="Neuron-excitation drawings for pen plotters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


class BlendChoice(str, Enum):
    multiply = "multiply"
    over = "over"


@app.callback()
def main() -> None:
    """Neuron-excitation drawings for pen plotters."""


@app.command()
@exits_cleanly
def render(
    svg: Annotated[
        Path | None, typer.Argument(help="SVG of stroked paths (default: the bundled example drawing).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="PNG to write (default: IN.png).")
    ] = None,
    size: Annotated[int | None, typer.Option(help="Longest side of the PNG in pixels.")] = None,
    blend: Annotated[
        BlendChoice, typer.Option(help="multiply: ink on paper; over: what an SVG viewer shows.")
    ] = BlendChoice.multiply,
) -> None:
    """Rasterize an SVG of stroked paths with plotkit's differentiable renderer."""
    svg = svg if svg is not None else EXAMPLE_SVG
    output = output if output is not None else Path(svg.name).with_suffix(".png")
    image = rasterize_svg(svg, size=size, blend=blend.value)
    image.save(output)
    console.print(f"Wrote {output} ({image.width}x{image.height} px, {blend.value} blend)")


class ColorChoice(str, Enum):
    mono = "mono"
    free = "free"


def _range(text: str, kind: type, option: str) -> tuple:
    """'1-3' -> (1, 3); '2' -> (2, 2)."""
    try:
        parts = [kind(p) for p in text.split("-", 1)] if "-" in text.strip("-") else [kind(text)] * 2
    except ValueError:
        raise UserError(f"{option} takes a number or a range like 1-3, got {text!r}") from None
    return tuple(parts)


@app.command()
@exits_cleanly
def layers(
    model: Annotated[str, typer.Argument(help="Torchvision model name, e.g. vgg16, resnet18.")],
    size: Annotated[int, typer.Option(help="Input side used to report map sizes.")] = 224,
) -> None:
    """List a model's layers with their channel counts, for --layer and --objective."""
    net, _ = load_model(model, "random")
    table = Table("layer", "torchvision node", "channels", "map", box=None)
    for info in list_layers(net, size):
        table.add_row(info.name, info.node, str(info.channels), f"{info.height}x{info.width}")
    console.print(table)


def _excite_bar(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]excite[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("activation {task.fields[activation]:.4g}"),
        TextColumn("{task.fields[rate]:.2f} steps/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        disable=quiet,
    )


@app.command()
@exits_cleanly
def excite(
    model: Annotated[str, typer.Option(help="Torchvision model name.")] = "vgg16",
    layer: Annotated[
        str, typer.Option(help="Layer: conv3_3, layer3.1, or a torchvision node name.")
    ] = "conv3_3",
    channel: Annotated[int, typer.Option(help="Channel of --layer to excite.")] = 37,
    neuron: Annotated[bool, typer.Option("--neuron", help="Excite the channel's centre unit only.")] = False,
    objective: Annotated[
        str | None, typer.Option(help="Instead of --layer/--channel: e.g. 'conv3_3:37-conv3_3:7*0.5'.")
    ] = None,
    weights: Annotated[
        str, typer.Option(help="imagenet (downloaded once), random, or a state dict FILE.")
    ] = "imagenet",
    output: Annotated[
        Path, typer.Option("-o", "--output", help="SVG to write; PNG and JSON go beside it.")
    ] = Path("drawing.svg"),
    paths: Annotated[int, typer.Option(help="Number of strokes.")] = 200,
    segments: Annotated[str, typer.Option(help="Cubic segments per stroke, a number or a range.")] = "1-3",
    size: Annotated[int, typer.Option(help="Canvas side in pixels.")] = 224,
    steps: Annotated[int, typer.Option(help="Optimization steps.")] = 500,
    lr: Annotated[float, typer.Option(help="Adam learning rate for control points (pixels).")] = 1.0,
    stroke_width: Annotated[float, typer.Option(help="Stroke width in canvas pixels.")] = 1.0,
    learn_widths: Annotated[
        bool, typer.Option("--learn-widths", help="Let widths vary in 0.5x to 4x.")
    ] = False,
    colors: Annotated[ColorChoice, typer.Option(help="mono: one pen; free: learned RGB per stroke.")] = (
        ColorChoice.mono
    ),
    batch: Annotated[int, typer.Option(help="Augmented views per step.")] = 4,
    input_size: Annotated[int, typer.Option(help="Side of the views the network sees.")] = 224,
    perspective: Annotated[float, typer.Option(help="Perspective distortion scale (0 = off).")] = 0.5,
    crop_scale: Annotated[str, typer.Option(help="Random resized crop area range.")] = "0.7-0.9",
    jitter: Annotated[int, typer.Option(help="Random shift in pixels (0 = off).")] = 8,
    seed: Annotated[int, typer.Option(help="Seed: same seed, same drawing (on the CPU).")] = 0,
    device: Annotated[str, typer.Option(help="auto (CUDA when present), cpu or cuda.")] = "auto",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the checkpoint beside OUTPUT.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Optimize pen strokes that make a neuron fire; write SVG, PNG and JSON."""
    settings = ExciteSettings(
        model=model,
        weights=weights,
        objective=objective or f"{layer}:{channel}{'@neuron' if neuron else ''}",
        paths=paths,
        segments=_range(segments, int, "--segments"),
        size=size,
        steps=steps,
        lr=lr,
        stroke_width=stroke_width,
        learn_widths=learn_widths,
        colors=colors.value,
        augment=Augment(batch, input_size, perspective, _range(crop_scale, float, "--crop-scale"), jitter),
        seed=seed,
    )
    if not output.parent.is_dir():
        raise UserError(f"folder {output.parent} does not exist; create it or choose another --output")
    checkpoint = output.with_name(output.name + ".ckpt")
    bars: list[Progress] = []  # made at the first step: model and objective errors stay one line

    def show(p: StepProgress) -> None:
        if not bars:
            bars.append(_excite_bar(quiet))
            bars[0].add_task("excite", total=steps, activation=float("nan"), rate=0.0)
            bars[0].start()
        bars[0].update(
            bars[0].task_ids[0], completed=p.step, activation=p.activation, rate=p.step / max(p.seconds, 1e-9)
        )

    try:
        try:
            result = excite_core(settings, device=device, checkpoint=checkpoint, resume=resume, progress=show)
        finally:
            for bar in bars:
                bar.stop()
    except KeyboardInterrupt:
        stderr.print(
            f"Interrupted; progress saved to {checkpoint}. Resume with the same options and --resume."
        )
        raise typer.Exit(130) from None
    png, sidecar = write_drawing(result, output, str(pick_device(device)))
    checkpoint.unlink(missing_ok=True)
    console.print(
        f"Wrote {output}, {png} and {sidecar}: activation {result.initial_activation:.4g} -> "
        f"{result.final_activation:.4g} in {result.seconds:.0f} s ({result.weights_label} weights)",
        highlight=False,
    )
