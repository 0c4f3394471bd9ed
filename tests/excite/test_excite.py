"""The optimizer with randomly initialised (never pretrained) networks, kept small and fast."""

import json

import pytest
import torch
import torchvision
from typer.testing import CliRunner

from optim.excite import ExciteError, ExciteSettings, excite
from optim.models import ModelError, load_model
from plotkit.cli.app import app
from tests.scenes import SMALL, TINY_EXCITE, interrupted_and_whole

FAST = SMALL | {"paths": 60}


def test_short_run_raises_the_target_activation():
    result = excite(ExciteSettings(steps=30, **FAST))
    assert result.initial_activation > 0
    assert result.final_activation >= 2 * result.initial_activation
    assert "random" in result.weights_label


def test_resume_after_interrupt_equals_uninterrupted_run(tmp_path):
    settings = ExciteSettings(steps=12, colors="free", learn_widths=True, **FAST)
    resumed, whole = interrupted_and_whole(settings, tmp_path / "run.ckpt", 5)
    assert torch.equal(resumed.scene.points, whole.scene.points)
    assert torch.equal(resumed.scene.widths, whole.scene.widths)
    assert torch.equal(resumed.scene.colors, whole.scene.colors)
    assert resumed.initial_activation == whole.initial_activation


PALETTE = ((0.1, 0.1, 0.1), (0.9, 0.1, 0.1), (0.1, 0.2, 0.9))


def test_pens_mode_ends_with_every_stroke_on_one_pen():
    # enough steps for strokes to leave the darkest pen they lean to at first (at 30, none has)
    settings = ExciteSettings(steps=50, colors="pens", palette=PALETTE, pen_widths=(1.0, 2.0, 3.0), **FAST)
    result = excite(settings)
    assert result.pens is not None and result.pens.shape == (result.scene.n_paths,)
    assert torch.equal(result.scene.colors, torch.tensor(PALETTE)[result.pens])
    assert torch.equal(result.scene.widths, torch.tensor([1.0, 2.0, 3.0])[result.pens])
    assert len(set(result.pens.tolist())) > 1  # the choice was learned, not collapsed by construction


def test_tiling_and_finetuning_fill_the_big_canvas_and_resume_exactly(tmp_path):
    settings = ExciteSettings(steps=6, tile=2, finetune_steps=6, **FAST)
    whole = excite(settings)
    assert (whole.scene.width, whole.scene.height) == (192, 192)
    # four copies of 60 strokes, those running off the canvas cut at its edges (some in two)
    assert 200 <= whole.scene.n_paths <= 280
    pts = whole.scene.points
    assert pts[:, 0].max() > 150 and pts[:, 1].max() > 150  # the copies moved onto the other tiles
    ckpt = tmp_path / "run.ckpt"

    def interrupt(p):
        if p.step == 9:  # inside fine-tuning
            assert p.phase == "finetune"
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        excite(settings, checkpoint=ckpt, progress=interrupt)
    resumed = excite(settings, checkpoint=ckpt, resume=True)
    assert torch.equal(resumed.scene.points, whole.scene.points)


def test_resume_refuses_a_checkpoint_made_with_other_settings(tmp_path):
    ckpt = tmp_path / "run.ckpt"
    excite(ExciteSettings(steps=2, **FAST), checkpoint=ckpt)
    said = r"other settings \(steps\); use the same settings to go on, or delete run\.ckpt to start afresh"
    with pytest.raises(ExciteError, match=said):
        excite(ExciteSettings(steps=3, **FAST), checkpoint=ckpt, resume=True)


def test_weights_file_is_loaded_and_a_mismatched_one_refused(tmp_path):
    torch.manual_seed(5)
    reference = torchvision.models.resnet18()
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    model, label = load_model("resnet18", str(tmp_path / "resnet18.pth"))
    assert str(tmp_path) in label
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.state_dict().values(), reference.state_dict().values(), strict=True)
    )
    torch.save(torchvision.models.alexnet().state_dict(), tmp_path / "alexnet.pth")
    with pytest.raises(ModelError, match="does not fit resnet18"):
        load_model("resnet18", str(tmp_path / "alexnet.pth"))


def test_trained_googlenet_state_dict_with_aux_heads_loads(tmp_path):
    torch.manual_seed(2)
    trained = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False)
    torch.save(trained.state_dict(), tmp_path / "googlenet.pth")
    model, _ = load_model("googlenet", str(tmp_path / "googlenet.pth"))
    assert model.transform_input  # trained googlenet weights expect torchvision's input transform
    assert torch.equal(model.state_dict()["conv1.conv.weight"], trained.state_dict()["conv1.conv.weight"])


def test_non_finite_objective_stops_with_the_step_and_no_checkpoint(tmp_path, monkeypatch):
    from optim import excite as excite_module

    real = excite_module.Network.objectives
    calls = []

    def poisoned(self, views, terms, exact=False):
        calls.append(1)
        values = real(self, views, terms, exact)
        return [v * float("nan") for v in values] if len(calls) == 4 else values  # 1: initial measure

    monkeypatch.setattr(excite_module.Network, "objectives", poisoned)
    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(ExciteError, match="step 2: the objective or its gradient is not finite"):
        excite(ExciteSettings(steps=10, **FAST), checkpoint=ckpt, checkpoint_every=1e9)
    assert not ckpt.exists()


