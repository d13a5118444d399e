"""Graded tests for phase2_temporal_analysis/template_3dcnn.py.

Ground truth: torchvision's video ResNets (``torchvision.models.video.r3d_18`` / ``r2plus1d_18`` and
their ``BasicBlock``, ``Conv3DSimple``, ``Conv2Plus1D``, ``BasicStem``, ``R2Plus1dStem``) loaded
with the same weights, the analytic weight count of 3D kernels, and convolution arithmetic for
output shapes. Clips are tiny (4 frames of 32 px): the layers, not the resolution, are under test.
"""
import pytest
import torch
from torch import nn
from torchvision.models.video import r2plus1d_18, r3d_18
from torchvision.models.video.resnet import BasicBlock, BasicStem, Conv2Plus1D, Conv3DSimple, R2Plus1dStem

from dfkit.curriculum.layout import assert_layout

pytestmark = pytest.mark.exercise("phase2_temporal_analysis.template_3dcnn")
torch.set_num_threads(2)

KINDS = [False, True]
KIND_IDS = ["r3d", "r2plus1d"]


def randomised(module, seed=0):
    """``module`` in eval mode with random BatchNorm statistics, so that equal outputs mean equal layers."""
    generator = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm3d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
    return module.eval()


def copy_and_compare(yours, oracle, x, yours_input=None, hint=""):
    assert_layout(yours, oracle.state_dict(), hint=hint)
    yours.load_state_dict(oracle.state_dict())
    yours.eval()
    with torch.no_grad():
        expected = oracle(x)
        got = yours(x if yours_input is None else yours_input)
    return got, expected


# ---------------------------------------------------------------- midplanes
@pytest.mark.points(1)
@pytest.mark.parametrize("in_planes, out_planes, expected", [(64, 64, 144), (64, 128, 230), (128, 128, 288),
                                                             (256, 512, 921)],
                         ids=["64_to_64", "64_to_128", "128_to_128", "256_to_512"])
def test_midplanes_keeps_the_weight_count_of_a_3x3x3_kernel(exercise, in_planes, out_planes, expected):
    got = exercise.midplanes(in_planes, out_planes)
    full = 27 * in_planes * out_planes
    assert 9 * in_planes * got + 3 * got * out_planes <= full < 9 * in_planes * (got + 1) + 3 * (got + 1) * out_planes, (
        f"expected the largest width whose (1x3x3 + 3x1x1) weights stay within the {full} of a 3x3x3 kernel: "
        f"{expected}, got {got}")
    assert got == expected


# ---------------------------------------------------------------- spatiotemporal_conv
@pytest.mark.points(1)
@pytest.mark.parametrize("factorised", KINDS, ids=KIND_IDS)
def test_spatiotemporal_conv_matches_torchvisions_with_the_same_weights(exercise, factorised):
    torch.manual_seed(0)
    mid = 30
    oracle = (Conv2Plus1D(8, 16, mid, stride=2) if factorised else Conv3DSimple(8, 16, mid, stride=2))
    yours = exercise.spatiotemporal_conv(8, 16, mid, stride=2, factorised=factorised)
    randomised(oracle)
    x = torch.randn(2, 8, 4, 10, 10)
    got, expected = copy_and_compare(yours, oracle, x)
    assert got.shape == (2, 16, 2, 5, 5), f"stride 2 with padding 1 halves T, H and W: expected (2, 16, 2, 5, 5), got {tuple(got.shape)}"
    assert torch.allclose(got, expected, atol=1e-5), f"largest difference {float((got - expected).abs().max()):.3g}"


