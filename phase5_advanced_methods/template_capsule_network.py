# Learner template generated from solutions/phase5_advanced_methods/template_capsule_network.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: 402504090255d08d
"""Capsule-Forensics: a VGG19 stem, primary capsules with statistics pooling, routing by agreement.

Nguyen, Yamagishi and Echizen ("Capsule-Forensics: Using Capsule Networks to Detect Forged Images
and Videos", ICASSP 2019; "Use of a Capsule Network to Detect Fake Images and Videos", v2, 2019)
put a capsule network on top of the first layers of an ImageNet VGG19. A *capsule* outputs a vector
instead of a number: its direction describes what was seen, its length (kept below 1 by the
``squash`` non-linearity) how sure the capsule is. Each primary capsule predicts every output
capsule through its own matrix, and *dynamic routing* (Sabour et al. 2017) sends each primary
capsule's vote mostly to the output capsules it agrees with.

Layout (v2, the official model's sizes; ``S`` = input side)::

    (B, 3, S, S) -> stem: VGG19 features[:18] (conv1_1 ... conv3_4 + ReLU) -> (B, 256, S/4, S/4)
      -> 10 primary capsules, each:
           Conv2d(256, 64, 3, pad 1) -> BatchNorm2d -> ReLU -> Conv2d(64, 16, 3, pad 1) -> BatchNorm2d -> ReLU
           -> statistics pooling: per channel mean and std over positions -> (B, 2, 16)
           -> Conv1d(2, 8, 5, stride 2, pad 2) -> BatchNorm1d -> Conv1d(8, 1, 3, pad 1) -> BatchNorm1d
           -> (B, 8): one 8-D vector
      -> stack (B, 10, 8), squash each vector
      -> votes u_hat[o, i] = W[o, i] @ u[i], W (2, 10, 4, 8) -> (B, 2, 10, 4)
      -> dynamic routing, 2 iterations -> 2 output capsules (B, 2, 4): "real" (0) and "fake" (1)

Parameters: the stem has 2,325,568 (VGG19's first eight convolutions), the capsule part 1,571,070
(ten primary capsules of 157,043 plus 640 routing weights): 3,896,638 in all.

Output. In v2 each of the 4 output dimensions d gives a 2-class score pair (v_real[d], v_fake[d])
and the loss is the cross-entropy of each pair, summed; the probability of fake is the mean softmax.
Our detectors return one logit, so ``forward`` returns the mean over d of ``v_fake[d] - v_real[d]``
(a 2-class cross-entropy on (a, b) is BCE with logits on b - a). Differences from v2, kept small:
no random noise on the routing weights and no dropout during training.

Weights: the stem is built from plain layers (not downloaded); ``weights=path`` loads a local
torchvision VGG19 state dict (``features.N.*`` keys) into it. Input: ImageNet-normalised RGB crops,
``INPUT_SIZE`` = 128 (the paper used 128 and 256; any multiple of 4 works).
"""
import torch
from torch import nn

INPUT_SIZE = 128
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
VGG19_STEM = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256)  # torchvision's cfg "E" up to conv3_4
NUM_CLASSES = 2


def vgg19_stem(weights=None):
    """VGG19's ``features[:18]`` as ``nn.Sequential`` with torchvision's indices (so a torchvision
    ``vgg19`` state dict's ``features.0.weight`` ... ``features.16.bias`` load by index): for each
    number c in :data:`VGG19_STEM` a ``Conv2d(prev, c, 3, padding=1)`` then ``ReLU(inplace=True)``;
    for "M" a ``MaxPool2d(2, 2)``. (B, 3, S, S) -> (B, 256, S/4, S/4).

    weights: None (random init) or a local path of a torchvision VGG19 state dict (only the
    ``features.0`` ... ``features.16`` entries are read). Nothing is downloaded.
    """
    layers, channels = [], 3
    raise NotImplementedError("phase5_advanced_methods: implement vgg19_stem")
    stem = nn.Sequential(*layers)
    if weights == "imagenet":
        raise ValueError("capsule_forensics downloads nothing: pass the path of a local torchvision VGG19 state dict")
    if weights is not None:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        stem.load_state_dict({k[len("features."):]: v for k, v in state.items()
                              if k.startswith("features.") and int(k.split(".")[1]) < len(stem)})
    return stem


