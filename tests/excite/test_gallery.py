"""``plotkit gallery``: one drawing per channel, the sheet and page, reruns and resumes, and
drawings that excite their own channel (all with randomly initialised networks)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from optim.models import Truncated, load_model, resolve_layer
from optim.run import Run
from plotkit.cli.app import app
from plotkit.errors import Interrupted, UserError
from plotkit.excite import budget
from plotkit.excite.gallery import GalleryProgress, parse_channels, run_gallery
from plotkit.excite.request import DrawingRequest, request
from plotkit.excite.sheet import LABEL, PAD, THUMB, sheet_size
from plotkit.units import format_duration

TINY = dict(weights="random", layer="relu2_2", paths=40, size=96, input_size=96, batch=1, steps=4)
TINY_ARGS = [
    *("--weights random --layer relu2_2 --paths 40 --size 96 --input-size 96 --batch 1 --steps 4").split(),
    "--quiet",
]


def values(**given) -> DrawingRequest:
    """A tiny gallery's options, as the CLI passes them."""
    return request(TINY | given)


def test_channels_text_reads_ranges_and_lists():
    assert parse_channels("0-3") == [0, 1, 2, 3]
    assert parse_channels("3") == [3]
    assert parse_channels("9-12, 0,5,10") == [0, 5, 9, 10, 11, 12]


def test_cli_writes_every_channel_the_sheet_and_the_page(tmp_path):
    out = tmp_path / "gal"
    result = CliRunner().invoke(app, ["gallery", *TINY_ARGS, "--channels", "0,2,5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    drawings = {f"ch{k}.{ext}" for k in (0, 2, 5) for ext in ("svg", "strokes.svg", "png", "json")}
    assert names == drawings | {"sheet.png", "index.html"}  # no checkpoint left behind
    meta = json.loads((out / "ch5.json").read_text())
    assert meta["settings"]["objective"] == "relu2_2:5"
    initial, final = meta["initial_activation"], meta["final_activation"]
    assert initial > 0 and meta["gallery"]["gain_kind"] == "ratio"
    assert meta["gallery"]["activation_gain"] == pytest.approx(final / initial)
    assert meta["gallery"]["channel"] == 5

    sheet = np.asarray(Image.open(out / "sheet.png").convert("L"))
    assert (
        (sheet.shape[1], sheet.shape[0])
        == sheet_size(3)
        == (PAD + 2 * (THUMB + PAD), PAD + 2 * (THUMB + LABEL + PAD))
    )
    cells = [
        sheet[y : y + THUMB, x : x + THUMB]
        for y in (PAD, PAD + THUMB + LABEL + PAD)
        for x in (PAD, PAD + THUMB + PAD)
    ]
    assert [bool((c < 128).any()) for c in cells] == [
        True,
        True,
        True,
        False,
    ]  # three drawings, one empty cell

    page = (out / "index.html").read_text()
    assert 'src="sheet.png"' in page
    assert THUMB == 240  # cells large enough to see the strokes
    # the gain one way for every channel, final - initial, even where a ratio could be taken
    assert f"gain {final - initial:+.3g}<br>" in page and "gain x" not in page
    for k in (0, 2, 5):
        assert f'href="ch{k}.svg"' in page and f'href="ch{k}.png"' in page and f">ch {k}</a>" in page
    # each drawing's plotting cost, as its sidecar says, and the page sorts by it
    cost = meta["plot"]
    assert f'data-channel="5" data-gain="{final - initial:.6g}" data-time="{cost["seconds"]}"' in page
    assert (
        f"plots in {format_duration(cost['seconds'])} on axidraw-v3, {cost['pen_down_m']:.1f} m of line"
        in page
    )
    assert "sortBy('time', false)" in page


def test_rerun_skips_finished_channels_and_adds_new_ones(tmp_path):
    seen: list[GalleryProgress] = []
    first = run_gallery(values(), [0, 1], tmp_path, 150.0, seen.append)
    assert [r.skipped for r in first] == [False, False] and seen[-1].done == 2
    assert seen[-1].step == seen[-1].steps == 8
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("ch*")}

    seen.clear()
    again = run_gallery(values(), [0, 1, 2], tmp_path, 150.0, seen.append)
    assert [r.skipped for r in again] == [True, True, False]
    assert {p.channel for p in seen} == {2} and seen[-1].steps == 4  # only channel 2 was drawn
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("ch[01].*")} == stamps
    assert again[0].gain == first[0].gain
    assert Image.open(tmp_path / "sheet.png").size == sheet_size(3)

    with pytest.raises(UserError, match=r"ch0.json was drawn with other settings \(steps\)"):
        run_gallery(values(steps=5), [0], tmp_path, 150.0)


