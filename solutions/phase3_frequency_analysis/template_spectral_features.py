"""Spectral features a detector can learn from: noise residuals, wavelet sub-bands, DCT frequency bands.

Three ways to hand a model the high frequencies that carry manipulation traces while hiding the
face content that dominates the pixels:

* SRM residuals (Fridrich & Kodovsky's steganalysis filters, used for manipulation detection by
  Zhou et al., CVPR 2018): fixed high-pass kernels that predict each pixel from its neighbours and
  keep the prediction error, i.e. the noise.
* Wavelet sub-bands (FSBI and others): the Haar transform splits an image into a half-size
  average (LL) and three details: LH (horizontal edges: rows differ), HL (vertical edges: columns
  differ) and HH (diagonal: the checkerboard an up-sampler leaves). Repeating on LL gives coarser
  levels; the energy per sub-band is a compact texture signature.
* Frequency-aware decomposition (FAD, Qian et al., "Thinking in Frequency: Face Forgery Detection
  by Mining Frequency-aware Clues", F3-Net, ECCV 2020): the image's full DCT split by masks into
  low, middle and high bands and transformed back, giving three images a CNN reads as channels.

Conventions: grey images (..., H, W) float; detectors read face crops (B, 3, S, S) in [0, 1].
"""
import torch
import torch.nn.functional as F
from torch import nn

from dfkit.curriculum import load

INPUT_SIZE = 256
MEAN = (0.0, 0.0, 0.0)
STD = (1.0, 1.0, 1.0)
FFT_MODULE = "phase3_frequency_analysis.template_fft_analysis"
DCT_MODULE = "phase3_frequency_analysis.template_dct_analysis"
BAND_EDGES = (1 / 8, 1 / 4)  # F3-Net-style bands (the course's edges): i + j below 1/8 of 2 S = low, below 1/4 = middle

# Three SRM kernels (5x5, zero-padded where smaller): the "KB" 3x3 square, the "KV" 5x5 square and a
# second-order horizontal difference, each scaled so a prediction of the centre pixel sums to 1.
SRM_FILTERS = torch.tensor([
    [[0, 0, 0, 0, 0], [0, -1, 2, -1, 0], [0, 2, -4, 2, 0], [0, -1, 2, -1, 0], [0, 0, 0, 0, 0]],
    [[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2], [2, -6, 8, -6, 2], [-1, 2, -2, 2, -1]],
    [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 1, -2, 1, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]],
], dtype=torch.float64) / torch.tensor([4.0, 12.0, 2.0], dtype=torch.float64).view(3, 1, 1)


def srm_residuals(grey):
    """The three SRM residuals: (B, H, W) -> (B, 3, H, W), one channel per kernel of ``SRM_FILTERS``.

    Each output pixel is the kernel's weighted sum over the 5x5 neighbourhood centred on it (a
    correlation, like ``cv2.filter2D``; these kernels are symmetric, so also a convolution). Borders
    mirror the image without repeating the edge pixel (OpenCV's default ``BORDER_REFLECT_101``,
    PyTorch's ``F.pad(..., mode="reflect")``), so the output keeps the input's size.
    """
    # BEGIN SOLUTION
    # HINT: F.conv2d wants (B, 1, H, W) inputs and (3, 1, 5, 5) weights; pad 2 px on every side first.
    padded = F.pad(grey[:, None], (2, 2, 2, 2), mode="reflect")
    return F.conv2d(padded, SRM_FILTERS.to(grey.dtype).to(grey.device)[:, None])
    # END SOLUTION


def haar_dwt(grey):
    """One level of the orthonormal 2-D Haar transform: (..., H, W), H and W even -> (LL, LH, HL, HH).

    With ``a, b, c, d`` the top-left, top-right, bottom-left and bottom-right pixel of each 2x2
    block, each sub-band is (..., H / 2, W / 2)::

        LL = (a + b + c + d) / 2      LH = (a + b - c - d) / 2
        HL = (a - b + c - d) / 2      HH = (a - b - c + d) / 2

    The transform keeps the energy: the four sub-bands' squares sum to the image's.
    """
    # BEGIN SOLUTION
    a, b = grey[..., 0::2, 0::2], grey[..., 0::2, 1::2]
    c, d = grey[..., 1::2, 0::2], grey[..., 1::2, 1::2]
    return (a + b + c + d) / 2, (a + b - c - d) / 2, (a - b + c - d) / 2, (a - b - c + d) / 2
    # END SOLUTION