# ---------------------------------------------------------------- BasicBlock3d
@pytest.mark.points(2)
@pytest.mark.parametrize("factorised", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("in_planes, planes, stride", [(8, 8, 1), (8, 16, 2)], ids=["identity_shortcut", "downsampled"])
def test_basic_block_matches_torchvisions(exercise, factorised, in_planes, planes, stride):
    torch.manual_seed(1)
    builder = Conv2Plus1D if factorised else Conv3DSimple
    downsample = None
    if stride != 1 or in_planes != planes:
        downsample = nn.Sequential(nn.Conv3d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm3d(planes))
    oracle = randomised(BasicBlock(in_planes, planes, builder, stride, downsample))
    yours = exercise.BasicBlock3d(in_planes, planes, stride, factorised)
    x = torch.randn(2, in_planes, 4, 8, 8)
    got, expected = copy_and_compare(yours, oracle, x,
                                     hint="conv2 uses midplanes(in_planes, planes) too, as torchvision does")
    assert torch.allclose(got, expected, atol=1e-5), (
        f"expected relu(conv2(conv1(x)) + shortcut(x)); largest difference {float((got - expected).abs().max()):.3g}")


# ---------------------------------------------------------------- video_stem
@pytest.mark.points(1)
@pytest.mark.parametrize("factorised", KINDS, ids=KIND_IDS)
def test_video_stem_matches_torchvisions(exercise, factorised):
    torch.manual_seed(2)
    oracle = randomised(R2Plus1dStem() if factorised else BasicStem())
    x = torch.randn(1, 3, 4, 16, 16)
    got, expected = copy_and_compare(exercise.video_stem(factorised), oracle, x)
    assert got.shape == (1, 64, 4, 8, 8), f"expected (1, 64, T, H/2, W/2) = (1, 64, 4, 8, 8), got {tuple(got.shape)}"
    assert torch.allclose(got, expected, atol=1e-5)


# ---------------------------------------------------------------- VideoResNet18
@pytest.mark.points(3)
@pytest.mark.parametrize("factorised", KINDS, ids=KIND_IDS)
def test_video_resnet18_equals_torchvisions_model_with_the_same_weights(exercise, factorised):
    torch.manual_seed(3)
    oracle = randomised((r2plus1d_18 if factorised else r3d_18)(num_classes=1))
    yours = exercise.VideoResNet18(factorised=factorised)
    clips = torch.randn(1, 4, 3, 32, 32)  # (B, T, 3, H, W): a batch of one, as the platform feeds it
    got, expected = copy_and_compare(yours, oracle, clips.permute(0, 2, 1, 3, 4), yours_input=clips,
                                     hint="names follow torchvision: stem, layer1..layer4 (two blocks each), fc")
    assert got.shape == (1,), f"expected (B,) = (1,) logits for (B, T, 3, H, W) clips, got {tuple(got.shape)}"
    assert torch.allclose(got, expected.squeeze(-1), atol=1e-4), (
        f"expected torchvision's output {expected.flatten().tolist()}, got {got.tolist()} "
        "(clips are (B, T, 3, H, W); nn.Conv3d wants (B, 3, T, H, W))")


@pytest.mark.points(1)
def test_video_resnet18_initialises_like_torchvision(exercise):
    torch.manual_seed(4)
    model = exercise.VideoResNet18()
    assert torch.all(model.fc.bias == 0) and 0.005 < float(model.fc.weight.detach().std()) < 0.015, (
        "expected fc weights ~ N(0, 0.01) and zero bias")
    conv = model.layer3[0].conv1[0].weight.detach()  # Kaiming normal, fan_out = 256 * 27: std sqrt(2 / fan_out)
    expected = (2 / (256 * 27)) ** 0.5
    assert abs(float(conv.std()) / expected - 1) < 0.05, (
        f"expected Kaiming-normal (fan_out, relu) std {expected:.4f}, got {float(conv.std()):.4f}")


# ---------------------------------------------------------------- C3DSmall
@pytest.mark.points(2)
@pytest.mark.parametrize("width", [4, 16], ids=["width_4", "width_16"])
def test_c3d_small_has_the_analytic_parameter_count(exercise, width):
    model = exercise.C3DSmall(width=width)
    widths = [3, width, 2 * width, 4 * width, 8 * width]
    convs = sum(27 * a * b for a, b in zip(widths[:-1], widths[1:]))
    batchnorm = sum(2 * b for b in widths[1:])
    expected = convs + batchnorm + 8 * width + 1
    got = sum(p.numel() for p in model.parameters())
    assert got == expected, (f"expected {expected} parameters: bias-free 3x3x3 convolutions {convs}, BatchNorm "
                             f"{batchnorm}, Linear({8 * width}, 1) {8 * width + 1}; got {got}")


@pytest.mark.points(1)
@pytest.mark.parametrize("batch", [1, 3], ids=["batch_of_one", "batch_of_three"])
def test_c3d_small_gives_one_logit_per_clip_and_sees_frame_order(exercise, batch):
    torch.manual_seed(5)
    model = randomised(exercise.C3DSmall(width=4))
    clips = torch.randn(batch, 8, 3, 32, 32)
    with torch.no_grad():
        got = model(clips)
        shuffled = model(clips[:, [0, 4, 1, 5, 2, 6, 3, 7]])
    assert got.shape == (batch,), f"expected ({batch},) logits, got {tuple(got.shape)}"
    assert not torch.allclose(got, shuffled), "a 3D CNN must see the order of frames: shuffling them changed nothing"
