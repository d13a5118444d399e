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
    # BEGIN SOLUTION
    k = torch.arange(n, dtype=torch.float64)[:, None]
    i = torch.arange(n, dtype=torch.float64)[None, :]
    matrix = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
    matrix[0] /= math.sqrt(2)
    return matrix
    # END SOLUTION


def block_dct(grey, block=BLOCK):
    """2-D DCT-II of each ``block`` x ``block`` tile: (..., H, W) -> (..., H // block, W // block, block, block).

    Entry ``[..., i, j, u, v]`` is coefficient (u, v) of the tile in block-row i, block-column j
    (scipy's ``dctn(tile, norm="ortho")``). Crop to whole blocks, reshape into tiles (a view:
    ``reshape`` then ``transpose``), then ``D @ tile @ D.T`` for every tile at once.
    """
    # BEGIN SOLUTION
    # HINT: (..., H, W) -> (..., H/b, b, W/b, b) with reshape, then swap the two middle axes: (..., H/b, W/b, b, b).
    height, width = grey.shape[-2] // block * block, grey.shape[-1] // block * block
    tiles = grey[..., :height, :width].reshape(*grey.shape[:-2], height // block, block, width // block, block)
    tiles = tiles.transpose(-3, -2)
    matrix = dct_matrix(block).to(grey.dtype).to(grey.device)
    return matrix @ tiles @ matrix.T
    # END SOLUTION


def log_dct_features(grey, eps=EPS):
    """Frank et al.'s input: (..., H, W) -> (..., 64, H // 8, W // 8), ``log(|block DCT| + eps)``.

    Channel ``8 u + v`` holds coefficient (u, v) of every block: the coefficient maps a CNN reads
    like the colour channels of an image.
    """
    # BEGIN SOLUTION
    coefficients = block_dct(grey)
    channels = coefficients.flatten(-2).movedim(-1, -3)
    return torch.log(channels.abs() + eps)
    # END SOLUTION


def fit_standardiser(features):
    """Per-feature mean and standard deviation over the first (sample) axis: (N, ...) -> (mean, std), each (...).

    The population standard deviation (divide by N, like scikit-learn's ``StandardScaler``).
    Standardise new features with ``(features - mean) / std``, using the training set's statistics.
    """
    # BEGIN SOLUTION
    return features.mean(dim=0), features.std(dim=0, correction=0)
    # END SOLUTION


def coefficient_histogram(coefficients, u, v, limit):
    """Counts of coefficient (u, v) over all blocks: ``coefficients`` (..., 8, 8) -> (2 * limit + 1,) int64.

    Entry ``k + limit`` counts the blocks whose (u, v) coefficient rounds to the integer k, for
    k = -limit ... limit (values rounding outside are not counted): bins of width 1 centred on the
    integers, like ``np.histogram(values, bins=np.arange(-limit - 0.5, limit + 1.5))``.
    """
    # BEGIN SOLUTION
    values = coefficients[..., u, v].flatten().round().long()
    values = values[values.abs() <= limit]
    return torch.bincount(values + limit, minlength=2 * limit + 1)
    # END SOLUTION


def estimate_quantisation_step(histogram):
    """The JPEG step of a coefficient from its :func:`coefficient_histogram` (2 L + 1,) -> int in 1..L.

    A coefficient quantised with step q decodes near 0, +-q, +-2q, ...; coefficients are mostly
    small (a Laplacian-like distribution), so the most common non-zero magnitude is q itself. Fold
    the histogram (count of +k plus count of -k, k = 1..L) and return the k with the largest count
    (the smallest such k on ties). Reliable where enough blocks have a non-zero value: low and
    middle frequencies, or high ones at high quality.
    """
    # BEGIN SOLUTION
    # HINT: bin limit is the value 0; bins limit + k and limit - k hold +k and -k. torch.argmax returns the first maximum.
    limit = (len(histogram) - 1) // 2
    magnitudes = histogram[limit + 1:] + histogram[:limit].flip(0)
    return int(torch.argmax(magnitudes)) + 1
    # END SOLUTION


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
        # BEGIN SOLUTION DCTNet layers (norm, features, fc)
        channels = BLOCK * BLOCK
        self.norm = nn.BatchNorm2d(channels)
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(width, 1)
        # END SOLUTION

    def forward(self, x):
        """(B, 3, S, S) -> (B,) raw logits."""
        # BEGIN SOLUTION
        grey = load(FFT_MODULE).rgb_to_grey(x) * 255
        maps = self.norm(log_dct_features(grey))
        return self.fc(self.features(maps).flatten(1)).squeeze(-1)
        # END SOLUTION