def squash(s, dim=-1, eps=1e-8):
    """Capsule non-linearity: ``|s|^2 / (1 + |s|^2) * s / |s|`` along ``dim``.

    Keeps the direction, maps the length n to n^2 / (1 + n^2) in [0, 1). ``eps`` guards |s| = 0
    (the zero vector stays zero). Example: [3, 4] -> 25/26 * [0.6, 0.8].
    """
    raise NotImplementedError("phase5_advanced_methods: implement squash")


def stats_pooling(x):
    """Statistics pooling: (B, C, H, W) -> (B, 2, C), row 0 the per-channel mean over the H * W
    positions, row 1 the standard deviation (unbiased, ``torch.std``'s default)."""
    raise NotImplementedError("phase5_advanced_methods: implement stats_pooling")


class PrimaryCapsule(nn.Module):
    """One primary capsule: (B, 256, h, w) -> (B, 8).

    Attributes: ``conv`` = ``nn.Sequential(Conv2d(256, 64, 3, padding=1), BatchNorm2d(64), ReLU,
    Conv2d(64, 16, 3, padding=1), BatchNorm2d(16), ReLU)``; :func:`stats_pooling` (B, 2, 16);
    ``head`` = ``nn.Sequential(Conv1d(2, 8, 5, stride=2, padding=2), BatchNorm1d(8),
    Conv1d(8, 1, 3, padding=1), BatchNorm1d(1))`` -> (B, 1, 8), returned as (B, 8).
    """

    def __init__(self, in_channels=256):
        super().__init__()
        raise NotImplementedError("phase5_advanced_methods: implement PrimaryCapsule.__init__")

    def forward(self, x):
        raise NotImplementedError("phase5_advanced_methods: implement PrimaryCapsule.forward")


def dynamic_routing(u_hat, iterations=2):
    """Routing by agreement (Sabour et al. 2017): votes (B, n_out, n_in, d) -> output capsules (B, n_out, d).

    Start with logits b = 0 (B, n_out, n_in). Each iteration: coupling c = softmax of b over the
    OUTPUT capsules (dim 1: each input capsule splits its vote); s_o = sum_i c[o, i] u_hat[o, i];
    v = :func:`squash` (s) along the last dimension; then, except after the last iteration,
    b[o, i] += <u_hat[o, i], v_o>. Returns ``(v, c)`` with c the last coupling (B, n_out, n_in).

    With one iteration every coupling is 1 / n_out: v_o = squash(sum_i u_hat[o, i] / n_out).
    """
    raise NotImplementedError("phase5_advanced_methods: implement dynamic_routing")


class CapsuleForensics(nn.Module):
    """Capsule-Forensics (v2 sizes): (B, 3, S, S) -> logits (B,).

    Attributes (checkpoint keys): ``stem`` (:func:`vgg19_stem`), ``primary`` (``nn.ModuleList`` of
    ``num_primary`` :class:`PrimaryCapsule`), ``route_weights`` (``nn.Parameter`` (2, num_primary,
    out_dim, 8), initialised with ``torch.randn``), ``iterations``.

    ``forward_capsules(x)`` -> ``(v (B, 2, out_dim), coupling (B, 2, num_primary))``: stem, primary
    capsules stacked (B, num_primary, 8) and squashed, votes ``u_hat[b, o, i] = W[o, i] @ u[b, i]``,
    :func:`dynamic_routing`. ``forward(x)`` -> ``(v[:, 1] - v[:, 0]).mean(-1)``.
    """

    def __init__(self, num_primary=10, out_dim=4, iterations=2, weights=None):
        super().__init__()
        self.iterations = iterations
        self.stem = vgg19_stem(weights)
        raise NotImplementedError("phase5_advanced_methods: implement CapsuleForensics.__init__")

    def forward_capsules(self, x):
        # HINT: torch.einsum("oidk,bik->boid", W, u) computes every vote at once.
        raise NotImplementedError("phase5_advanced_methods: implement CapsuleForensics.forward_capsules")

    def forward(self, x):
        v, _ = self.forward_capsules(x)
        return (v[:, 1] - v[:, 0]).mean(dim=-1)


def capsule_forensics(num_primary=10, out_dim=4, iterations=2, weights=None):
    """Registry builder: :class:`CapsuleForensics` (weights: a local torchvision VGG19 state dict)."""
    return CapsuleForensics(num_primary, out_dim, iterations, weights)
