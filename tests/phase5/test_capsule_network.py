"""Graded tests for phase5_advanced_methods/template_capsule_network.py.

Ground truth: the official Capsule-Forensics-v2 parameter count (3,896,638), written out here layer
by layer from the paper's description; torchvision's own VGG19 layers (``vgg.make_layers`` with
configuration "E") with the same weights for the stem; NumPy's mean / std for statistics pooling;
squash and routing by agreement computed by hand on small cases.
"""
import numpy as np
import pytest
import torch
from torchvision.models import vgg

pytestmark = pytest.mark.exercise("phase5_advanced_methods.template_capsule_network")


def conv2d(k, cin, cout):
    return k * k * cin * cout + cout


def conv1d(k, cin, cout):
    return k * cin * cout + cout


def bn(channels):
    return 2 * channels


STEM = (conv2d(3, 3, 64) + conv2d(3, 64, 64) + conv2d(3, 64, 128) + conv2d(3, 128, 128)
        + conv2d(3, 128, 256) + 3 * conv2d(3, 256, 256))                         # VGG19 conv1_1 ... conv3_4
PRIMARY = (conv2d(3, 256, 64) + bn(64) + conv2d(3, 64, 16) + bn(16)
           + conv1d(5, 2, 8) + bn(8) + conv1d(3, 8, 1) + bn(1))                  # one primary capsule
ROUTING = 2 * 10 * 4 * 8                                                          # W (out caps, in caps, 4, 8)
assert (STEM, 10 * PRIMARY + ROUTING) == (2_325_568, 1_571_070)                 # the official model's split


def _count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.points(2)
def test_parameter_count_equals_capsule_forensics_v2(exercise):
    model = exercise.CapsuleForensics()
    primary = exercise.PrimaryCapsule(256)
    assert _count(primary) == PRIMARY, f"expected {PRIMARY:,} parameters per primary capsule, got {_count(primary):,}"
    assert _count(model.stem) == STEM, f"expected {STEM:,} stem parameters (VGG19 up to conv3_4), got {_count(model.stem):,}"
    assert _count(model) == 3_896_638, f"expected 3,896,638 parameters in all, got {_count(model):,}"


@pytest.mark.points(2)
def test_stem_equals_torchvision_vgg19_with_the_same_weights(exercise, tmp_path):
    torch.manual_seed(0)
    oracle = vgg.make_layers(vgg.cfgs["E"])          # torchvision's VGG19 feature layers (no download)
    path = tmp_path / "vgg19.pth"
    torch.save({f"features.{k}": v for k, v in oracle.state_dict().items()}, path)
    stem = exercise.vgg19_stem(weights=path)
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got, expected = stem(x), oracle[:18](x)
    assert got.shape == (1, 256, 8, 8), f"expected (1, 256, 8, 8) for a 32 px input, got {tuple(got.shape)}"
    assert torch.allclose(got, expected, atol=1e-5), f"stem differs from torchvision's features[:18] by {(got - expected).abs().max():.2e}"


@pytest.mark.points(1)
def test_squash_by_hand(exercise, agrees_with_reference):
    s = torch.tensor([[3.0, 4.0], [0.0, 0.0], [0.0, 0.5]])
    got = exercise.squash(s)
    expected = torch.tensor([[25 / 26 * 0.6, 25 / 26 * 0.8], [0.0, 0.0], [0.0, 0.25 / 1.25]])
    assert torch.allclose(got, expected, atol=1e-6), f"expected {expected.tolist()}, got {got.tolist()}"
    column = exercise.squash(s.T, dim=0)
    assert torch.allclose(column, expected.T, atol=1e-6), "squash must work along the dimension it is given"
    agrees_with_reference(got, lambda ref: ref.squash(s))


