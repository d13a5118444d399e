"""Graded tests for phase5_advanced_methods/template_attention_mechanism.py.

Ground truth: PyTorch's own ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention`` with
the same weights, the parameter count written out from the layer formulas, hand-computed IoU and
BCE values, and the synthetic generator's blend masks (a mask-supervised detector must put its
attention on the true manipulated region of held-out fakes).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dfkit.data.in_memory import face_images
from dfkit.synthetic import make_clip

pytestmark = pytest.mark.exercise("phase5_advanced_methods.template_attention_mechanism")


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.points(2)
@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "boolean-mask"])
def test_scaled_dot_product_attention_equals_pytorch(exercise, agrees_with_reference, masked):
    q, k, v = _randn(2, 3, 5, 8, seed=1), _randn(2, 3, 7, 8, seed=2), _randn(2, 3, 7, 4, seed=3)
    mask = (_randn(5, 7, seed=4) > -0.5) if masked else None
    if mask is not None:
        mask[:, 0] = True  # every query may attend somewhere
    out, weights = exercise.scaled_dot_product_attention(q, k, v, mask)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert out.shape == (2, 3, 5, 4) and weights.shape == (2, 3, 5, 7), (
        f"expected output (2, 3, 5, 4) and weights (2, 3, 5, 7), got {tuple(out.shape)}, {tuple(weights.shape)}")
    assert torch.allclose(out, expected, atol=1e-5), f"output differs from F.scaled_dot_product_attention by {(out - expected).abs().max():.2e}"
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3, 5), atol=1e-5), "each row of weights must sum to 1"
    if mask is not None:
        assert (weights[..., ~mask] == 0).all(), "masked-out positions must get weight 0"
    agrees_with_reference(out, lambda ref: ref.scaled_dot_product_attention(q, k, v, mask)[0], atol=1e-5)


@pytest.mark.points(1)
def test_attention_by_hand(exercise):
    """Two keys, d = 4: q . k1 = 2, q . k2 = 0 -> scores 1 and 0 after / sqrt(4): weights e/(1+e), 1/(1+e)."""
    q = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])
    k = torch.tensor([[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]]])
    v = torch.tensor([[[10.0], [0.0]]])
    out, weights = exercise.scaled_dot_product_attention(q, k, v)
    e = float(np.e)
    assert torch.allclose(weights, torch.tensor([[[e / (1 + e), 1 / (1 + e)]]])), f"expected [e/(1+e), 1/(1+e)], got {weights}"
    assert torch.allclose(out, torch.tensor([[[10 * e / (1 + e)]]])), f"expected 10 e/(1+e) = {10 * e / (1 + e):.4f}, got {out}"


@pytest.mark.points(3)
@pytest.mark.parametrize("heads", [1, 4], ids=["one-head", "four-heads"])
def test_multi_head_self_attention_equals_nn_multiheadattention(exercise, agrees_with_reference, heads):
    torch.manual_seed(0)
    oracle = nn.MultiheadAttention(16, heads, batch_first=True)
    ours = exercise.MultiHeadSelfAttention(16, heads)
    state = {"in_proj.weight": oracle.in_proj_weight, "in_proj.bias": oracle.in_proj_bias,
             "out_proj.weight": oracle.out_proj.weight, "out_proj.bias": oracle.out_proj.bias}
    missing = set(state) ^ set(ours.state_dict())
    assert not missing, f"expected exactly the parameters {sorted(state)}, got {sorted(ours.state_dict())}"
    ours.load_state_dict(state)
    x = _randn(2, 6, 16, seed=5)
    out, weights = ours(x)
    expected, expected_weights = oracle(x, x, x, average_attn_weights=False)
    assert torch.allclose(out, expected, atol=1e-5), f"output differs from nn.MultiheadAttention by {(out - expected).abs().max():.2e}"
    assert torch.allclose(weights, expected_weights, atol=1e-5), (
        f"weights (B, heads, N, N) differ from nn.MultiheadAttention's by {(weights - expected_weights).abs().max():.2e}")
    agrees_with_reference(out, lambda ref: _same_weights(ref.MultiHeadSelfAttention(16, heads), state)(x)[0], atol=1e-5)


def _same_weights(module, state):
    module.load_state_dict(state)
    return module


def _conv(k, cin, cout):
    return k * k * cin * cout + cout


@pytest.mark.points(1)
def test_spatial_attention_detector_shapes_and_count(exercise):
    model = exercise.SpatialAttentionDetector(width=8)
    n = sum(p.numel() for p in model.parameters())
    expected = (_conv(3, 3, 8) + 16 + _conv(3, 8, 16) + 32 + _conv(3, 16, 16) + 32  # convs + BatchNorm (2 per channel)
                + _conv(1, 16, 1) + 16 + 1)                                          # attention conv, classifier
    assert n == expected, f"expected {expected} parameters, got {n}"
    model.eval()
    logits, attention = model.forward_with_attention(torch.rand(1, 3, 64, 64))
    assert logits.shape == (1,) and attention.shape == (1, 8, 8), (
        f"a batch of one: expected logits (1,) and attention (1, 8, 8), got {tuple(logits.shape)}, {tuple(attention.shape)}")
    assert attention.min() >= 0 and attention.max() <= 1, "the attention map must be a sigmoid in [0, 1]"
    assert torch.allclose(model(torch.zeros(2, 3, 64, 64)), model.forward_with_attention(torch.zeros(2, 3, 64, 64))[0])


@pytest.mark.points(1)
def test_attention_iou_by_hand(exercise):
    attention = np.zeros((4, 4), np.float32)
    attention[:2, :2] = 1.0                    # upsampled x2: the top-left 4x4 block of 8x8
    mask = np.zeros((8, 8), np.float32)
    mask[:4, 2:6] = 1.0                        # overlap 4x2 = 8 px, union 16 + 16 - 8 = 24
    got = exercise.attention_iou(attention, mask)
    assert abs(got - 8 / 24) < 1e-6, f"expected IoU 8/24 = {8 / 24:.4f}, got {got}"
    assert exercise.attention_iou(np.zeros((4, 4)), np.zeros((8, 8))) == 1.0, "two empty regions agree: IoU 1"


@pytest.mark.points(1)
def test_attention_supervised_loss_by_hand(exercise):
    logits, labels = torch.tensor([0.0, 2.0]), torch.tensor([0.0, 1.0])
    attention = torch.full((2, 2, 2), 0.5)
    masks = torch.zeros(2, 4, 4)
    masks[1, :2, :2] = 1.0                     # area mean: the fake's map target is [[1, 0], [0, 0]]
    got = exercise.attention_supervised_loss(logits, attention, labels, masks, weight=2.0)
    classification = (np.log(2) + np.log(1 + np.exp(-2.0))) / 2
    localisation = np.log(2)                   # BCE of 0.5 against 0 or 1 is log 2 everywhere
    expected = classification + 2.0 * localisation
    assert abs(got.item() - expected) < 1e-5, f"expected {expected:.5f}, got {got.item():.5f}"


@pytest.mark.points(3)
@pytest.mark.timeout(120)
def test_mask_supervised_attention_finds_the_blend_region(exercise):
    """Train on 48 blend fakes + their reals (32 px crops) with mask supervision; on 8 held-out fakes
    the attention map's IoU with the generator's mask must reach 0.5 on average."""
    torch.set_num_threads(1)

    def data(first, n):
        clips = [make_clip(seed=s, num_frames=1, size=64, fake=fake) for s in range(first, first + n) for fake in (0, 1)]
        x = torch.cat([face_images(c, size=32) for c in clips]).float() / 255
        masks = torch.stack([torch.from_numpy(_crop_mask(c)) for c in clips])
        return x, torch.tensor([float(c.label) for c in clips]), masks

    x, y, masks = data(0, 48)
    torch.manual_seed(0)
    model = exercise.SpatialAttentionDetector(width=8)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    order = torch.Generator().manual_seed(0)
    for _ in range(25):
        for batch in torch.randperm(len(x), generator=order).split(16):
            logits, attention = model.forward_with_attention(x[batch])
            loss = exercise.attention_supervised_loss(logits, attention, y[batch], masks[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    xt, yt, mt = data(1000, 8)
    with torch.no_grad():
        _, attention = model.forward_with_attention(xt)
    ious = [exercise.attention_iou(a, m) for a, m, label in zip(attention, mt, yt) if label == 1]
    assert np.mean(ious) >= 0.5, f"expected mean IoU >= 0.5 with the true blend region, got {np.mean(ious):.3f} ({np.round(ious, 2)})"


def _crop_mask(clip, size=32):
    """The generator's mask of frame 0 cut like the face crop (same box, margin and size)."""
    from dfkit.faces import crop_face

    mask = np.repeat(np.rint(clip.masks[0] * 255).astype(np.uint8)[..., None], 3, axis=2)
    return crop_face(mask, clip.boxes[0], size=size)[..., 0].astype(np.float32) / 255
