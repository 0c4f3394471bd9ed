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


@pytest.mark.parametrize("blend", ["multiply", "over"])
def test_no_gradient_is_gathered_by_indexing_with_repeats(blend):
    # indexing's backward adds into the gradient with CPU atomics in any order, so a gather
    # with repeated indices made runs of one seed part in the last bits (pens mode, issue 12)
    scene = colourful_scene(0, n=60, width=96, height=80)
    for name in FIELDS:
        getattr(scene, name).requires_grad_(True)
    seen, todo, repeated = set(), [render(scene, blend=blend).grad_fn], []
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if type(node).__name__ == "IndexBackward0":
            longs = [i for i in node._saved_indices if i is not None and i.dtype == torch.long]
            repeated += [tuple(i.shape) for i in longs if i.unique().numel() < i.numel()]
        todo += [child for child, _ in node.next_functions]
    assert not repeated
