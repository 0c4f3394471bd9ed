"""`vpype neuronexc` through vpype itself, with random weights and few steps."""

import json
import re
import subprocess
import sys
from pathlib import Path

import click.testing
import pytest
import vpype as vp
import vpype_cli

from plotkit.presets import load_pen_set
from plotkit.units import PX_PER_MM

FAST = (
    "--weights random --layer relu2_2 --channel 2 --paths 60 --size 96 --input-size 96 --batch 1 "
    "--steps 4 --quiet"
)
MM = PX_PER_MM
VPYPE = Path(sys.executable).with_name("vpype")  # the console script installed beside this Python


def test_pipeline_writes_one_layer_per_pen_inside_the_margins(tmp_path, monkeypatch):
    out = tmp_path / "out.svg"
    monkeypatch.setattr("optim.state.DARKEST_START", 0.0)  # a short run: several pens without the lean
    doc = vpype_cli.execute(
        f"neuronexc {FAST} --pens stabilo-point-88 --page-size a4 --margin 20mm linemerge linesort "
        f"write {out}"
    )
    assert doc.page_size == pytest.approx((297 * MM, 210 * MM), rel=1e-4)  # landscape by default
    pens = {p.name: p for p in load_pen_set("stabilo-point-88").pens}
    assert len(doc.layers) >= 2
    for layer in doc.layers.values():
        pen = pens[layer.property(vp.METADATA_FIELD_NAME)]
        assert str(layer.property(vp.METADATA_FIELD_COLOR)) == pen.color
        assert layer.property(vp.METADATA_FIELD_PEN_WIDTH) == pytest.approx(pen.width_mm * MM)
    x0, y0, x1, y1 = doc.bounds()
    assert x0 >= 63.5 * MM - 1e-6 and x1 <= 233.5 * MM + 1e-6  # drawing 170 mm wide, centred
    assert y0 >= 20 * MM - 1e-6 and y1 <= 190 * MM + 1e-6
    back = vpype_cli.execute(f"read {out}")
    assert len(back.layers) == len(doc.layers)
    assert back.page_size == pytest.approx(doc.page_size, rel=1e-4)


def test_existing_layers_are_kept_and_width_portrait_apply(tmp_path):
    doc = vpype_cli.execute(
        f"rect --layer 1 0 0 10mm 10mm neuronexc {FAST} --pens black-fineliner --page-size a3 --portrait "
        "--width 10cm"
    )
    assert 1 in doc.layers and len(doc.layers[1]) == 1
    assert len(doc.layers) == 2
    new = next(lid for lid in doc.layers if lid != 1)
    x0, y0, x1, y1 = doc.layers[new].bounds()
    assert doc.page_size[0] < doc.page_size[1]  # portrait
    assert x1 - x0 <= 100 * MM + 1e-6 and y1 - y0 <= 100 * MM + 1e-6


def test_recipe_sets_options_and_explicit_ones_win(tmp_path):
    save = tmp_path / "raw.svg"
    no_objective = FAST.replace("--layer relu2_2 --channel 2 ", "")
    vpype_cli.execute(f"neuronexc --preset mono-conv4_3 {no_objective} --save {save}")
    meta = json.loads(save.with_suffix(".json").read_text())
    assert meta["pens"] == "black-fineliner"  # from the recipe
    assert meta["settings"]["steps"] == 4  # given explicitly, wins over the recipe's 500
    assert meta["settings"]["objective"] == "conv4_3:10"  # layer and channel from the recipe
    assert save.with_suffix(".png").exists()


@pytest.mark.parametrize(
    "args,problem",
    [
        ("--preset nope", "unknown recipe preset 'nope'"),
        ("--pens nope", "unknown pen preset 'nope'"),
        ("--page-size a5 --width 30cm", "larger than"),
        ("--colors free", "free colours have no pen"),
        ("--margin -5mm", "--margin must be 0 or more, got -5mm"),
        ("--width 0mm", "--width must be more than 0"),
        ("--width -3cm", "--width must be more than 0, got -3cm"),
        ("--margin 0 --width 300mm", "larger than"),
    ],
)
def test_bad_options_exit_2_with_one_line(args, problem):
    result = click.testing.CliRunner().invoke(vpype_cli.cli, ["neuronexc", *FAST.split(), *args.split()])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0], result.stderr


def test_the_installed_vpype_command_refuses_in_one_line_with_exit_2():
    proc = subprocess.run(
        [str(VPYPE), "neuronexc", "--preset", "nope"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "'nope'" in proc.stderr


def test_neuronexc_ends_with_the_summary_plotkit_excite_prints(tmp_path, capsys, runner):
    from plotkit.cli.app import app

    vpype_cli.execute(f"neuronexc {FAST} --pens black-fineliner --width 5cm")
    said = capsys.readouterr().err.strip().splitlines()
    assert said and said[-1].startswith("neuronexc: activation ")
    out = tmp_path / "d.svg"
    excite = runner.invoke(
        app,
        ["excite", *FAST.split(), "--pens", "black-fineliner"] + ["--drawing-size", "5cm", "-o", str(out)],
    )
    assert excite.exit_code == 0, excite.output
    wrote = excite.stdout.strip().splitlines()[-1]
    in_seconds = re.compile(r"in \d+ s")  # the one part two runs of the same drawing may differ in
    assert in_seconds.sub("", said[-1]).removeprefix("neuronexc: ") == in_seconds.sub(
        "", wrote.split(": ", 1)[1].split("; plots in")[0]
    )
    assert re.search(r"strokes inking \d+%, in \d+ s \(random .* weights, (fp32|bf16)\)$", said[-1])


def test_sigterm_stops_neuronexc_with_its_checkpoint_kept_and_resumable(tmp_path, at_first_checkpoint):
    import signal

    save, out = tmp_path / "d.svg", tmp_path / "out.svg"
    options = f"{FAST} --steps 30 --checkpoint-every 0.05 --save {save}"
    proc = subprocess.Popen(
        [str(VPYPE), "neuronexc", *options.split(), "write", str(out)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    checkpoint = save.with_name("d.svg.ckpt")
    at_first_checkpoint(proc, checkpoint)
    proc.send_signal(signal.SIGTERM)  # a kill, or the end of an SSH session (SIGHUP)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert checkpoint.exists() and not out.exists()
    vpype_cli.execute(f"neuronexc {options} --resume write {out}")
    assert out.exists() and save.exists() and not checkpoint.exists()
