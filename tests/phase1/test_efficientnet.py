"""Graded tests for phase1_cnn_detection/template_efficientnet.py.

Ground truth: torchvision's ``efficientnet_b4`` (its feature extractor and its ImageNet-style
state_dict) and the analytic size of the new head (1792 weights + 1 bias).
"""
import pytest
import torch
import torchvision
from torch import nn

from dfkit.curriculum.layout import assert_layout
from dfkit.errors import CheckpointError

pytestmark = pytest.mark.exercise("phase1_cnn_detection.template_efficientnet")
torch.set_num_threads(2)


def _images(batch=2, size=64, seed=2):
    return torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def _torchvision_b4(seed=0):
    """torchvision's B4 with seeded weights and non-trivial BatchNorm statistics, in eval mode."""
    torch.manual_seed(seed)
    model = torchvision.models.efficientnet_b4(weights=None)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.copy_(0.1 * torch.randn(module.num_features, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(module.num_features, generator=generator))
    return model.eval()


def _assert_docstring_layout(model, reference, attention=False):
    """``model`` has torchvision's ``features`` and the docstrings' head (and attention), told in the learner's terms.

    The head's shapes are the docstrings': Linear(1792, 1), and for attention a 1x1 conv 1792 -> 1 with bias.
    """
    layout = {k: v for k, v in reference.state_dict().items() if k.startswith("features.")}
    layout.update({"classifier.1.weight": torch.zeros(1, 1792), "classifier.1.bias": torch.zeros(1)})
    if attention:
        layout.update({"attention.conv.weight": torch.zeros(1, 1792, 1, 1), "attention.conv.bias": torch.zeros(1)})
    assert_layout(model, layout)


@pytest.mark.points(1)
def test_output_and_feature_shapes(exercise):
    model = exercise.EfficientNetDetector().eval()
    x = _images(batch=2, size=64)
    with torch.no_grad():
        logits, features, embedding = model(x), model.forward_features(x), model.embed(x)
        single = model(x[:1])
    assert logits.shape == (2,), f"expected logits of shape (2,), got {tuple(logits.shape)}"
    assert single.shape == (1,), (
        f"expected logits of shape (1,) for a batch of one image, got {tuple(single.shape)} "
        f"(squeeze only the last dimension: .squeeze(-1))")
    assert features.shape == (2, 1792, 2, 2), (
        f"expected features (2, 1792, 64/32, 64/32), got {tuple(features.shape)}")
    assert embedding.shape == (2, 1792), f"expected embedding (2, 1792), got {tuple(embedding.shape)}"


@pytest.mark.points(1)
def test_parameter_count_is_torchvision_backbone_plus_binary_head(exercise):
    backbone = _n_params(torchvision.models.efficientnet_b4(weights=None).features)
    got = _n_params(exercise.EfficientNetDetector())
    expected = backbone + 1792 + 1
    assert got == expected, (
        f"expected {backbone:,} (torchvision B4 features) + 1792 + 1 = {expected:,} parameters, got {got:,}")
    got_attention = _n_params(exercise.EfficientNetDetector(attention=True))
    expected_attention = expected + 1792 + 1
    assert got_attention == expected_attention, (
        f"expected {expected_attention:,} parameters with attention (a 1x1 conv 1792 -> 1 more), "
        f"got {got_attention:,}")


@pytest.mark.points(2)
def test_imagenet_checkpoint_file_gives_torchvision_features(exercise, tmp_path, agrees_with_reference):
    reference = _torchvision_b4()
    _assert_docstring_layout(exercise.EfficientNetDetector(), reference)
    path = tmp_path / "efficientnet_b4_imagenet.pth"
    torch.save(reference.state_dict(), path)
    model = exercise.efficientnet_detector(weights=str(path)).eval()
    x = _images()
    with torch.no_grad():
        expected = reference.features(x)
        got_features, got_embedding = model.forward_features(x), model.embed(x)
        logits = model(x)
    torch.testing.assert_close(got_features, expected, rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"features differ from torchvision's efficientnet_b4.features; {m}")
    torch.testing.assert_close(got_embedding, expected.mean(dim=(2, 3)), rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"embed differs from torchvision's pooled features; {m}")
    agrees_with_reference(logits, lambda ref: _reference_logits(ref, model, x), rtol=1e-4, atol=1e-5)


def _reference_logits(ref, model, x):
    """The reference detector's logits with the learner's weights (same head initialisation)."""
    detector = ref.EfficientNetDetector()
    assert_layout(model, detector.state_dict())
    detector.load_state_dict(model.state_dict())
    with torch.no_grad():
        return detector.eval()(x)


@pytest.mark.points(2)
def test_attention_weights_the_feature_map(exercise):
    reference = _torchvision_b4()
    model = exercise.efficientnet_detector(attention=True)
    _assert_docstring_layout(model, reference, attention=True)
    exercise.load_pretrained(model, reference.state_dict()).eval()
    x = _images()
    with torch.no_grad():
        backbone = reference.features(x)
        attention = model.attention_map(x)
        got = model.forward_features(x)
    assert attention.shape == (2, 1, 2, 2), f"expected an attention map (2, 1, 2, 2), got {tuple(attention.shape)}"
    assert attention.min() > 0 and attention.max() < 1, (
        f"expected attention weights in (0, 1), got [{attention.min():.3g}, {attention.max():.3g}]")
    torch.testing.assert_close(got, backbone * attention, rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"expected forward_features = backbone features * attention map; {m}")


@pytest.mark.points(1)
def test_own_checkpoint_round_trip_and_wrong_checkpoints(exercise, tmp_path):
    trained = exercise.EfficientNetDetector()
    with torch.no_grad():
        trained.classifier[1].weight.normal_()
    path = tmp_path / "detector.pt"
    torch.save({"model": trained.state_dict(), "epoch": 3}, path)
    loaded = exercise.efficientnet_detector(weights=str(path))
    assert torch.equal(loaded.classifier[1].weight, trained.classifier[1].weight), (
        "expected the checkpoint's binary head to be loaded, got a different head")
    with pytest.raises(CheckpointError):
        exercise.load_pretrained(exercise.EfficientNetDetector(attention=True), trained.state_dict())
    meso_like = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8, 1))
    with pytest.raises(CheckpointError):
        exercise.load_pretrained(exercise.EfficientNetDetector(), meso_like.state_dict())