def test_cli_writes_svg_png_and_sidecar(tmp_path):
    out = tmp_path / "drawing.svg"
    result = CliRunner().invoke(app, ["excite", *TINY_EXCITE, "-o", str(out)])
    assert result.exit_code == 0, result.output
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["settings"]["objective"] == "relu2_2:2"
    assert meta["weights"].startswith("random")
    assert {"initial_activation", "final_activation", "seconds"} <= meta.keys()
    assert meta["settings"]["precision"] == "auto" and meta["precision"] in ("fp32", "bf16")
    assert 'inkscape:groupmode="layer"' in out.read_text()
    assert out.with_suffix(".png").exists()
    assert not out.with_name("drawing.svg.ckpt").exists()


@pytest.mark.parametrize(
    "args,problem",
    [
        (["--model", "resnt18"], "did you mean resnet18"),
        (["--layer", "conv3_4"], "close names: conv3_3"),
        (
            ["--model", "mobilenet_v2", "--layer", "features.77"],
            "unknown layer 'features.77' for mobilenet_v2; close names: features.7",
        ),
        (["--channel", "256"], "0 to 255"),
        (["--objective", "conv3_3"], "LAYER:CHANNEL"),
        (["--objective", "conv3_3:1*x"], "LAYER:CHANNEL"),
        (["--weights", "/no/such/file.pth"], "not found"),
        (["--segments", "a-b"], "--segments"),
        (["--device", "gpu"], "unknown device 'gpu'"),
    ],
)
def test_cli_bad_options_exit_2_with_one_line(args, problem, tmp_path):
    result = CliRunner().invoke(app, ["excite", "--weights", "random", "-o", str(tmp_path / "d.svg"), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0], result.stderr


def test_ctrl_c_in_a_real_process_keeps_a_checkpoint_that_resumes(tmp_path, runner, at_first_checkpoint):
    import signal
    import subprocess
    import sys

    out = tmp_path / "d.svg"
    args = [
        sys.executable,
        "-m",
        "plotkit",
        "excite",
        *TINY_EXCITE,
        "--steps",
        "30",  # past the first checkpoint, a twentieth of a second in, even at 5 ms a step
        "--checkpoint-every",
        "0.05",
        "-o",
        str(out),
    ]
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as at a terminal, even where pytest runs as a script's background job,
        # which inherits SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    at_first_checkpoint(proc, out.with_name("d.svg.ckpt"))  # a twentieth of a second of steps in
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    assert out.with_name("d.svg.ckpt").exists() and not out.exists()
    # the checkpoint the real process left, resumed here (a second process would only add
    # its 9 s of imports and network building)
    done = runner.invoke(app, [*args[3:], "--resume"])
    assert done.exit_code == 0, done.output
    assert out.exists() and not out.with_name("d.svg.ckpt").exists()


def test_imagenet_weights_come_from_the_torch_cache_and_offline_says_where(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    weights = torchvision.models.ResNet18_Weights.DEFAULT
    cache = tmp_path / "hub" / "checkpoints" / weights.url.rsplit("/", 1)[1]
    with pytest.raises(ModelError, match=f"put {cache.name} in {cache.parent}"):
        load_model("resnet18", "imagenet")
    torch.manual_seed(3)
    cache.parent.mkdir(parents=True)
    torch.save(torchvision.models.resnet18().state_dict(), cache)  # as if downloaded before
    model, label = load_model("resnet18", "imagenet")
    assert label.startswith("imagenet")
    assert torch.equal(model.state_dict()["fc.bias"], torch.load(cache)["fc.bias"])


@pytest.mark.parametrize(
    "model,layer,channels",
    [
        ("vgg16", "conv3_3", 256),
        ("vgg19", "conv3_4", 256),
        ("resnet18", "layer3.1", 256),
        ("resnet50", "layer2", 512),
        ("alexnet", "features.3", 192),
        ("googlenet", "inception4a", 512),
    ],
)
def test_models_by_name_truncate_at_friendly_layers(model, layer, channels):
    from optim.models import Truncated, resolve_layer

    net, _ = load_model(model, "random")
    node = resolve_layer(net, layer, model)
    out = Truncated(net, [node])(torch.rand(1, 3, 64, 64))[node]
    assert out.shape[1] == channels
    result = CliRunner().invoke(app, ["layers", model])
    assert result.exit_code == 0 and layer in result.output


def test_a_module_and_its_last_node_asked_together_both_get_their_output():
    """Torchvision's extractor gives each graph node to one name only: ``features`` would
    take features.12's output and leave features.12 with features.11's, or the reverse."""
    from optim.models import Truncated, list_layers

    net, _ = load_model("alexnet", "random")
    out = Truncated(net, ["features", "features.11", "features.12"])(torch.rand(1, 3, 224, 224))
    assert torch.equal(out["features"], out["features.12"])
    assert out["features.11"].shape[-1] == 13 and out["features.12"].shape[-1] == 6
    maps = {info.name: (info.channels, info.height) for info in list_layers(net)}
    assert maps["features"] == maps["features.12"] == (256, 6)
    assert maps["features.3"] == (192, 27) and maps["features.11"] == (256, 13)


def test_cli_refuses_to_start_over_a_run_it_could_resume(tmp_path):
    out = tmp_path / "d.svg"
    checkpoint = out.with_name("d.svg.ckpt")
    checkpoint.write_bytes(b"an unfinished run")
    result = CliRunner().invoke(app, ["excite", *TINY_EXCITE, "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--resume" in lines[0] and "delete d.svg.ckpt" in lines[0], result.stderr
    assert checkpoint.read_bytes() == b"an unfinished run" and not out.exists()
