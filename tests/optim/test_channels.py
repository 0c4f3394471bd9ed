"""Only the channels an objective reads are computed, and they are the channels the whole
network computes: same values, same gradients to the image."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from optim.errors import ExciteError
from optim.excite import ExciteSettings, Network
from optim.models import Truncated, load_model
from optim.objectives import evaluate


def _whole_and_cut(model: str, objective: str, others: tuple[str, ...] = ()):
    settings = ExciteSettings(model=model, weights="random", objective=objective, precision="fp32")
    network = Network(settings, torch.device("cpu"), others)
    whole, _ = load_model(model, "random", settings.seed)
    return network, Truncated(whole, sorted(set(network.nodes.values())))


@pytest.mark.parametrize(
    ("model", "objective", "cut"),
    [
        ("vgg16", "conv3_3:37", {"conv3_3": [37]}),  # the convolution's output
        ("vgg16", "relu3_3:37@neuron-relu3_3:5*0.5", {"relu3_3": [5, 37]}),  # through its ReLU
        ("mobilenet_v2", "features.7:7", {"features.7": [7]}),  # a projection and its BatchNorm
        ("mobilenet_v2", "features.10:7", {}),  # a residual sum: left whole
        ("vgg16", "conv3_3:3+conv4_3:2", {"conv4_3": [2]}),  # conv3_3 feeds conv4_3: left whole
    ],
)
def test_the_cut_network_gives_the_whole_networks_values_and_gradients(model, objective, cut):
    network, whole = _whole_and_cut(model, objective)
    assert {layer: sorted(index) for layer, index in network.index.items()} == cut
    for layer in cut:
        assert network.net.body(torch.zeros(1, 3, 64, 64))[network.nodes[layer]].shape[1] == len(cut[layer])
    image = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    got_x, want_x = image.clone().requires_grad_(True), image.clone().requires_grad_(True)
    got = network.objective(got_x)
    acts = whole(want_x)
    want = evaluate(network.terms, {layer: acts[node] for layer, node in network.nodes.items()})
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    got.sum().backward()
    want.sum().backward()
    # other kernels sum in another order, and a ReLU near zero may flip: close as a whole
    # (1.1e-3 at conv3_3+conv4_3 with torch 2.14.1; a wrong cut is off by order 1)
    assert float((got_x.grad - want_x.grad).norm() / want_x.grad.norm()) < 5e-3


def test_a_shared_network_holds_every_drawings_channels_and_no_more():
    network, _ = _whole_and_cut("vgg16", "conv3_3:37", ("conv3_3:7", "conv3_3:7+conv3_3:9"))
    assert sorted(network.index["conv3_3"]) == [7, 9, 37]
    assert [t.channel for t in network.terms_for("conv3_3:9")] == [9]
    with pytest.raises(ExciteError, match="conv3_3:10 is not computed by this network"):
        network.terms_for("conv3_3:10")
    conv = [m for m in network.net.modules() if isinstance(m, nn.Conv2d)][-1]
    assert conv.out_channels == 3 and not conv.weight.requires_grad