@pytest.mark.points(1)
def test_stats_pooling_equals_numpy(exercise):
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(2))
    got = exercise.stats_pooling(x)
    flat = x.numpy().reshape(2, 3, 20)
    expected = np.stack([flat.mean(axis=2), flat.std(axis=2, ddof=1)], axis=1)
    assert got.shape == (2, 2, 3), f"expected (B, 2, C) = (2, 2, 3), got {tuple(got.shape)}"
    assert np.allclose(got.numpy(), expected, atol=1e-5), "row 0: per-channel mean, row 1: unbiased std over positions"


@pytest.mark.points(2)
def test_dynamic_routing_by_hand(exercise, agrees_with_reference):
    """2 output capsules, 2 input capsules, 2-D votes."""
    u_hat = torch.tensor([[[[1.0, 0.0], [0.0, 2.0]],        # votes for output 0 from inputs 0 and 1
                           [[0.5, 0.5], [-1.0, 0.0]]]])     # votes for output 1

    def squash(s):
        n2 = (s ** 2).sum(-1, keepdims=True)
        return n2 / (1 + n2) * s / np.sqrt(n2)

    u = u_hat[0].numpy()
    v1 = squash(u.sum(axis=1) / 2)                       # iteration 1: every coupling 1/2
    b = (u * v1[:, None, :]).sum(-1)                     # agreement (out, in)
    c = np.exp(b) / np.exp(b).sum(axis=0, keepdims=True)  # softmax over the OUTPUT capsules
    v2 = squash((c[..., None] * u).sum(axis=1))

    one, coupling_one = exercise.dynamic_routing(u_hat, iterations=1)
    two, coupling_two = exercise.dynamic_routing(u_hat, iterations=2)
    assert torch.allclose(coupling_one, torch.full((1, 2, 2), 0.5)), f"first iteration: couplings 1/2, got {coupling_one}"
    assert np.allclose(one[0].numpy(), v1, atol=1e-6), f"one iteration: expected {v1.tolist()}, got {one[0].tolist()}"
    assert np.allclose(coupling_two[0].numpy(), c, atol=1e-6), (
        f"second iteration's couplings (softmax over output capsules): expected {c.tolist()}, got {coupling_two[0].tolist()}")
    assert np.allclose(two[0].numpy(), v2, atol=1e-6), f"two iterations: expected {v2.tolist()}, got {two[0].tolist()}"
    agrees_with_reference(two, lambda ref: ref.dynamic_routing(u_hat, iterations=2)[0])


@pytest.mark.points(2)
def test_capsule_forensics_forward(exercise):
    torch.manual_seed(0)
    model = exercise.CapsuleForensics().eval()
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        v, coupling = model.forward_capsules(x)
        logits = model(x)
        one = model(x[:1])
        features = model.stem(x)
        u = exercise.squash(torch.stack([capsule(features) for capsule in model.primary], dim=1))
    assert v.shape == (2, 2, 4) and coupling.shape == (2, 2, 10), (
        f"expected output capsules (2, 2, 4) and couplings (2, 2, 10), got {tuple(v.shape)}, {tuple(coupling.shape)}")
    assert u.shape == (2, 10, 8), f"each primary capsule must give an 8-D vector: expected (2, 10, 8), got {tuple(u.shape)}"
    # Votes written out with explicit loops: u_hat[b, o, i] = W[o, i] @ u[b, i].
    W = model.route_weights.detach()
    u_hat = torch.stack([torch.stack([torch.stack([W[o, i] @ u[b, i] for i in range(10)]) for o in range(2)])
                         for b in range(2)])
    expected_v, _ = exercise.dynamic_routing(u_hat, iterations=2)
    assert torch.allclose(v, expected_v, atol=1e-6), "output capsules must route the votes W[o, i] @ squash(u)[i]"
    assert (v.norm(dim=-1) < 1).all(), "output capsules are squashed: lengths below 1"
    assert torch.allclose(logits, (v[:, 1] - v[:, 0]).mean(-1), atol=1e-6), "forward = mean over d of v_fake - v_real"
    assert one.shape == (1,) and torch.allclose(one, logits[:1], atol=1e-5), "a batch of one must give logits (1,)"
