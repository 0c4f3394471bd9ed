"""The sidecar's schema: written with its version, read back whole, older ones converted and
newer ones refused in one line (no network runs: the sidecars are written here)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from plotkit.errors import UserError
from plotkit.excite.options import DrawingOptions, resolve
from plotkit.excite.sidecar import (
    SCHEMA,
    GalleryEntry,
    PlotCost,
    Sidecar,
    read_sidecar,
    study,
    write_sidecar,
)

SETTINGS = {  # an ExciteSettings as a schema-1 sidecar stored it
    "model": "vgg16",
    "weights": "random",
    "objective": "relu2_2:2",
    "paths": 40,
    "segments": [1, 3],
    "size": 96,
    "steps": 6,
    "lr": 1.0,
    "stroke_width": 1.5,
    "learn_widths": False,
    "width_bounds": [0.5, 4.0],
    "colors": "pens",
    "palette": [[0.0, 0.0, 0.0]],
    "pen_widths": [1.5],
    "tile": 2,
    "finetune_steps": 6,
    "augment": {
        "batch": 1,
        "size": 96,
        "perspective": 0.0,
        "crop_scale": [1.0, 1.0],
        "jitter": 12,
        "pad": 12,
        "scale": [0.9, 1.1],
        "rotate": 10.0,
    },
    "seed": 3,
    "precision": "auto",
    "ink": 0.3,
    "respawn_every": 50,
    "max_pens": None,
    "start": None,
}
RESULT = {
    "initial_activation": 0.5,
    "final_activation": 2.0,
    "strokes": 40,
    "ink_coverage": 0.3,
    "seconds": 1.0,
    "device": "cpu",
    "precision": "fp32",
    "drawing_size_mm": 150.0,
    "pens": "black-fineliner",
    "layers": {"black": 40},
    "svg": "ch2.svg",
    "png": "ch2.png",
}


def _sidecar(**changes) -> Sidecar:
    options = resolve({"weights": "random", "layer": "relu2_2", "channel": 2, "size": 96, "seed": 3})
    fields = RESULT | {
        "options": options,
        "settings": SETTINGS,
        "weights": "random",
        "torch": "t",
        "python": "p",
        "strokes_svg": "ch2.strokes.svg",
    }
    return Sidecar(**fields | changes)


def test_a_sidecar_names_its_schema_and_reads_back_whole(tmp_path):
    path = tmp_path / "ch2.json"
    written = _sidecar(gallery=GalleryEntry(2, 4.0, "ratio"), plot=PlotCost("axidraw-v3", 60.0, 1.5, 40))
    write_sidecar(path, written)
    assert json.loads(path.read_text())["schema"] == SCHEMA == 2
    assert read_sidecar(path) == written


def test_a_sidecar_from_before_schemas_is_converted(tmp_path):
    path = tmp_path / "old.json"
    old = RESULT | {"settings": SETTINGS, "weights": "random", "torch": "t", "python": "p"}
    old["gallery"] = {"channel": 2, "activation_gain": 4.0, "gain_kind": "ratio"}
    path.write_text(json.dumps(old))  # schema 1 had no "schema" and no "options"
    read = read_sidecar(path)
    o = read.options
    assert (o.objective, o.weights, o.seed, o.size, o.tile, o.pens) == (
        "relu2_2:2",
        "random",
        3,
        96,
        2,
        "black-fineliner",
    )
    assert (o.crop_scale, o.scale, o.colors) == ((1.0, 1.0), (0.9, 1.1), "mono")
    assert read.gallery == GalleryEntry(2, 4.0, "ratio") and read.final_activation == 2.0
    assert read.strokes_svg == read.svg == "ch2.svg"  # then the drawing was its strokes
    continued = resolve({}, study(read))  # --from continues it: its canvas is the new tile
    assert (continued.size, continued.finetune_steps, continued.tile) == (192, None, None)


def test_a_sidecar_from_a_newer_plotkit_is_refused_in_one_line(tmp_path):
    path = tmp_path / "new.json"
    path.write_text(json.dumps({"schema": SCHEMA + 1, "options": {}, "renamed": 1}))
    with pytest.raises(
        UserError, match=r"^--from .*new.json was written by a newer plotkit \(sidecar schema 3"
    ):
        read_sidecar(path)


@pytest.mark.parametrize(
    "data",
    [{}, [], {"schema": 2}, {"schema": 2, **RESULT}, {"schema": 2, "options": {"wat": 1}}],
    ids=["empty", "a list", "schema only", "no options", "unknown option"],
)
def test_a_damaged_sidecar_is_refused_in_one_line(data, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"is not a drawing's sidecar; give the .json beside a drawing$"):
        read_sidecar(path)


def test_options_round_trip_through_json():
    options = resolve({"views": "perspective", "segments": "2", "pens": "black-fineliner", "paths": 12})
    assert DrawingOptions.from_json(json.loads(json.dumps(options.to_json()))) == options
    assert dataclasses.replace(options, seed=9) != options
