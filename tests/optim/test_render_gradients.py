"""Autograd against central finite differences, in float64."""

import pytest
import torch

from optim.render import render
from tests.scenes import colourful_scene

FIELDS = ("points", "widths", "colors", "opacities")


@pytest.mark.parametrize("blend", ["multiply", "over"])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradients_match_finite_differences(blend, seed):
    scene = colourful_scene(seed, n=4, width=28, height=24, dtype=torch.float64)
    weights = torch.rand(3, 24, 28, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    bg = torch.tensor([0.9, 0.95, 0.8], dtype=torch.float64)

    def loss() -> torch.Tensor:
        return (render(scene, blend=blend, background=bg) * weights).sum()

    for name in FIELDS:
        getattr(scene, name).requires_grad_(True)
    loss().backward()
    eps = 1e-6
    for name in FIELDS:
        param = getattr(scene, name)
        analytic = param.grad.clone()
        numeric = torch.zeros_like(param)
        with torch.no_grad():
            flat = param.view(-1)
            for i in range(flat.numel()):
                old = flat[i].item()
                flat[i] = old + eps
                up = loss().item()
                flat[i] = old - eps
                down = loss().item()
                flat[i] = old
                numeric.view(-1)[i] = (up - down) / (2 * eps)
        assert analytic.abs().sum() > 0, f"{name}: no gradient at all"
        assert torch.allclose(analytic, numeric, rtol=1e-4, atol=1e-5), (
            name,
            (analytic - numeric).abs().max(),
        )
