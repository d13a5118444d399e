# Learner template generated from solutions/phase5_advanced_methods/template_attention_mechanism.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: e1e863d46439004f
"""Attention: scaled dot-product and multi-head self-attention, and a detector that shows where it looks.

Scaled dot-product attention (Vaswani et al. 2017) mixes values by how well each query matches
each key::

    weights = softmax(Q K^T / sqrt(d))      (..., N_q, N_k), rows sum to 1
    output  = weights V                     (..., N_q, d_v)

Multi-head self-attention projects the same tokens to queries, keys and values, splits the
embedding into ``num_heads`` heads of ``E / num_heads`` dimensions, attends in each head
independently and projects the concatenated heads back. The layout below is PyTorch's
``nn.MultiheadAttention``'s (one ``in_proj`` for Q, K and V, one ``out_proj``), so weights copy
across.

Detectors use attention to *focus on discriminative regions* (the blueprint's words; e.g. Zhao et
al., "Multi-attentional Deepfake Detection", CVPR 2021). :class:`SpatialAttentionDetector` computes
one attention value in [0, 1] per feature-map position and pools the features it lets through;
the map can be read as "where is the manipulation", and, since the synthetic clips come with the
true manipulation mask, it can be *supervised* (:func:`attention_supervised_loss`) and scored
(:func:`attention_iou`).

Input convention of the detector: RGB face crops scaled to [0, 1] (``MEAN`` = 0, ``STD`` = 1), any
size divisible by 8 (``INPUT_SIZE`` = 64 by default).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

INPUT_SIZE = 64
MEAN = (0.0, 0.0, 0.0)
STD = (1.0, 1.0, 1.0)


def scaled_dot_product_attention(q, k, v, mask=None):
    """``softmax(q k^T / sqrt(d)) v`` over the last two dimensions.

    q (..., N_q, d), k (..., N_k, d), v (..., N_k, d_v); mask: optional bool (..., N_q, N_k),
    True = may attend (False positions get weight 0). Returns ``(output (..., N_q, d_v),
    weights (..., N_q, N_k))``.

    Example::

        >>> out, w = scaled_dot_product_attention(torch.eye(2)[None], torch.eye(2)[None], torch.eye(2)[None])
    """
    raise NotImplementedError("phase5_advanced_methods: implement scaled_dot_product_attention")


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention on tokens (B, N, E) -> (B, N, E), with ``nn.MultiheadAttention``'s layout.

    Attributes (checkpoint keys): ``in_proj`` ``nn.Linear(E, 3 E)`` (rows: queries, then keys, then
    values), ``out_proj`` ``nn.Linear(E, E)``. ``E`` must be divisible by ``num_heads``.
    ``forward(x)`` returns ``(output (B, N, E), weights (B, num_heads, N, N))``.
    """

    def __init__(self, embed_dim, num_heads):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        raise NotImplementedError("phase5_advanced_methods: implement MultiHeadSelfAttention.__init__")

    def forward(self, x):
        # HINT: (B, N, E) -> (B, heads, N, E / heads) for each of q, k, v.
        raise NotImplementedError("phase5_advanced_methods: implement MultiHeadSelfAttention.forward")


class SpatialAttentionDetector(nn.Module):
    """A small CNN whose pooled features are gated by a learned spatial attention map.

    Layers (attributes are checkpoint keys):

    * ``features``: three stages ``Conv2d(3x3, padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2)``,
      3 -> width -> 2 width -> 2 width channels: (B, 3, S, S) -> (B, 2 width, S / 8, S / 8);
    * ``attention``: ``Conv2d(2 width, 1, 1)`` then a sigmoid: the map (B, 1, S / 8, S / 8) in [0, 1];
    * ``classifier``: ``Linear(2 width, 1)`` on the attention-weighted mean of the features,
      ``mean_{i,j}(a * f)`` (B, 2 width).

    ``forward(x)`` -> logits (B,); ``forward_with_attention(x)`` -> ``(logits (B,), map (B, S/8, S/8))``.
    """

    def __init__(self, width=16):
        super().__init__()
        raise NotImplementedError("phase5_advanced_methods: implement SpatialAttentionDetector.__init__")

    def forward_with_attention(self, x):
        raise NotImplementedError("phase5_advanced_methods: implement SpatialAttentionDetector.forward_with_attention")

    def forward(self, x):
        return self.forward_with_attention(x)[0]


def attention_supervised_loss(logits, attention, labels, masks, weight=1.0):
    """BCE-with-logits on the labels plus ``weight`` times the BCE between the attention map and the
    manipulation mask at the map's resolution.

    logits (B,), attention (B, h, w) in [0, 1], labels (B,) 0/1, masks (B, H, W) in [0, 1] (zeros for
    real faces). The mask is shrunk to (h, w) by area averaging (``F.adaptive_avg_pool2d``).
    Returns a scalar (both terms are means over their elements).
    """
    raise NotImplementedError("phase5_advanced_methods: implement attention_supervised_loss")


def attention_iou(attention, mask, threshold=0.5):
    """Intersection over union of an attention map and the true manipulated region.

    attention (h, w) in [0, 1] (numpy or tensor), mask (H, W) in [0, 1]. The map is resized to
    (H, W) bilinearly (``F.interpolate``, ``align_corners=False``); both are binarised with
    ``>= threshold``. Returns |A and M| / |A or M| as a float (1.0 when both are empty).
    """
    attention = torch.as_tensor(np.asarray(attention) if not torch.is_tensor(attention) else attention).float()
    mask = torch.as_tensor(np.asarray(mask) if not torch.is_tensor(mask) else mask).float()
    raise NotImplementedError("phase5_advanced_methods: implement attention_iou")
