"""What may enter the served folder: plain SVG names inside it, self-contained SVG files."""

from __future__ import annotations

import pytest

from plotkit.errors import UserError
from plotkit.serve.uploads import MAX_UPLOAD_BYTES, check_svg, drawing_path, list_drawings, store_upload

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="10mm"><path d="M1 1L5 5"/></svg>'


@pytest.mark.parametrize(
    "name",
    ["../x.svg", "../../etc/passwd", "a/b.svg", "a\\b.svg", ".hidden.svg", "x.txt", "/etc/x.svg", ""],
)
def test_names_that_could_leave_the_folder_are_refused(tmp_path, name):
    with pytest.raises(UserError, match="not a drawing name|out of the served folder"):
        drawing_path(tmp_path, name)


def test_a_link_out_of_the_folder_is_refused_and_not_listed(tmp_path):
    outside = tmp_path / "outside.svg"
    outside.write_bytes(SVG)
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "link.svg").symlink_to(outside)
    (folder / "plain.svg").write_bytes(SVG)
    with pytest.raises(UserError, match="out of the served folder"):
        drawing_path(folder, "link.svg")
    assert drawing_path(folder, "plain.svg") == folder / "plain.svg"
    assert "plain.svg" in list_drawings(folder)


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not an SVG file"),
        (b"<html><body>hi</body></html>", "its root is <html>"),
        (b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>', "entities"),
        (b'<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><svg>&b;</svg>', "entities"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><image href="http://h.example/x.png"/></svg>', "outside"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<use xlink:href="/etc/other.svg#a"/></svg>',
            "outside",
        ),
        (SVG + b" " * MAX_UPLOAD_BYTES, "MB limit"),
    ],
)
def test_anything_but_a_self_contained_svg_is_refused(data, problem):
    with pytest.raises(UserError, match=problem):
        check_svg(data)


def test_inline_references_are_fine():
    check_svg(
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<defs><path id="p" d="M0 0L1 1"/></defs><use xlink:href="#p"/>'
        b'<image href="data:image/png;base64,AA=="/></svg>'
    )


def test_an_upload_never_replaces_another_file_of_that_name(tmp_path):
    assert store_upload(tmp_path, "d.svg", SVG) == "d.svg"
    assert store_upload(tmp_path, "d.svg", SVG) == "d.svg"  # the same file again: kept once
    other = SVG.replace(b"M1 1", b"M2 2")
    assert store_upload(tmp_path, "d.svg", other) == "d-2.svg"
    assert (tmp_path / "d.svg").read_bytes() == SVG and (tmp_path / "d-2.svg").read_bytes() == other
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
