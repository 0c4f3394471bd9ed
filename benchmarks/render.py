"""Renderer speed and memory against the network it feeds.

Prints a table, then one JSON line. Scenes are the optimizer's initialization (random
walks of 1 to 3 cubic segments, 2 px strokes); the 2000-path 1024 canvas has strokes
of the size a tiled 256 drawing has (radius 0.1 x 256 px), as fine-tuning sees them.
Peak RSS is measured in a fresh process that renders only that canvas.

    python benchmarks/render.py [--device cuda] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable

import torch
import torchvision

from optim.render import render
from optim.strokes import random_scene


def scene(n: int, size: int, radius_px: float, device: str):
    s = random_scene(
        n,
        size,
        size,
        radius=radius_px / size,
        stroke_width=2.0,
        generator=torch.Generator().manual_seed(n + size),
    )
    s.colors = torch.rand(n, 3, generator=torch.Generator().manual_seed(1))
    for name in ("points", "widths", "colors", "opacities"):
        setattr(s, name, getattr(s, name).to(device).requires_grad_(True))
    return s


def median_ms(fn: Callable[[], None], repeat: int, device: str) -> float:
    fn()
    times = []
    for _ in range(repeat):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)[len(times) // 2]


def fwd_bwd(s, **kw) -> Callable[[], None]:
    def step() -> None:
        render(s, **kw).mean().backward()

    return step


def peak_rss_child(device: str) -> None:
    s = scene(2000, 1024, 25.6, device)
    render(s).mean().backward()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        peak_rss_child(args.device)
        return
    dev, rep = args.device, args.repeat
    results: dict[str, float] = {}
    for n, size in ((202, 224), (202, 256), (202, 500)):
        results[f"fwd_bwd_ms_{n}_{size}"] = median_ms(fwd_bwd(scene(n, size, 0.1 * size, dev)), rep, dev)
    big = scene(2000, 1024, 25.6, dev)
    results["fwd_bwd_ms_2000_1024"] = median_ms(fwd_bwd(big), max(1, rep // 2), dev)
    results["fwd_bwd_ms_2000_1024_window256"] = median_ms(fwd_bwd(big, window=(384, 384, 256, 256)), rep, dev)

    vgg = torchvision.models.vgg16().features[:16].to(dev).eval()  # random weights, up to conv3_3
    x = torch.rand(1, 3, 224, 224, device=dev, requires_grad=True)
    results["vgg16_conv3_3_fwd_bwd_ms_224"] = median_ms(lambda: vgg(x)[:, 37].mean().backward(), rep, dev)

    child = subprocess.run(
        [sys.executable, __file__, "--rss-child", "--device", dev], capture_output=True, text=True, check=True
    )
    results["peak_rss_mb"] = float(child.stdout.strip())

    ratio_vgg = results["fwd_bwd_ms_202_224"] / results["vgg16_conv3_3_fwd_bwd_ms_224"]
    ratio_win = results["fwd_bwd_ms_2000_1024_window256"] / results["fwd_bwd_ms_202_256"]
    print(f"device: {dev}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"{'measure':40} {'value':>10}")
    for key, value in results.items():
        print(f"{key:40} {value:10.1f}")
    print(f"{'202@224 / vgg16 conv3_3 (target <= 0.5)':40} {ratio_vgg:10.2f}")
    print(f"{'window256 of 2000@1024 / 202@256 (<= 2)':40} {ratio_win:10.2f}")
    print(f"{'peak RSS 2000@1024 MB (target < 2048)':40} {results['peak_rss_mb']:10.0f}")
    results.update(device=dev, ratio_render_vs_vgg=ratio_vgg, ratio_window_vs_256=ratio_win)
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}))


if __name__ == "__main__":
    main()
