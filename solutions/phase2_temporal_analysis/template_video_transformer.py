"""Video transformers: TALL thumbnails and factorised space-time attention (ViViT-style).

Two ways to let a model look at space and time together without 3D convolutions:

1. **TALL** (Xu et al., "Thumbnail Layout for Deepfake Video Detection", 2023): tile T frames into
   one grid image (:func:`tall_thumbnail`) and give it to an ordinary 2D network, whose receptive
   field then spans neighbouring frames. :class:`TallDetector` does this with a small CNN.
2. **Factorised space-time attention** (ViViT, Arnab et al. 2021, model 3): split every frame into
   patches; each block first attends among the patches of one frame (space), then among the frames
   at one patch position (time). Cost O(T N^2 + N T^2) instead of O((T N)^2) for T frames of N patches.
   You write the attention (:func:`attention`, :class:`MultiHeadSelfAttention`), the block
   (:class:`FactorisedBlock`) and the model's forward (:class:`VideoTransformer`).

Conventions: clips (B, T, 3, H, W) -> (B,) logits; tokens (B, T, N, D).
"""
import math

import torch
from torch import nn

INPUT_SIZE = 64
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)


def tall_thumbnail(clips, cols):
    """Tile each clip's frames into one image, row by row.

    Args:
        clips: (B, T, C, H, W) tensor with T a multiple of ``cols``. cols: frames per grid row.

    Returns:
        (B, C, (T // cols) H, cols W): frame t at grid row ``t // cols``, column ``t % cols``.

    Example: T = 4, cols = 2: [[frame 0, frame 1], [frame 2, frame 3]].
    """
    # BEGIN SOLUTION
    # HINT: view as (B, rows, cols, C, H, W), permute to (B, C, rows, H, cols, W), then reshape.
    b, t, c, h, w = clips.shape
    if t % cols:
        raise ValueError(f"{t} frames do not fill rows of {cols}")
    rows = t // cols
    return clips.view(b, rows, cols, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, rows * h, cols * w)
    # END SOLUTION


def attention(q, k, v):
    """Scaled dot-product attention: ``softmax(q k^T / sqrt(d)) v``.

    Args:
        q: (..., L, d), k: (..., S, d), v: (..., S, e) tensors with the same leading dimensions.

    Returns:
        (..., L, e). Equal to ``torch.nn.functional.scaled_dot_product_attention(q, k, v)``.
    """
    # BEGIN SOLUTION
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return weights @ v
    # END SOLUTION


