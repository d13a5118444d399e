"""Graded tests for phase1_cnn_detection/template_xceptionnet.py.

Ground truth: timm's ``legacy_xception`` (an independent port of the same published network) and
the algebra of separable convolutions. Batch-norm statistics are randomised before comparing, so
that eval-mode BatchNorm is not the identity and a missing or misplaced BatchNorm shows.
"""
import importlib

import pytest
import timm
import torch
from torch import nn
from torch.nn import functional as F

from dfkit.curriculum.layout import assert_layout
from dfkit.errors import CheckpointError

pytestmark = pytest.mark.exercise("phase1_cnn_detection.template_xceptionnet")
torch.set_num_threads(2)

timm_xception = importlib.import_module("timm.models.xception")


def _randomise_batchnorm(model, seed=1):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(1 + 0.2 * torch.randn(n, generator=generator))
                module.bias.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_mean.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(n, generator=generator))
    return model


def _timm_model(num_classes, seed=0):
    torch.manual_seed(seed)
    model = timm.create_model("legacy_xception", pretrained=False, num_classes=num_classes)
    nn.init.normal_(model.fc.weight, std=0.1)  # timm's tiny default makes every logit about 0
    nn.init.normal_(model.fc.bias, std=0.1)
    return _randomise_batchnorm(model).eval()


def _images(batch=2, size=96, channels=3, seed=2):
    return torch.randn(batch, channels, size, size, generator=torch.Generator().manual_seed(seed))


def _n_params(model):
    return sum(p.numel() for p in model.parameters())


def _assert_timm_layout(model):
    """``model`` has timm legacy_xception's layer names and shapes (a mismatch is told in the learner's terms)."""
    assert_layout(model, timm.create_model("legacy_xception", pretrained=False, num_classes=1).state_dict())


def _to_ffpp_layout(state, prefix, head):
    """timm keys -> FaceForensics++/DeepfakeBench keys: prefixed, head renamed, pointwise weights 2-D."""
    converted = {}
    for key, value in state.items():
        if key.startswith("fc."):
            key = head + key[len("fc."):]
        if key.endswith("pointwise.weight"):
            value = value[:, :, 0, 0]
        converted[prefix + key] = value
    return converted


@pytest.mark.points(1)
def test_separable_conv_is_depthwise_then_pointwise(exercise):
    conv = exercise.SeparableConv2d(6, 10)
    n_params = _n_params(conv)
    assert n_params == 3 * 3 * 6 + 6 * 10, f"expected 3*3*6 + 6*10 = 114 parameters (no bias), got {n_params}"
    x = _images(batch=2, size=9, channels=6)
    depthwise, pointwise = conv.conv1.weight, conv.pointwise.weight
    # A separable conv equals one dense 3x3 conv whose kernel is pointwise[o, i] * depthwise[i].
    dense_kernel = pointwise[:, :, 0, 0, None, None] * depthwise[None, :, 0]
    with torch.no_grad():
        got, expected = conv(x), F.conv2d(x, dense_kernel, padding=1)
    assert got.shape == (2, 10, 9, 9), f"expected shape (2, 10, 9, 9), got {tuple(got.shape)}"
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5,
                               msg=lambda m: f"expected the dense-kernel equivalent of your separable conv; {m}")


@pytest.mark.points(2)
@pytest.mark.parametrize("config", [
    dict(in_channels=64, out_channels=128, reps=2, stride=2, start_with_relu=False, grow_first=True),
    dict(in_channels=32, out_channels=32, reps=3, stride=1, start_with_relu=True, grow_first=True),
    dict(in_channels=32, out_channels=48, reps=2, stride=2, start_with_relu=True, grow_first=False),
], ids=["entry-block1", "middle", "exit-block12"])
def test_block_matches_timm_block(exercise, config):
    block = exercise.Block(**config)
    torch.manual_seed(0)
    reference = timm_xception.Block(config["in_channels"], config["out_channels"], config["reps"],
                                    strides=config["stride"], start_with_relu=config["start_with_relu"],
                                    grow_first=config["grow_first"])
    _randomise_batchnorm(reference).eval()
    assert_layout(block, reference.state_dict(), hint="Block's docstring gives the order inside rep: "
                                                      "ReLU, SeparableConv2d, BatchNorm2d per convolution.")
    block.load_state_dict(reference.state_dict())
    block.eval()
    x = _images(batch=2, size=15, channels=config["in_channels"])
    with torch.no_grad():
        expected, got = reference(x.clone()), block(x.clone())
    assert got.shape == expected.shape, f"expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"block output differs from timm's Block; {m}")


