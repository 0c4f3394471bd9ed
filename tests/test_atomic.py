"""The one atomic writer: all or nothing, normal permissions, only over a regular file."""

from __future__ import annotations

import errno
import os

import pytest
from PIL import Image

from optim.atomic import atomic_file, save_image, write_atomic
from plotkit.plotter.emulator import Paper


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_new_file_gets_the_permissions_open_would_give(tmp_path):
    write_atomic(tmp_path / "a.json", "{}")
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_the_emulator_record_is_a_normal_file_not_0600(tmp_path):
    Paper([[(1.0, 1.0), (5.0, 5.0)]], [1]).write_svg(str(tmp_path / "paper.svg"), (100, 100))
    assert (tmp_path / "paper.svg").stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    path.chmod(0o600)
    write_atomic(path, "new")
    assert path.read_text() == "new" and path.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(path, "w") as f:
        f.write("half")
        raise RuntimeError("the writer broke")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


def test_only_a_regular_file_is_replaced(tmp_path):
    for target in (tmp_path, "/dev/null"):
        with pytest.raises(OSError) as caught:
            write_atomic(target, "x")
        assert caught.value.errno == errno.EINVAL
    assert os.path.isdir(tmp_path) and os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_images_are_written_in_the_format_their_suffix_names(tmp_path):
    image = Image.new("RGB", (4, 3), "red")
    save_image(image, tmp_path / "a.png")
    save_image(image, tmp_path / "a.jpg")
    assert Image.open(tmp_path / "a.png").format == "PNG" and Image.open(tmp_path / "a.jpg").format == "JPEG"
    with pytest.raises(ValueError, match="unknown image format"):
        save_image(image, tmp_path / "a.nope")
    assert sorted(os.listdir(tmp_path)) == ["a.jpg", "a.png"]
