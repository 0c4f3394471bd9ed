"""The one atomic file writer, for both sides: checkpoints, journals, records, drawings, images.

A temporary file in the target's folder, fsync, rename over the target, fsync of the folder:
a crash, a pulled plug or a full disk leaves the previous file or the new one, never half of
each, and the rename itself survives a power cut. The new file gets the permissions a plain
``open`` would give (0666 less the umask), or the ones of the file it replaces.

It lives in ``optim`` because imports only point down (``optim`` knows nothing of plotkit),
and it imports nothing but the standard library, so the paper side may use it without
loading the optimizer (``tests/test_floors.py`` checks both).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_file(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """A file to write ``path`` through (``mode`` "wb" or "w", UTF-8): it replaces ``path``
    only when the block ends without an error; otherwise ``path`` is untouched. Only a
    regular file is replaced: anything else there (a device, a folder) raises ``OSError``."""
    target = Path(path)
    try:
        mode_now = target.stat().st_mode
    except OSError:
        permissions = 0o666  # the umask applies, as for open()
    else:
        if not stat.S_ISREG(mode_now):  # /dev/null, a folder, a pipe: never replaced by a file
            raise OSError(errno.EINVAL, "not a regular file", str(target))
        permissions = mode_now & 0o7777
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, permissions)
    try:
        with open(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Replace ``path`` with ``data`` (text as UTF-8), atomically."""
    with atomic_file(path, "w" if isinstance(data, str) else "wb") as f:
        f.write(data)


def save_image(image: Any, path: str | os.PathLike[str]) -> None:
    """Save a Pillow image atomically, in the format its suffix names (``.png`` and the rest
    Pillow knows); a suffix Pillow does not know raises ``ValueError`` before anything is
    written."""
    from PIL import Image  # only here: the module stays free of imports beyond the stdlib

    kind = Image.registered_extensions().get(Path(path).suffix.lower())
    if kind is None:
        raise ValueError(f"unknown image format {Path(path).suffix!r}")
    with atomic_file(path) as f:
        image.save(f, format=kind)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
