"""Graded tests for phase2_temporal_analysis/template_video_transformer.py.

Ground truth: an independent rearrangement of frames into a grid (explicit slicing, frame by
frame), ``torch.nn.functional.scaled_dot_product_attention``, ``torch.nn.MultiheadAttention`` with
shared weights, and a factorised block assembled in the test from ``nn.MultiheadAttention``,
``nn.LayerNorm`` and the learner's MLP weights.
"""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

pytestmark = pytest.mark.exercise("phase2_temporal_analysis.template_video_transformer")
torch.set_num_threads(1)


def oracle_attention(module):
    """``nn.MultiheadAttention`` (batch_first) holding ``module``'s qkv and proj weights."""
    dim = module.proj.in_features
    mha = nn.MultiheadAttention(dim, module.heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(module.qkv.weight)
        mha.in_proj_bias.copy_(module.qkv.bias)
        mha.out_proj.weight.copy_(module.proj.weight)
        mha.out_proj.bias.copy_(module.proj.bias)
    return mha.eval()


# ---------------------------------------------------------------- tall_thumbnail
@pytest.mark.points(2)
@pytest.mark.parametrize("frames, cols", [(4, 2), (6, 3), (6, 2)], ids=["2x2_grid", "2x3_grid", "3x2_grid"])
def test_tall_thumbnail_places_frame_t_at_row_t_div_cols_and_column_t_mod_cols(exercise, frames, cols,
                                                                                agrees_with_reference):
    clips = torch.randn(2, frames, 3, 5, 7)
    got = exercise.tall_thumbnail(clips, cols)
    rows = frames // cols
    assert got.shape == (2, 3, rows * 5, cols * 7), f"expected (B, C, rows H, cols W) = {(2, 3, rows * 5, cols * 7)}, got {tuple(got.shape)}"
    for t in range(frames):
        r, c = divmod(t, cols)
        tile = got[:, :, r * 5:(r + 1) * 5, c * 7:(c + 1) * 7]
        assert torch.equal(tile, clips[:, t]), f"frame {t} should be the tile at row {r}, column {c}"
    agrees_with_reference(got, lambda ref: ref.tall_thumbnail(clips, cols))


# ---------------------------------------------------------------- attention
@pytest.mark.points(1)
def test_attention_equals_torchs_scaled_dot_product_attention(exercise, agrees_with_reference):
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 5, 8), torch.randn(2, 3, 7, 8), torch.randn(2, 3, 7, 4)
    got = exercise.attention(q, k, v)
    expected = F.scaled_dot_product_attention(q, k, v)
    assert got.shape == (2, 3, 5, 4), f"expected (..., L, e) = (2, 3, 5, 4), got {tuple(got.shape)}"
    assert torch.allclose(got, expected, atol=1e-5), "expected softmax(q k^T / sqrt(d)) v, softmax over the keys"
    agrees_with_reference(got, lambda ref: ref.attention(q, k, v))


# ---------------------------------------------------------------- MultiHeadSelfAttention
@pytest.mark.points(2)
@pytest.mark.parametrize("heads", [1, 4], ids=["one_head", "four_heads"])
def test_multi_head_self_attention_equals_nn_multiheadattention(exercise, heads):
    torch.manual_seed(1)
    module = exercise.MultiHeadSelfAttention(16, heads).eval()
    x = torch.randn(3, 6, 16)
    with torch.no_grad():
        got = module(x)
        expected, _ = oracle_attention(module)(x, x, x, need_weights=False)
    assert torch.allclose(got, expected, atol=1e-5), (
        f"expected nn.MultiheadAttention with the same weights (qkv = in_proj: q, k, v stacked; head h uses features "
        f"h*dim/heads..; proj = out_proj); largest difference {float((got - expected).abs().max()):.3g}")


# ---------------------------------------------------------------- FactorisedBlock
@pytest.mark.points(3)
def test_factorised_block_attends_over_space_then_time(exercise):
    torch.manual_seed(2)
    block = exercise.FactorisedBlock(16, 2).eval()
    b, t, n, d = 2, 3, 4, 16
    x = torch.randn(b, t, n, d)
    with torch.no_grad():
        got = block(x)
        space, time = oracle_attention(block.attn_space), oracle_attention(block.attn_time)
        s = x.reshape(b * t, n, d)
        y = s + space(*(3 * [block.norm_space(s)]), need_weights=False)[0]
        y = y.view(b, t, n, d).transpose(1, 2).reshape(b * n, t, d)
        y = y + time(*(3 * [block.norm_time(y)]), need_weights=False)[0]
        y = y.view(b, n, t, d).transpose(1, 2)
        expected = y + block.mlp(block.norm_mlp(y))
    assert got.shape == (b, t, n, d), f"expected (B, T, N, D) = {(b, t, n, d)}, got {tuple(got.shape)}"
    assert torch.allclose(got, expected, atol=1e-5), (
        "expected x + attn_space over the N patches of each frame, then + attn_time over the T frames at each "
        f"patch, then + mlp (all pre-norm); largest difference {float((got - expected).abs().max()):.3g}")


# ---------------------------------------------------------------- VideoTransformer
@pytest.mark.points(2)
@pytest.mark.parametrize("batch, frames", [(1, 8), (3, 5)], ids=["batch_of_one", "shorter_clip"])
def test_video_transformer_gives_one_logit_per_clip_and_sees_frame_order(exercise, batch, frames):
    torch.manual_seed(3)
    model = exercise.VideoTransformer(image_size=32, patch=8, dim=16, depth=1, heads=2, frames=8).eval()
    clips = torch.randn(batch, frames, 3, 32, 32)
    with torch.no_grad():
        got = model(clips)
        reversed_order = model(clips.flip(1))
    assert got.shape == (batch,), f"expected ({batch},) logits, got {tuple(got.shape)}"
    assert not torch.allclose(got, reversed_order), (
        "reversing the frames changed nothing: add pos_time (the frames' positions) to the tokens")