@pytest.mark.parametrize(
    "broken",
    [
        lambda meta: {k: v for k, v in meta.items() if k != "settings"},
        lambda meta: meta | {"settings": 3},
        lambda meta: meta | {"final_activation": "high"},
    ],
    ids=["no settings", "settings not a table", "activation not a number"],
)
def test_a_broken_sidecar_is_refused_by_name_and_left_alone(tmp_path, broken):
    run_gallery(values(), [0], tmp_path, 150.0)
    sidecar = tmp_path / "ch0.json"
    sidecar.write_text(json.dumps(broken(json.loads(sidecar.read_text()))))
    text = sidecar.read_text()
    with pytest.raises(UserError, match=r"ch0.json is not a drawing's sidecar; delete ch0\.\* to redraw it"):
        run_gallery(values(), [0], tmp_path, 150.0)
    assert sidecar.read_text() == text


def test_interrupted_gallery_resumes_to_the_uninterrupted_drawings(tmp_path):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    run_gallery(values(), [0, 1], whole, 150.0, batch_channels=1)

    def ctrl_c(p: GalleryProgress) -> None:
        if p.channel == 1 and p.step == 6:  # step 2 of channel 1
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="Run the same command again") as stop:
        run_gallery(values(), [0, 1], cut, 150.0, ctrl_c, batch_channels=1)
    assert "channel 1" in str(stop.value) and "1 of 2 channels done" in str(stop.value)
    assert (cut / "ch1.svg.ckpt").exists() and not (cut / "ch1.svg").exists()
    assert (cut / "ch0.svg").exists()
    with pytest.raises(UserError, match="ch1.svg.ckpt was made with other settings"):
        run_gallery(values(steps=5), [1], cut, 150.0)

    seen: list[GalleryProgress] = []
    results = run_gallery(values(), [0, 1], cut, 150.0, seen.append, batch_channels=1)
    assert [r.skipped for r in results] == [True, False]
    assert seen[0].step == 3 and seen[0].resumed_steps == 2  # picked up after the two saved steps
    assert not (cut / "ch1.svg.ckpt").exists()
    for name in ("ch0.svg", "ch1.svg", "ch0.png", "ch1.png"):
        assert (cut / name).read_bytes() == (whole / name).read_bytes(), name
    for k in (0, 1):
        a, b = (json.loads((d / f"ch{k}.json").read_text()) for d in (cut, whole))
        assert a["final_activation"] == pytest.approx(b["final_activation"], rel=1e-6)
        assert a["gallery"]["activation_gain"] == pytest.approx(b["gallery"]["activation_gain"], rel=1e-6)