class MultiHeadSelfAttention(nn.Module):
    """Self-attention with ``heads`` heads over (N, L, dim) sequences.

    Attributes: ``qkv`` = Linear(dim, 3 dim) (queries, keys, values stacked in that order, like
    ``nn.MultiheadAttention``'s ``in_proj_weight``), ``proj`` = Linear(dim, dim) (its ``out_proj``).
    Head h uses features ``h * dim / heads`` to ``(h + 1) * dim / heads`` of q, k and v.
    """

    def __init__(self, dim, heads):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not a multiple of heads {heads}")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        """(N, L, dim) -> (N, L, dim): split q, k, v into heads, :func:`attention`, merge heads, ``proj``."""
        # BEGIN SOLUTION
        n, length, dim = x.shape
        q, k, v = self.qkv(x).view(n, length, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        out = attention(q, k, v)  # (N, heads, L, dim / heads)
        return self.proj(out.transpose(1, 2).reshape(n, length, dim))
        # END SOLUTION


class FactorisedBlock(nn.Module):
    """One factorised space-time transformer block over tokens (B, T, N, D), pre-norm residuals:

        x = x + attn_space(norm_space(x))   attention among the N patches of each frame
        x = x + attn_time(norm_time(x))     attention among the T frames at each patch position
        x = x + mlp(norm_mlp(x))            mlp = Linear(D, 4D) -> GELU -> Linear(4D, D)

    Attributes: ``norm_space``, ``attn_space``, ``norm_time``, ``attn_time``, ``norm_mlp`` (LayerNorms
    and :class:`MultiHeadSelfAttention`), ``mlp`` (Sequential, indices 0 and 2 the Linears).
    """

    def __init__(self, dim, heads):
        super().__init__()
        self.norm_space, self.attn_space = nn.LayerNorm(dim), MultiHeadSelfAttention(dim, heads)
        self.norm_time, self.attn_time = nn.LayerNorm(dim), MultiHeadSelfAttention(dim, heads)
        self.norm_mlp = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        """(B, T, N, D) -> (B, T, N, D)."""
        # BEGIN SOLUTION
        # HINT: space: fold frames into the batch, (B T, N, D); time: fold patches, (B N, T, D).
        b, t, n, d = x.shape
        space = x.reshape(b * t, n, d)
        x = (space + self.attn_space(self.norm_space(space))).view(b, t, n, d)
        time = x.transpose(1, 2).reshape(b * n, t, d)
        x = (time + self.attn_time(self.norm_time(time))).view(b, n, t, d).transpose(1, 2)
        return x + self.mlp(self.norm_mlp(x))
        # END SOLUTION


class VideoTransformer(nn.Module):
    """A small ViViT-style detector with factorised space-time attention.

    ``patch_embed`` = Conv2d(3, dim, patch, stride=patch) per frame -> N = (image_size / patch)^2
    tokens; learned ``pos_space`` (1, 1, N, dim) and ``pos_time`` (1, frames, 1, dim) embeddings
    (both N(0, 0.02)) added to every token; ``blocks`` (``depth`` :class:`FactorisedBlock`); ``norm``;
    the mean of all tokens -> ``head`` = Linear(dim, 1). Clips shorter than ``frames`` use the first
    ``pos_time`` entries.
    """

    def __init__(self, image_size=64, patch=16, dim=64, depth=2, heads=4, frames=8):
        super().__init__()
        tokens = (image_size // patch) ** 2
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.pos_space = nn.Parameter(torch.randn(1, 1, tokens, dim) * 0.02)
        self.pos_time = nn.Parameter(torch.randn(1, frames, 1, dim) * 0.02)
        self.blocks = nn.Sequential(*(FactorisedBlock(dim, heads) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 1)

    def forward(self, clips):
        """(B, T, 3, H, W) clips -> (B,) logits."""
        # BEGIN SOLUTION
        b, t = clips.shape[:2]
        patches = self.patch_embed(clips.flatten(0, 1)).flatten(2).transpose(1, 2)  # (B T, N, dim)
        x = patches.view(b, t, *patches.shape[1:]) + self.pos_space + self.pos_time[:, :t]
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=(1, 2))).squeeze(-1)
        # END SOLUTION


class TallDetector(nn.Module):
    """TALL: a clip's ``cols`` x ``cols`` frames as one thumbnail grid -> a small 2D CNN -> (B,) logits.

    Given code over your :func:`tall_thumbnail`; ``cnn`` is phase 2's small encoder (the LSTM
    detector's) with a Linear(64, 1) head. Reads clips of ``cols ** 2`` frames.
    """

    def __init__(self, cols=2, width=16):
        super().__init__()
        from dfkit.curriculum import load

        encoder = load("phase2_temporal_analysis.template_lstm_detector").small_encoder
        self.cols = cols
        self.cnn = nn.Sequential(encoder(64, width), nn.Linear(64, 1))

    def forward(self, clips):
        return self.cnn(tall_thumbnail(clips, self.cols)).squeeze(-1)


def vivit_small(**kwargs):
    """Given code: the registry's ``vivit_small``, a :class:`VideoTransformer` (``image_size`` must be
    the input side: with ``--image-size 96`` pass ``--model-arg image_size=96`` too)."""
    return VideoTransformer(**kwargs)

