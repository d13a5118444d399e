"""Graded tests for phase1_cnn_detection/template_mesonet.py.

Ground truth: the trainable-parameter counts of the published Keras models, written out layer by
layer from their formulas (conv: k*k*in*out + out; Keras BatchNorm: 2 trainable per channel,
gamma and beta; dense: in*out + out), the feature-map sizes from the pooling arithmetic, and a
stage's output for hand-set weights (which tells ReLU-then-BatchNorm from BatchNorm-then-ReLU).
"""
import math

import pytest
import torch
from torch import nn

from dfkit.curriculum.layout import assert_layout

pytestmark = pytest.mark.exercise("phase1_cnn_detection.template_mesonet")
torch.set_num_threads(2)


def conv(k, cin, cout):
    return k * k * cin * cout + cout


def bn(channels):
    return 2 * channels


def dense(cin, cout):
    return cin * cout + cout


def inception(cin, a, b, c, d):
    return (conv(1, cin, a)
            + conv(1, cin, b) + conv(3, b, b)
            + conv(1, cin, c) + conv(3, c, c)
            + conv(1, cin, d) + conv(3, d, d))


FLAT = 8 * 8 * 16  # 256 / 2 / 2 / 2 / 4 = 8, times 16 channels
TAIL = conv(5, 16, 16) + bn(16) + dense(FLAT, 16) + dense(16, 1)
MESO4_KERAS = conv(3, 3, 8) + bn(8) + conv(5, 8, 8) + bn(8) + conv(5, 8, 16) + bn(16) + TAIL
MESOINCEPTION4_KERAS = (inception(3, 1, 4, 4, 2) + bn(11) + inception(11, 2, 4, 4, 2) + bn(12)
                        + conv(5, 12, 16) + bn(16) + TAIL)
# = 27,977 and 28,615: Keras' "Trainable params" (its "Total params" add 2 moving statistics per BN channel).


def _trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _faces(batch=2, seed=0):
    return torch.rand(batch, 3, 256, 256, generator=torch.Generator().manual_seed(seed))


@pytest.mark.points(1)
def test_conv_stage_shape_and_count(exercise):
    stage = exercise.conv_stage(3, 8, 5, pool=4)
    n = _trainable(stage)
    expected = conv(5, 3, 8) + bn(8)
    assert n == expected, f"expected 5*5*3*8 + 8 + 2*8 = {expected} trainable parameters, got {n}"
    with torch.no_grad():
        out = stage(torch.rand(2, 3, 30, 30))
    assert out.shape == (2, 8, 8, 8), (
        f"expected (2, 8, ceil(30/4), ceil(30/4)) = (2, 8, 8, 8) ('same' padding and pooling), got {tuple(out.shape)}")


