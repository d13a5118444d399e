# Learner template generated from solutions/phase3_frequency_analysis/template_dct_analysis.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: 8b9ae6933230518f
"""The 8x8 block DCT: the frequency grid of JPEG and H.264, and of Frank et al.'s detector.

JPEG (and, with 4x4 / 8x8 integer transforms, H.264) cuts an image into 8x8 blocks, takes each
block's 2-D DCT-II and divides coefficient (u, v) by a quantisation step q(u, v) before rounding:
the decoded image's coefficients sit on multiples of q, so their histogram is a comb whose
spacing *is* the step (how forensic tools estimate a file's JPEG quality). Frank et al.
("Leveraging Frequency Analysis for Deep Fake Image Recognition", ICML 2020) showed that the
log-scaled DCT coefficients, standardised per coefficient, make GAN images linearly separable:
up-sampling leaves a grid of excess energy in the high (u, v) coefficients.

Conventions: grey images (..., H, W) float (pixel units; use :func:`rgb_to_grey` of
``template_fft_analysis`` for colour); coefficient (u, v) = vertical frequency u, horizontal
frequency v; an image whose sides are not multiples of 8 loses its last rows / columns. Everything
is one matrix product per batch (``D @ X @ D.T``), never a loop over blocks.
"""
import math

import torch
from torch import nn

from dfkit.curriculum import load

INPUT_SIZE = 256
MEAN = (0.0, 0.0, 0.0)
STD = (1.0, 1.0, 1.0)
BLOCK = 8       # JPEG's block side (px)
EPS = 1e-4      # added to |coefficient| before the log (a quantised coefficient is often exactly 0)
FFT_MODULE = "phase3_frequency_analysis.template_fft_analysis"


def dct_matrix(n=BLOCK):
    """The orthonormal DCT-II matrix D (n, n) float64: ``D @ x`` is the DCT of a column ``x``.

    ``D[k, i] = a_k * cos(pi * (2 i + 1) * k / (2 n))`` with ``a_0 = sqrt(1 / n)`` and
    ``a_k = sqrt(2 / n)`` otherwise, so ``D @ D.T`` is the identity (scipy's ``norm="ortho"``).
    """
    raise NotImplementedError("phase3_frequency_analysis: implement dct_matrix")


def block_dct(grey, block=BLOCK):
    """2-D DCT-II of each ``block`` x ``block`` tile: (..., H, W) -> (..., H // block, W // block, block, block).

    Entry ``[..., i, j, u, v]`` is coefficient (u, v) of the tile in block-row i, block-column j
    (scipy's ``dctn(tile, norm="ortho")``). Crop to whole blocks, reshape into tiles (a view:
    ``reshape`` then ``transpose``), then ``D @ tile @ D.T`` for every tile at once.
    """
    # HINT: (..., H, W) -> (..., H/b, b, W/b, b) with reshape, then swap the two middle axes: (..., H/b, W/b, b, b).
    raise NotImplementedError("phase3_frequency_analysis: implement block_dct")


def log_dct_features(grey, eps=EPS):
    """Frank et al.'s input: (..., H, W) -> (..., 64, H // 8, W // 8), ``log(|block DCT| + eps)``.

    Channel ``8 u + v`` holds coefficient (u, v) of every block: the coefficient maps a CNN reads
    like the colour channels of an image.
    """
    raise NotImplementedError("phase3_frequency_analysis: implement log_dct_features")


def fit_standardiser(features):
    """Per-feature mean and standard deviation over the first (sample) axis: (N, ...) -> (mean, std), each (...).

    The population standard deviation (divide by N, like scikit-learn's ``StandardScaler``).
    Standardise new features with ``(features - mean) / std``, using the training set's statistics.
    """
    raise NotImplementedError("phase3_frequency_analysis: implement fit_standardiser")


def coefficient_histogram(coefficients, u, v, limit):
    """Counts of coefficient (u, v) over all blocks: ``coefficients`` (..., 8, 8) -> (2 * limit + 1,) int64.

    Entry ``k + limit`` counts the blocks whose (u, v) coefficient rounds to the integer k, for
    k = -limit ... limit (values rounding outside are not counted): bins of width 1 centred on the
    integers, like ``np.histogram(values, bins=np.arange(-limit - 0.5, limit + 1.5))``.
    """
    raise NotImplementedError("phase3_frequency_analysis: implement coefficient_histogram")


def estimate_quantisation_step(histogram):
    """The JPEG step of a coefficient from its :func:`coefficient_histogram` (2 L + 1,) -> int in 1..L.

    A coefficient quantised with step q decodes near 0, +-q, +-2q, ...; coefficients are mostly
    small (a Laplacian-like distribution), so the most common non-zero magnitude is q itself. Fold
    the histogram (count of +k plus count of -k, k = 1..L) and return the k with the largest count
    (the smallest such k on ties). Reliable where enough blocks have a non-zero value: low and
    middle frequencies, or high ones at high quality.
    """
    # HINT: bin limit is the value 0; bins limit + k and limit - k hold +k and -k. torch.argmax returns the first maximum.
    raise NotImplementedError("phase3_frequency_analysis: implement estimate_quantisation_step")


class DCTNet(nn.Module):
    """A small CNN on Frank et al.'s log-DCT maps: face crops (B, 3, S, S) in [0, 1] -> (B,) logits.

    ``forward``: grey (``template_fft_analysis.rgb_to_grey``, times 255: pixel units) ->
    :func:`log_dct_features` (B, 64, S / 8, S / 8) -> ``norm`` = ``BatchNorm2d(64)`` (standardises
    each coefficient, as Frank et al. do, with statistics learned in training) -> ``features`` =
    ``Sequential(Conv2d(64, width, 3, padding=1), ReLU, Conv2d(width, width, 3, padding=1), ReLU,
    AdaptiveAvgPool2d(1))`` -> flatten -> ``fc`` = ``Linear(width, 1)`` -> squeeze the last dimension.
    """

    def __init__(self, width=32):
        super().__init__()
        raise NotImplementedError("phase3_frequency_analysis: implement DCTNet layers (norm, features, fc)")

    def forward(self, x):
        """(B, 3, S, S) -> (B,) raw logits."""
        raise NotImplementedError("phase3_frequency_analysis: implement DCTNet.forward")
