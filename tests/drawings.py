"""Drawings to plot, written through vpype: no torch, so the plotting tests never load it."""

from __future__ import annotations

import numpy as np
import vpype as vp

from plotkit.units import PX_PER_MM


def write_layers(path, layers, page=(200, 150)):
    """A vpype document with one layer per (colour, width_mm, lines in mm)."""
    doc = vp.Document(page_size=(page[0] * PX_PER_MM, page[1] * PX_PER_MM))
    for i, (color, width, lines) in enumerate(layers, 1):
        collection = vp.LineCollection(
            [np.array([complex(*xy) for xy in line]) * PX_PER_MM for line in lines]
        )
        doc.add(collection, i)
        doc.layers[i].set_property(vp.METADATA_FIELD_COLOR, vp.Color(color))
        doc.layers[i].set_property(vp.METADATA_FIELD_PEN_WIDTH, width * PX_PER_MM)
    with open(path, "w") as f:
        vp.write_svg(f, doc, page_size=doc.page_size)
    return path