def wavelet_energies(grey, levels=3):
    """Mean squared coefficient of every Haar sub-band: (..., H, W) -> (..., 3 * levels + 1).

    Order: LH, HL, HH of level 1 (finest), then of level 2 (the transform of level 1's LL), ...,
    then the last level's LL. H and W must be divisible by ``2 ** levels``.
    """
    # BEGIN SOLUTION
    energies = []
    low = grey
    for _ in range(levels):
        low, *details = haar_dwt(low)
        energies += [(band ** 2).mean(dim=(-2, -1)) for band in details]
    energies.append((low ** 2).mean(dim=(-2, -1)))
    return torch.stack(energies, dim=-1)
    # END SOLUTION


def band_masks(size):
    """Three binary F3-Net-style masks on an S x S DCT grid: (3, S, S) float32, low / middle / high.

    Coefficient (i, j) is low if ``i + j < BAND_EDGES[0] * 2 * S``, middle if below
    ``BAND_EDGES[1] * 2 * S``, high otherwise: every coefficient in exactly one band.
    """
    # BEGIN SOLUTION
    index = torch.arange(size)
    diagonal = (index[:, None] + index[None, :]).float()
    low = diagonal < BAND_EDGES[0] * 2 * size
    below_high = diagonal < BAND_EDGES[1] * 2 * size
    return torch.stack([low, below_high & ~low, ~below_high]).float()
    # END SOLUTION


def band_decomposition(grey):
    """F3-Net's frequency-aware decomposition: (..., S, S) -> (..., 3, S, S), the image's low, middle and high bands.

    Band k = inverse DCT of (DCT of the image x ``band_masks(S)[k]``), with the orthonormal 2-D DCT
    ``D @ X @ D.T`` (``D = template_dct_analysis.dct_matrix(S)``), inverse ``D.T @ C @ D``. The
    masks partition the coefficients, so the three bands add up to the image.
    """
    # BEGIN SOLUTION
    # HINT: give the DCT coefficients a band axis (unsqueeze(-3)) so one product with the (3, S, S) masks makes all three bands.
    size = grey.shape[-1]
    matrix = load(DCT_MODULE).dct_matrix(size).to(grey.dtype).to(grey.device)
    masks = band_masks(size).to(grey.dtype).to(grey.device)
    coefficients = (matrix @ grey @ matrix.T).unsqueeze(-3)
    return matrix.T @ (coefficients * masks) @ matrix
    # END SOLUTION


class FADNet(nn.Module):
    """A small CNN on F3-Net's band images: face crops (B, 3, S, S) in [0, 1] -> (B,) logits.

    ``forward``: grey (``template_fft_analysis.rgb_to_grey``) -> :func:`band_decomposition`
    (B, 3, S, S) -> ``features`` = ``Sequential(Conv2d(3, width, 3, padding=1), BatchNorm2d(width),
    ReLU, MaxPool2d(2), Conv2d(width, 2 width, 3, padding=1), BatchNorm2d(2 width), ReLU,
    AdaptiveAvgPool2d(1))`` -> flatten -> ``fc`` = ``Linear(2 width, 1)`` -> squeeze the last dimension.
    """

    def __init__(self, width=16):
        super().__init__()
        # BEGIN SOLUTION FADNet layers (features, fc)
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(2 * width, 1)
        # END SOLUTION

    def forward(self, x):
        """(B, 3, S, S) -> (B,) raw logits."""
        # BEGIN SOLUTION
        bands = band_decomposition(load(FFT_MODULE).rgb_to_grey(x))
        return self.fc(self.features(bands).flatten(1)).squeeze(-1)
        # END SOLUTION
