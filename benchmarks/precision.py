"""Which arithmetic the steps should run in: bf16 autocast against float32, for speed and for
the activation the drawing reaches.

For each network and channel, the write-up's recipe (202 strokes, 224 px, 4 views) runs
``--steps`` steps in float32 and in bf16, with the same seed; both drawings are measured in
float32 on the clean image. ``--precision auto`` may take bf16 where it is faster and the
activation stays within 2 % of float32's (issue 12). The networks: VGG16 conv3_3 (random
weights: none can be downloaded here) and the real ImageNet MobileNetV2 (the state dict in
../shared/weights; skipped, and said, where it is absent).

Prints a row per drawing, then one JSON line: {"results": [...], "by_model": {model:
{"bf16_vs_fp32_activation": mean ratio, "bf16_vs_fp32_step": mean ratio, "auto": what auto
picks here}}}.

    python benchmarks/precision.py [--steps 200] [--device auto]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

import torch
from excite import timed_steps  # benchmarks/excite.py, beside this file
from quality import WEIGHTS  # benchmarks/quality.py, beside this file

from optim.allocator import keep_freed_memory
from optim.excite import ExciteSettings, pick_device
from optim.models import load_model
from optim.precision import autocast_dtype

CASES = (
    ("vgg16", "random", "conv3_3:37"),
    ("vgg16", "random", "conv3_3:7"),
    ("mobilenet_v2", "shared", "features.4:7"),
    ("mobilenet_v2", "shared", "features.7:7"),
    ("mobilenet_v2", "shared", "features.10:21"),
)


def run(model: str, weights: str, objective: str, precision: str, steps: int, device: str) -> dict:
    settings = ExciteSettings(
        model=model,
        weights=weights,
        objective=objective,
        paths=202,
        size=224,
        steps=steps,
        precision=precision,
    )
    timed, result = timed_steps(settings, device)
    return {"activation": result.final_activation, "step_s": timed["base"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = str(pick_device(args.device))
    keep_freed_memory()
    rows = []
    print(f"device {device}, torch {torch.__version__}, {args.steps} steps")
    heads = ("fp32 act", "bf16 act", "ratio", "fp32 s", "bf16 s")
    print(f"{'model':14} {'objective':14} " + " ".join(f"{h:>9}" for h in heads))
    for model, weights, objective in CASES:
        if weights == "shared":
            if not WEIGHTS.exists():
                print(f"skipped {model} {objective}: no real weights at {WEIGHTS}", file=sys.stderr)
                continue
            weights = str(WEIGHTS)
        fp32, bf16 = (run(model, weights, objective, p, args.steps, device) for p in ("fp32", "bf16"))
        row = {
            "model": model,
            "weights": "random" if weights == "random" else "imagenet",
            "objective": objective,
            "fp32_activation": fp32["activation"],
            "bf16_activation": bf16["activation"],
            "bf16_vs_fp32_activation": bf16["activation"] / fp32["activation"],
            "fp32_step_s": fp32["step_s"],
            "bf16_step_s": bf16["step_s"],
        }
        rows.append(row)
        print(
            f"{model:14} {objective:14} {fp32['activation']:9.3f} {bf16['activation']:9.3f} "
            f"{row['bf16_vs_fp32_activation']:9.3f} {fp32['step_s']:9.3f} {bf16['step_s']:9.3f}",
            flush=True,
        )
    by_model = {}
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        net, _ = load_model(model, "random")
        picked = autocast_dtype("auto", torch.device(device), net)
        by_model[model] = {
            "bf16_vs_fp32_activation": statistics.mean(r["bf16_vs_fp32_activation"] for r in mine),
            "bf16_vs_fp32_step": statistics.mean(r["bf16_step_s"] / r["fp32_step_s"] for r in mine),
            "auto": "bf16" if picked is not None else "fp32",
        }
        print(
            f"{model}: bf16/fp32 activation {by_model[model]['bf16_vs_fp32_activation']:.3f}, "
            f"step {by_model[model]['bf16_vs_fp32_step']:.2f}, auto picks {by_model[model]['auto']}"
        )
    print(json.dumps({"device": device, "steps": args.steps, "results": rows, "by_model": by_model}))


if __name__ == "__main__":
    main()
