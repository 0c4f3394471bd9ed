"""What may enter the served folder: SVG files only, under a size limit, with no entities
and no outside references, under plain names that never leave the folder."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from optim.atomic import write_atomic
from plotkit.errors import UserError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # far above any drawing a plotter can finish in a day
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,120}\.svg", re.IGNORECASE)
_INLINE_HREF = ("#", "data:")


def drawing_path(folder: Path, name: str) -> Path:
    """``folder/name`` for a plain SVG file name; anything that could leave the folder (a
    separator, ``..``, a leading dot, a link out of it) is refused."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise UserError(f"{name!r} is not a drawing name; use a plain file name ending in .svg")
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise UserError(f"{name!r} leads out of the served folder; use a file inside it")
    return path


def list_drawings(folder: Path) -> list[str]:
    """The SVG files of the folder that can be served, by name."""
    return sorted(p.name for p in folder.glob("*.svg") if p.is_file() and _NAME.fullmatch(p.name))


def check_svg(data: bytes) -> None:
    """Refuse anything but a self-contained SVG document: entities (expansion bombs, local
    files read through them) and references to outside files or URLs are never followed."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError(f"the file is over the {MAX_UPLOAD_BYTES // 2**20} MB limit; simplify the drawing")
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException:
        raise UserError("the SVG declares entities, which are not read here; export it again") from None
    except SafeET.ParseError as exc:
        raise UserError(f"not an SVG file (not XML: {exc}); choose an .svg drawing") from None
    if root.tag not in ("svg", "{http://www.w3.org/2000/svg}svg"):
        raise UserError(f"not an SVG file (its root is <{root.tag}>); choose an .svg drawing")
    for element in root.iter():
        for key, value in element.attrib.items():
            if key.rsplit("}", 1)[-1] == "href" and not value.strip().startswith(_INLINE_HREF):
                raise UserError(f"the SVG refers to an outside file ({value[:80]!r}); embed or remove it")


def store_upload(folder: Path, name: str, data: bytes) -> str:
    """Check the upload and write it into the folder; the name it was stored under. A file of
    that name with other contents is never replaced (its plot may have a journal): the new
    one gets a numbered name."""
    path = drawing_path(folder, name)
    check_svg(data)
    digest = hashlib.sha256(data).digest()
    stem, n = path.stem, 1
    while path.exists() and hashlib.sha256(path.read_bytes()).digest() != digest:
        n += 1
        path = drawing_path(folder, f"{stem}-{n}.svg")
    if not path.exists():
        write_atomic(path, data)
    return path.name
