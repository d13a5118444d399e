# Learner template generated from solutions/phase1_cnn_detection/template_mesonet.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: 02b9dc70e47f731d
"""MesoNet: two deliberately tiny detectors, Meso4 and MesoInception4.

Afchar et al. ("MesoNet: a Compact Facial Video Forgery Detection Network", WIFS 2018) argued that
deepfakes are best seen at the *mesoscopic* level: microscopic noise is destroyed by video
compression, and the semantic level (is this a face?) is what the forgery gets right. Between the
two sit textures a few pixels wide (blurry skin, smooth eyes, blending seams), which a short stack
of convolutions can pick up. Both networks have under 30,000 trainable parameters, about 700 times
fewer than Xception, train in minutes on a CPU, and reached 89-92% frame accuracy on their
Deepfake and Face2Face data. They are the quickest way to see a whole detection pipeline work.

Both share one layout: four (convolution, BatchNorm, max-pool) stages, then a small dense head::

    256x256x3 -> stage1 -> 128 -> stage2 -> 64 -> stage3 -> 32 -> stage4 (pool 4) -> 8x8x16
    -> flatten (1024) -> dropout 0.5 -> dense 16 -> LeakyReLU(0.1) -> dropout 0.5 -> dense 1

Meso4's first two stages are plain convolutions; MesoInception4's are Inception modules whose
dilated 3x3 branches see several scales at once.

Differences from the Keras originals, kept small on purpose:

* ``forward`` returns the logit; the Keras model ended in a sigmoid. Train with
  ``BCEWithLogitsLoss`` (numerically safer) and apply ``torch.sigmoid`` for probabilities.
* BatchNorm uses the Keras epsilon (1e-3) so converted weights would give the same outputs;
  PyTorch BatchNorm also keeps running mean/variance as *buffers*, which Keras counts as
  "non-trainable params": trainable counts are equal (Meso4 27,977, MesoInception4 28,615).
* Keras flattens channels-last (H, W, C), PyTorch channels-first (C, H, W): a weight converter
  would have to permute the rows of ``fc1``.

Input convention (the original used ``ImageDataGenerator(rescale=1/255)``): RGB face crops of
exactly ``INPUT_SIZE`` = 256 px (``fc1`` expects 8 * 8 * 16 = 1024 features) scaled to [0, 1], i.e.
``MEAN`` = 0 and ``STD`` = 1.

Interface shared by every detector in this phase:

* ``forward(x)``:          (B, 3, 256, 256) -> (B,) raw logits.
* ``forward_features(x)``: (B, 3, 256, 256) -> (B, 16, 8, 8) last feature map.
* ``embed(x)``:            (B, 3, 256, 256) -> (B, 16) the dense layer's activations (penultimate).
"""
import torch
from torch import nn

INPUT_SIZE = 256
MEAN = (0.0, 0.0, 0.0)
STD = (1.0, 1.0, 1.0)
EMBED_DIM = 16
BN_EPS = 1e-3  # Keras' BatchNormalization default


def conv_stage(in_channels, out_channels, kernel_size, pool):
    """One Meso stage: (B, in, H, W) -> (B, out, ceil(H / pool), ceil(W / pool)).

    Returns ``nn.Sequential(Conv2d, ReLU, BatchNorm2d, MaxPool2d)`` in that order (the Keras
    model put the ReLU inside the convolution, before the BatchNorm). The convolution has a bias
    and 'same' padding (output size = input size); the BatchNorm uses ``eps=BN_EPS``; the
    pooling has ``kernel_size=stride=pool`` and ``ceil_mode=True`` (Keras 'same' pooling).

    Example::

        >>> conv_stage(3, 8, 3, pool=2)(torch.zeros(1, 3, 256, 256)).shape
        torch.Size([1, 8, 128, 128])
    """
    # HINT: for an odd kernel k, padding=k // 2 keeps the size (or use padding="same").
    raise NotImplementedError("phase1_cnn_detection: implement conv_stage")