@pytest.mark.parametrize(
    "args,problem",
    [
        (["--channels", ""], "--channels is empty"),
        (["--channels", "a-3"], "--channels takes a channel, a range or a list"),
        (["--channels", "0,,3"], "--channels takes a channel, a range or a list"),
        (["--channels", "1-2-3"], "--channels takes a channel, a range or a list"),
        (["--channels", "-3"], "--channels takes channels from 0 up"),
        (["--channels", "5-2"], "runs backwards"),
        (["--channels", "120-130"], "relu2_2 has 128 channels (0 to 127)"),
        (["--channels", "0-3", "--channel", "2"], "gallery takes no --channel"),
        (["--channels", "0-3", "--objective", "relu2_2:1"], "gallery takes no --objective"),
    ],
)
def test_bad_channels_exit_2_with_one_line_before_any_work(args, problem, tmp_path):
    out = tmp_path / "gal"
    result = CliRunner().invoke(app, ["gallery", *TINY_ARGS, "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0], result.stderr
    assert not out.exists()


def test_each_drawing_excites_its_own_channel_most(tmp_path):
    """The issue's check: drawings x channels activations, measured on the written PNGs.

    Channels differ in scale (relu2_2:1 fires about 100 times more than its neighbours), so
    each channel is compared with itself: its own drawing excites it more than the other
    drawings do (columns), and each drawing raises its own channel by a larger factor than
    the others over the random start they share (rows)."""
    channels = [0, 1, 2, 3]
    results = run_gallery(values(steps=30), channels, tmp_path, 150.0)
    model, _ = load_model("vgg16", "random", 0)
    node = resolve_layer(model, "relu2_2", "vgg16")
    net = Truncated(model, [node])

    def activations(png) -> torch.Tensor:
        rgb = np.asarray(Image.open(png).convert("RGB"), dtype=np.float32) / 255
        with torch.no_grad():
            return net(torch.from_numpy(rgb).permute(2, 0, 1)[None])[node][0, channels].mean(dim=(1, 2))

    drawn = torch.stack([activations(r.png) for r in results])  # row: drawing, column: channel
    initial = torch.tensor([r.initial_activation for r in results])
    assert len({round(v, 9) for v in initial.tolist()}) == 4 and (initial > 0).all()
    gain = drawn / initial
    for k in range(len(channels)):
        assert drawn[:, k].argmax() == k, drawn
        assert gain[k].argmax() == k, gain
        assert results[k].final_activation > results[k].initial_activation


def test_progress_is_a_bar_at_a_terminal_and_plain_lines_without_one():
    import io

    from rich.console import Console

    from plotkit.cli.progress import gallery_bar

    events = [
        GalleryProgress(3, 1, 3, 2, 8, 0.5, 4.0, 0),
        GalleryProgress(3, 2, 3, 4, 8, 0.7, 8.0, 0),  # channel 3 written
        GalleryProgress(4, 2, 3, 5, 8, 0.1, 10.0, 0),
    ]
    plain = io.StringIO()
    with gallery_bar(Console(file=plain, force_terminal=False), quiet=False) as show:
        for e in events:
            show(e)
    lines = plain.getvalue().splitlines()
    assert lines == [
        "gallery: ch 3, 1/3 channels done, step 2/8, activation 0.5, elapsed 0m04s, ETA 0m12s",
        "gallery: ch 3 written, 2/3 channels done, step 4/8, activation 0.7, elapsed 0m08s, ETA 0m08s",
    ]  # the third comes within 10 s of the last line and finishes nothing: not said
    bar = io.StringIO()
    with gallery_bar(Console(file=bar, force_terminal=True, width=200), quiet=False) as show:
        for e in events:
            show(e)
    assert "ch 4" in bar.getvalue() and "2/3 channels" in bar.getvalue() and "ETA 0m06s" in bar.getvalue()


def test_ctrl_c_in_the_cli_is_one_message_and_exit_130(tmp_path, monkeypatch):
    from contextlib import contextmanager

    from plotkit.cli import excite_commands

    @contextmanager
    def ctrl_c_at_channel_1(console, quiet):
        def show(p: GalleryProgress) -> None:
            if p.channel == 1 and p.step == 6:
                raise KeyboardInterrupt

        yield show

    monkeypatch.setattr(excite_commands, "gallery_bar", ctrl_c_at_channel_1)
    out = tmp_path / "gal"
    args = ["gallery", *TINY_ARGS, "--channels", "0-1", "--batch-channels", "1", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 130, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Run the same command again" in lines[0] and "ch1.svg.ckpt" in lines[0]
    monkeypatch.undo()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "1 of 2 channels drawn now (1 finished before)" in again.stdout
    assert not (out / "ch1.svg.ckpt").exists() and (out / "ch1.svg").exists()


def test_batched_channels_equal_separate_runs(tmp_path):
    one, batched = tmp_path / "one", tmp_path / "batched"
    run_gallery(values(), [0, 3, 5], one, 150.0, batch_channels=1)
    seen: list[GalleryProgress] = []
    run_gallery(values(), [0, 3, 5], batched, 150.0, seen.append, batch_channels=3)
    assert {p.channel for p in seen if p.done == 0} == {0, 3, 5}  # all three drawn together
    assert seen[-1].step == seen[-1].steps == 12
    for k in (0, 3, 5):
        a, b = (json.loads((d / f"ch{k}.json").read_text()) for d in (one, batched))
        assert a["final_activation"] == pytest.approx(b["final_activation"], rel=1e-3)
        assert a["initial_activation"] == pytest.approx(b["initial_activation"], rel=1e-5)
        pa, pb = (np.asarray(Image.open(d / f"ch{k}.png").convert("L"), dtype=float) for d in (one, batched))
        assert np.abs(pa - pb).mean() < 0.5  # grey levels out of 255


def test_interrupted_batch_resumes_every_channel_of_it(tmp_path):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    run_gallery(values(), [0, 1], whole, 150.0, batch_channels=2)

    def ctrl_c(p: GalleryProgress) -> None:
        if p.step == 5:  # both channels part-way
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="channels 0, 1 .0 of 2 channels done"):
        run_gallery(values(), [0, 1], cut, 150.0, ctrl_c, batch_channels=2)
    assert (cut / "ch0.svg.ckpt").exists() and (cut / "ch1.svg.ckpt").exists()
    run_gallery(values(), [0, 1], cut, 150.0, batch_channels=2)
    for name in ("ch0.svg", "ch1.svg"):
        assert (cut / name).read_bytes() == (whole / name).read_bytes(), name


@pytest.mark.parametrize(
    "args,problem",
    [
        (["--batch-channels", "0"], "--batch-channels must be 1 or more, got 0"),
        (["--batch-channels", "-3"], "--batch-channels must be 1 or more, got -3"),
        (["--cluster", "slurm"], "--cluster takes ray, got 'slurm'"),
    ],
)
def test_batch_and_cluster_options_refused_in_one_line(args, problem, tmp_path):
    out = tmp_path / "gal"
    result = CliRunner().invoke(app, ["gallery", *TINY_ARGS, "--channels", "0-1", *args, "-o", str(out)])
    assert result.exit_code == 2 and result.stderr.strip() == problem or problem in result.stderr, (
        result.stderr
    )
    assert not out.exists()


def test_a_huge_batch_is_cut_to_the_channels_there_are(tmp_path):
    results = run_gallery(values(), [0, 1], tmp_path, 150.0, batch_channels=10_000)
    assert [r.skipped for r in results] == [False, False]


def test_ray_cluster_gives_the_files_of_a_local_run(tmp_path, monkeypatch):
    pytest.importorskip(
        "ray", reason="Ray is not installed: pip install -e '.[cluster]' to test --cluster ray"
    )
    monkeypatch.delenv("RAY_ADDRESS", raising=False)  # a local Ray, started for the run
    here, there = tmp_path / "here", tmp_path / "there"
    run_gallery(values(), [0, 2], here, 150.0, batch_channels=1)
    run_gallery(values(), [0, 2], there, 150.0, batch_channels=1, cluster="ray")
    assert sorted(p.name for p in here.iterdir()) == sorted(p.name for p in there.iterdir())
    for k in (0, 2):
        a, b = (json.loads((d / f"ch{k}.json").read_text()) for d in (here, there))
        assert a["settings"] == b["settings"]
        assert a["final_activation"] == pytest.approx(b["final_activation"], rel=1e-3)
        pa, pb = (np.asarray(Image.open(d / f"ch{k}.png").convert("L"), dtype=float) for d in (here, there))
        assert np.abs(pa - pb).mean() < 0.5


def test_ray_names_the_channel_whose_drawing_outgrew_its_budget(tmp_path, monkeypatch):
    pytest.importorskip(
        "ray", reason="Ray is not installed: pip install -e '.[cluster]' to test --cluster ray"
    )
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(budget, "_buys_nothing", lambda *_: None)  # planned here, drawn in Ray
    asked = values(paths=None, plot_time="1s", respawn_every=2)
    said = r"^channel 5: --plot-time 0m01s is less than the best stroke of the finished drawing takes"
    with pytest.raises(UserError, match=said):
        run_gallery(asked, [5], tmp_path / "gal", 60.0, batch_channels=1, cluster="ray")


def test_cluster_ray_without_ray_says_how_to_install_it(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(UserError, match=r'--cluster ray needs Ray: pip install -e "\.\[cluster\]"'):
        run_gallery(values(), [0], tmp_path / "g", 150.0, cluster="ray")
    assert not (tmp_path / "g").exists()


def test_a_channel_whose_drawing_outgrew_its_budget_is_named_with_the_least_that_works(tmp_path, monkeypatch):
    # Past the refusal before the run, both channels' strokes outgrow one second; channel 3's
    # trim is skipped, so it is channel 5, second in its batch, that is refused.
    monkeypatch.setattr(budget, "_buys_nothing", lambda *_: None)
    trimmed = Run._trimmed
    monkeypatch.setattr(
        Run,
        "_trimmed",
        lambda run, scene, *rest: (
            (scene, rest[0]) if run.settings.objective.endswith(":3") else trimmed(run, scene, *rest)
        ),
    )
    out = tmp_path / "gal"
    asked = values(paths=None, plot_time="1s", respawn_every=2)
    said = r"^channel 5: --plot-time 0m01s is less than the best stroke of the finished drawing takes"
    with pytest.raises(UserError, match=said + r".*give at least --plot-time 0m\d\ds$"):
        run_gallery(asked, [3, 5], out, 60.0, batch_channels=2)
    assert (out / "ch3.svg.ckpt").exists() and not (out / "ch5.svg.ckpt").exists()