@pytest.mark.points(1)
def test_output_and_feature_shapes(exercise):
    model = exercise.Xception().eval()
    with torch.no_grad():
        small = model(_images(batch=2, size=64))
        large = model(_images(batch=1, size=299))
        features = model.forward_features(_images(batch=1, size=299))
        embedding = model.embed(_images(batch=3, size=64))
    assert small.shape == (2,), f"expected logits of shape (2,) at 64 px, got {tuple(small.shape)}"
    assert large.shape == (1,), f"expected logits of shape (1,) at 299 px, got {tuple(large.shape)}"
    # 299 -> 149 (conv1, stride 2) -> 147 (conv2) -> 74 -> 37 -> 19 (blocks 1-3) -> 10 (block12)
    assert features.shape == (1, 2048, 10, 10), (
        f"expected features (1, 2048, 10, 10) at 299 px, got {tuple(features.shape)}")
    assert embedding.shape == (3, 2048), f"expected embedding (3, 2048), got {tuple(embedding.shape)}"


@pytest.mark.points(1)
def test_parameter_count_matches_timm(exercise):
    got = _n_params(exercise.Xception())
    expected = _n_params(timm.create_model("legacy_xception", pretrained=False, num_classes=1))
    assert got == expected, f"expected {expected:,} parameters (timm legacy_xception, 1 output), got {got:,}"


@pytest.mark.points(3)
def test_matches_timm_with_timm_weights(exercise, agrees_with_reference):
    reference = _timm_model(num_classes=1)
    state = reference.state_dict()
    model = exercise.Xception()
    _assert_timm_layout(model)
    model = exercise.load_pretrained(model, state).eval()
    x = _images()
    with torch.no_grad():
        expected_features = reference.forward_features(x)
        expected_logits = reference(x)[:, 0]
        got_features, got_embedding, got_logits = model.forward_features(x), model.embed(x), model(x)
    torch.testing.assert_close(got_features, expected_features, rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"forward_features differs from timm's; {m}")
    torch.testing.assert_close(got_embedding, expected_features.mean(dim=(2, 3)), rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"embed differs from timm's pooled features; {m}")
    assert got_logits.shape == (2,), f"expected logits of shape (2,), got {tuple(got_logits.shape)}"
    torch.testing.assert_close(got_logits, expected_logits, rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"logits differ from timm's; {m}")
    agrees_with_reference(got_logits, lambda ref: ref.load_pretrained(ref.Xception(), state).eval()(x),
                          rtol=1e-4, atol=1e-5)


@pytest.mark.points(2)
def test_loads_faceforensics_two_class_checkpoint(exercise, tmp_path):
    # FaceForensics++ wraps Xception as `model`, puts Dropout + Linear(2048, 2) in `last_linear`,
    # stores pointwise weights 2-D, and reads P(fake) as softmax(logits)[:, 1].
    _assert_timm_layout(exercise.Xception())
    reference = _timm_model(num_classes=2)
    path = tmp_path / "ffpp_xception.pth"
    torch.save(_to_ffpp_layout(reference.state_dict(), prefix="model.", head="last_linear.1."), path)
    model = exercise.xception_detector(weights=str(path)).eval()
    x = _images()
    with torch.no_grad():
        expected = torch.softmax(reference(x), dim=1)[:, 1]
        got = torch.sigmoid(model(x))
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"expected sigmoid(logit) = FF++ softmax P(fake); {m}")


@pytest.mark.points(1)
def test_loads_deepfakebench_single_logit_checkpoint(exercise):
    reference = _timm_model(num_classes=1)
    state = _to_ffpp_layout(reference.state_dict(), prefix="module.backbone.", head="last_linear.")
    model = exercise.Xception()
    _assert_timm_layout(model)
    model = exercise.load_pretrained(model, state).eval()
    x = _images()
    with torch.no_grad():
        expected, got = reference(x)[:, 0], model(x)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"logits differ from the checkpoint's network; {m}")


@pytest.mark.points(1)
def test_imagenet_checkpoint_keeps_new_binary_head(exercise):
    reference = _timm_model(num_classes=1000)
    model = exercise.Xception()
    _assert_timm_layout(model)
    head_before = (model.fc.weight.detach().clone(), model.fc.bias.detach().clone())
    exercise.load_pretrained(model, reference.state_dict()).eval()
    assert model.fc.weight.shape == (1, 2048), (
        f"expected a (1, 2048) binary head, got {tuple(model.fc.weight.shape)}")
    assert torch.equal(model.fc.weight, head_before[0]) and torch.equal(model.fc.bias, head_before[1]), (
        "expected the binary head to keep its initialisation when the checkpoint has 1000 classes, got it changed")
    x = _images()
    with torch.no_grad():
        expected, got = reference.forward_features(x), model.forward_features(x)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5,
                               msg=lambda m: f"backbone features differ from the ImageNet checkpoint's; {m}")


@pytest.mark.points(1)
def test_wrong_checkpoints_raise_checkpoint_error(exercise, tmp_path):
    model = exercise.Xception()
    meso_like = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8, 1))
    with pytest.raises(CheckpointError):
        exercise.load_pretrained(model, meso_like.state_dict())
    truncated = dict(model.state_dict())
    del truncated["block7.rep.4.pointwise.weight"]
    with pytest.raises(CheckpointError, match="block7.rep.4.pointwise.weight"):
        exercise.load_pretrained(model, truncated)
    with pytest.raises(CheckpointError):
        exercise.xception_detector(weights=str(tmp_path / "missing.pth"))
