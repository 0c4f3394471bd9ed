"""Gallery throughput: channels per hour, one channel at a time against channels batched
into each forward pass, for MobileNetV2 features.4 (``plotkit gallery``'s defaults
otherwise), on this machine's CPU and, when there is one, its GPU.

Each figure is the whole ``run_gallery`` (model load, drawings, files, sheet) over
``--channels`` channels of ``--steps`` steps, measured in one run; channels per hour are
what a default 500-step gallery would draw, scaled from the measured steps. The ImageNet
weights in ../shared are used when present (speed does not depend on them; the output
says which). Prints a table, then one JSON line.

    python benchmarks/gallery.py [--channels 8] [--steps 40] [--batch 8]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from plotkit.excite.gallery import run_gallery
from plotkit.excite.request import request

WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "weights" / "mobilenet_v2_imagenet.pth"
DEFAULT_STEPS = 500  # plotkit gallery's steps when none are given


def channels_per_hour(values: dict, channels: int, steps: int, batch: int, device: str) -> float:
    given = request(values | {"steps": steps, "device": device})
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        run_gallery(given, list(range(channels)), Path(out), 150.0, batch_channels=batch)
        seconds = time.perf_counter() - t0
    return channels * 3600 / seconds * steps / DEFAULT_STEPS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=8, help="channels per forward pass, batched")
    args = parser.parse_args()
    weights = str(WEIGHTS) if WEIGHTS.is_file() else "random"
    values = {"model": "mobilenet_v2", "weights": weights, "layer": "features.4"}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    figures = {}
    print(f"mobilenet_v2 features.4, {args.channels} channels x {args.steps} steps, weights: {weights}")
    for device in devices:
        single = channels_per_hour(values, args.channels, args.steps, 1, device)
        batched = channels_per_hour(values, args.channels, args.steps, args.batch, device)
        figures[device] = {
            "single_channels_per_hour": round(single, 1),
            "batched_channels_per_hour": round(batched, 1),
            "batch": args.batch,
            "batched_vs_single": round(batched / single, 3),
        }
        print(
            f"{device}: one at a time {single:.0f} channels/hour, {args.batch} per batch "
            f"{batched:.0f} channels/hour ({batched / single:.2f}x)"
        )
    print(json.dumps({"channels": args.channels, "steps": args.steps, "devices": figures}))


if __name__ == "__main__":
    main()