class InceptionLayer(nn.Module):
    """MesoInception module: four parallel branches concatenated, (B, in, H, W) -> (B, a + b + c + d, H, W).

    Branches (every convolution has a bias, 'same' padding and is followed by a ReLU):

    * ``branch1``: 1x1 conv in -> a;
    * ``branch2``: 1x1 conv in -> b, then 3x3 conv b -> b;
    * ``branch3``: 1x1 conv in -> c, then 3x3 conv c -> c with dilation 2 (sees 5x5);
    * ``branch4``: 1x1 conv in -> d, then 3x3 conv d -> d with dilation 3 (sees 7x7).

    Each branch is an ``nn.Sequential`` (conv, ReLU[, conv, ReLU]); outputs are concatenated
    along channels in the order 1, 2, 3, 4.

    Example::

        >>> InceptionLayer(3, 1, 4, 4, 2)(torch.zeros(1, 3, 256, 256)).shape
        torch.Size([1, 11, 256, 256])
    """

    def __init__(self, in_channels, a, b, c, d):
        super().__init__()
        # HINT: a 3x3 kernel with dilation r keeps the size with padding=r.
        raise NotImplementedError("phase1_cnn_detection: implement InceptionLayer branches (branch1..branch4)")

    def forward(self, x):
        """(B, in, H, W) -> (B, a + b + c + d, H, W)."""
        raise NotImplementedError("phase1_cnn_detection: implement InceptionLayer.forward")


class MesoNet(nn.Module):
    """The part Meso4 and MesoInception4 share: the dense head and the forward pass.

    A subclass builds ``stage1`` ... ``stage4`` (each (B, C, H, W) -> (B, C', H / pool, W / pool),
    ending at (B, 16, 8, 8) for a 256 px input). This class builds the head:
    ``dropout`` (p=0.5, used twice), ``fc1`` = Linear(1024, 16), ``act`` = LeakyReLU(0.1),
    ``fc2`` = Linear(16, 1).

    ``leaky_relu=False`` (given code, not part of the exercise) makes ``act`` the identity: the published
    Meso4 weights were trained without that activation (``python -m dfkit.pretrained mesonet``).
    """

    def __init__(self, leaky_relu=True):
        super().__init__()
        raise NotImplementedError("phase1_cnn_detection: implement MesoNet head (dropout, fc1, act, fc2)")
        if not leaky_relu:
            self.act = nn.Identity()

    def forward_features(self, x):
        """(B, 3, 256, 256) images in [0, 1] -> (B, 16, 8, 8): the four stages."""
        raise NotImplementedError("phase1_cnn_detection: implement MesoNet.forward_features")

    def embed(self, x):
        """(B, 3, 256, 256) -> (B, 16): flatten, dropout, fc1, LeakyReLU."""
        raise NotImplementedError("phase1_cnn_detection: implement MesoNet.embed")

    def forward(self, x):
        """(B, 3, 256, 256) -> (B,) raw logits: dropout, then fc2 on the embedding (no sigmoid)."""
        # HINT: fc2 returns (B, 1); drop the last dimension so a batch of one still gives shape (1,).
        raise NotImplementedError("phase1_cnn_detection: implement MesoNet.forward")


class Meso4(MesoNet):
    """Meso4: four convolutional stages, 27,977 trainable parameters.

    ``stage1`` = conv_stage(3, 8, 3x3, pool 2); ``stage2`` = conv_stage(8, 8, 5x5, pool 2);
    ``stage3`` = conv_stage(8, 16, 5x5, pool 2); ``stage4`` = conv_stage(16, 16, 5x5, pool 4).
    ``leaky_relu``: see :class:`MesoNet`.
    """

    def __init__(self, leaky_relu=True):
        super().__init__(leaky_relu)
        raise NotImplementedError("phase1_cnn_detection: implement Meso4 stages (stage1..stage4)")


class MesoInception4(MesoNet):
    """MesoInception4: two Inception stages then two convolutional stages, 28,615 trainable parameters.

    ``stage1`` = Sequential(InceptionLayer(3, 1, 4, 4, 2), BatchNorm2d(11), MaxPool2d(2));
    ``stage2`` = Sequential(InceptionLayer(11, 2, 4, 4, 2), BatchNorm2d(12), MaxPool2d(2));
    ``stage3`` = conv_stage(12, 16, 5x5, pool 2); ``stage4`` = conv_stage(16, 16, 5x5, pool 4).
    BatchNorms use ``eps=BN_EPS``, poolings ``ceil_mode=True``, as in :func:`conv_stage`.
    """

    def __init__(self):
        super().__init__()
        raise NotImplementedError("phase1_cnn_detection: implement MesoInception4 stages (stage1..stage4)")