@pytest.mark.points(1)
def test_conv_stage_is_relu_then_batchnorm(exercise):
    # Hand-set weights: the convolution outputs -1 everywhere (zero kernel, bias -1); BatchNorm in
    # eval mode computes (x - mean) / sqrt(var + eps) with mean = -1, var = 1e-3, eps = BN_EPS = 1e-3.
    # ReLU first: (0 + 1) / sqrt(2e-3) = 22.36 everywhere. BatchNorm first: ReLU((-1 + 1) / ...) = 0.
    stage = exercise.conv_stage(2, 3, 3, pool=2).eval()
    convs = [m for m in stage.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in stage.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(convs) == len(norms) == 1, (
        f"expected one Conv2d and one BatchNorm2d in the stage, got {len(convs)} and {len(norms)}")
    assert convs[0].bias is not None, "expected the convolution to have a bias (see conv_stage's docstring)"
    with torch.no_grad():
        convs[0].weight.zero_()
        convs[0].bias.fill_(-1.0)
        norms[0].running_mean.fill_(-1.0)
        norms[0].running_var.fill_(1e-3)
        norms[0].weight.fill_(1.0)
        norms[0].bias.zero_()
        out = stage(torch.rand(1, 2, 6, 6))
    expected = 1 / math.sqrt(1e-3 + 1e-3)
    assert out.shape == (1, 3, 3, 3), f"expected (1, 3, 6/2, 6/2), got {tuple(out.shape)}"
    got = out.flatten()[0].item()
    assert got != 0, (
        "expected ReLU before BatchNorm (Conv2d, ReLU, BatchNorm2d, MaxPool2d): with the convolution giving -1 "
        "and BatchNorm's running mean -1, ReLU first gives (0 + 1) / sqrt(1e-3 + 1e-3) = 22.36; got 0, which is "
        "what BatchNorm before ReLU gives")
    torch.testing.assert_close(out, torch.full_like(out, expected), rtol=1e-4, atol=1e-4, msg=lambda m: (
        f"expected every output = (0 + 1) / sqrt(running_var 1e-3 + eps {1e-3}) = {expected:.2f} "
        f"(ReLU, then BatchNorm with eps=BN_EPS, then max-pool), got e.g. {got:.4g}; {m}"))


@pytest.mark.points(1)
def test_inception_layer_shape_and_count(exercise):
    layer = exercise.InceptionLayer(3, 1, 4, 4, 2)
    n, expected = _trainable(layer), inception(3, 1, 4, 4, 2)
    assert n == expected, f"expected {expected} trainable parameters (1x1 / 1x1+3x3 x3 branches), got {n}"
    with torch.no_grad():
        out = layer(torch.rand(2, 3, 17, 17))
    assert out.shape == (2, 11, 17, 17), f"expected (2, 1+4+4+2, 17, 17), got {tuple(out.shape)}"
    assert out.min() >= 0, f"expected ReLU outputs (>= 0) from every branch, got a minimum of {out.min():.3g}"


@pytest.mark.points(2)
@pytest.mark.parametrize("name, expected", [("Meso4", MESO4_KERAS), ("MesoInception4", MESOINCEPTION4_KERAS)],
                         ids=["Meso4", "MesoInception4"])
def test_trainable_parameters_match_keras(exercise, name, expected):
    got = _trainable(getattr(exercise, name)())
    assert got == expected, f"expected {expected:,} trainable parameters (the Keras {name}), got {got:,}"


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["Meso4", "MesoInception4"])
def test_forward_shapes_at_256_px_and_batch_of_one(exercise, name, agrees_with_reference):
    torch.manual_seed(0)
    model = getattr(exercise, name)().eval()
    x = _faces()
    with torch.no_grad():
        features, embedding, logits = model.forward_features(x), model.embed(x), model(x)
        single = model(x[:1])
    assert features.shape == (2, 16, 8, 8), (
        f"expected features (2, 16, 256/2/2/2/4, ...) = (2, 16, 8, 8), got {tuple(features.shape)}")
    assert embedding.shape == (2, 16), f"expected embedding (2, 16), got {tuple(embedding.shape)}"
    assert logits.shape == (2,), f"expected logits of shape (2,), got {tuple(logits.shape)}"
    assert single.shape == (1,), (
        f"expected logits of shape (1,) for a batch of one image, got {tuple(single.shape)} "
        f"(squeeze only the last dimension: .squeeze(-1))")
    agrees_with_reference(logits, lambda ref: _reference_logits(ref, name, model, x), rtol=1e-4, atol=1e-5)


def _reference_logits(ref, name, model, x):
    """The reference network's logits with the learner's weights (if the learner's layers fit them)."""
    reference = getattr(ref, name)()
    assert_layout(model, reference.state_dict(),
                  hint="conv_stage's docstring gives the order inside a stage: Conv2d, ReLU, BatchNorm2d, MaxPool2d.")
    reference.load_state_dict(model.state_dict())
    with torch.no_grad():
        return reference.eval()(x)


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["Meso4", "MesoInception4"])
def test_training_steps_reduce_loss(exercise, name):
    torch.manual_seed(0)
    model = getattr(exercise, name)().train()
    x, y = _faces(batch=4, seed=1), torch.tensor([0.0, 1.0] * 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(4):
        torch.manual_seed(1)  # the same dropout masks every step: the batch's loss is a fixed function
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        if not losses:
            no_grad = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
            assert not no_grad, f"expected every parameter to receive a gradient, got none for {no_grad}"
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0], f"expected the loss on a fixed batch to fall over 4 Adam steps, got {losses}"
