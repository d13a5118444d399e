"""The Fourier spectrum of a face, and the up-sampling fingerprint it reveals.

A face generator makes its output at low resolution and up-samples it (transposed convolutions,
nearest or bilinear up-sampling). Up-sampling by 2 inserts zeros between pixels and smooths them
away with a kernel that never does so perfectly: a faint checkerboard stays, invisible to the eye
but a copy of the image's strong low frequencies mirrored to the edge of the spectrum (Nyquist,
N/2 cycles per image). Durall et al. ("Watch your Up-Convolution", CVPR 2020) reduce the 2-D
spectrum to a 1-D curve, the *azimuthal average* (mean log magnitude on rings of equal frequency),
and show that a logistic regression on that curve separates real from generated faces with very
few training images. Compression (JPEG, H.264) quantises the high frequencies first and erases the
cue: see the notebook.

Conventions: images are float tensors (..., 3, H, W) RGB in [0, 1] (``MEAN`` = 0, ``STD`` = 1:
the detectors read un-normalised crops); grey images and spectra are (..., H, W). Every function
works on a whole batch at once (``torch.fft``), never pixel by pixel. After ``fftshift`` the
zero frequency (DC) of an N-point axis sits at index ``N // 2`` (32 of 64, 32 of 65).

The detectors at the end (``spectrum_logreg``, ``spectrum_svm`` in the registry) read face crops
and compute Durall's feature inside ``forward``, so the course's train / evaluate / detect CLIs
use them unchanged.
"""
import torch
import torch.nn.functional as F
from torch import nn

from dfkit.data.augment import LUMA

INPUT_SIZE = 256          # px: large, because resizing a crop down low-pass filters its spectrum
MEAN = (0.0, 0.0, 0.0)
STD = (1.0, 1.0, 1.0)
EPS = 1e-8                # added to magnitudes before the log (log 0 = -inf)
PROFILE_LENGTH = 64       # Durall's 1-D feature: the azimuthal average resampled to this many points
HIGH_CUTOFF = 0.5         # "high frequency": beyond this fraction of the Nyquist radius
PEAK_INNER = 0.75         # upsampling_peak compares the Nyquist ring with the ring at this fraction of it


def rgb_to_grey(images):
    """Luma of RGB images: (..., 3, H, W) -> (..., H, W), ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601).

    The weights are ``LUMA`` (OpenCV's ``COLOR_RGB2GRAY``). Channel 0 is red: an image read with
    OpenCV is BGR and must be converted first, or red and blue swap weights.

    Example::

        >>> rgb_to_grey(torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1))
        tensor([[0.2990]])
    """
    # BEGIN SOLUTION
    weights = torch.tensor(LUMA, dtype=images.dtype, device=images.device).view(3, 1, 1)
    return (images * weights).sum(dim=-3)
    # END SOLUTION


def log_spectrum(grey, eps=EPS):
    """Centred log-magnitude spectrum: (..., H, W) real -> (..., H, W) float, ``log(|FFT2(grey)| + eps)``.

    Take the 2-D FFT over the last two axes, move the zero frequency to the centre with ``fftshift``
    (over those two axes only: never the batch axis), then the natural log of the magnitude plus
    ``eps`` (a constant image has exact zeros everywhere but DC: without ``eps`` they become -inf).
    """
    # BEGIN SOLUTION
    # HINT: torch.fft.fft2 and torch.fft.fftshift both take dim=(-2, -1); .abs() of a complex tensor is its magnitude.
    spectrum = torch.fft.fftshift(torch.fft.fft2(grey), dim=(-2, -1))
    return torch.log(spectrum.abs() + eps)
    # END SOLUTION


def radius_map(height, width):
    """(H, W) int64: each frequency's distance from DC in the shifted spectrum, rounded to the nearest integer.

    DC sits at row ``height // 2``, column ``width // 2`` (where ``fftshift`` puts it). The widely
    copied reference code centres the rings at ``(N - 1) / 2`` instead, half a pixel off for even N.

    Example::

        >>> radius_map(4, 4)
        tensor([[3, 2, 2, 2],
                [2, 1, 1, 1],
                [2, 1, 0, 1],
                [2, 1, 1, 1]])
    """
    # BEGIN SOLUTION
    rows = torch.arange(height, dtype=torch.float64) - height // 2
    cols = torch.arange(width, dtype=torch.float64) - width // 2
    return torch.hypot(rows[:, None], cols[None, :]).round().long()
    # END SOLUTION


def azimuthal_average(spectrum):
    """Mean of ``spectrum`` (..., H, W) on each ring of :func:`radius_map`: (..., R), R = min(H, W) // 2 + 1.

    Entry r is the mean over the pixels at rounded radius r, for r = 0 (DC) ... min(H, W) // 2
    (the largest full circle; the corners beyond it are left out). Vectorised over the batch:
    sum each ring with ``index_add_`` (or a one-hot matrix product) and divide by its pixel count.
    """
    # BEGIN SOLUTION
    # HINT: flatten the last two axes, keep the pixels with radius < R, then totals.index_add_(-1, radius, values).
    height, width = spectrum.shape[-2:]
    rings = min(height, width) // 2 + 1
    radius = radius_map(height, width).flatten().to(spectrum.device)
    inside = radius < rings
    flat = spectrum.flatten(-2)[..., inside]
    totals = torch.zeros(*flat.shape[:-1], rings, dtype=spectrum.dtype, device=spectrum.device)
    totals.index_add_(-1, radius[inside], flat)
    return totals / torch.bincount(radius[inside], minlength=rings).to(spectrum.dtype)
    # END SOLUTION


def durall_features(images, length=PROFILE_LENGTH):
    """Durall et al.'s 1-D spectral feature: images (B, 3, H, W) in [0, 1] -> (B, length) in [0, 1].

    Grey -> centred log spectrum -> azimuthal average -> resampled to ``length`` points by linear
    interpolation (first and last points kept: ``align_corners=True``), so faces of any size give
    features of one length whose index k stands for the same fraction k / (length - 1) of the
    Nyquist radius -> min-max normalised per image (min 0, max 1).
    """
    # BEGIN SOLUTION
    # HINT: F.interpolate wants (B, C, L): add a channel axis with profile[:, None] and drop it afterwards.
    profile = azimuthal_average(log_spectrum(rgb_to_grey(images)))
    profile = F.interpolate(profile[:, None], size=length, mode="linear", align_corners=True)[:, 0]
    low = profile.min(dim=-1, keepdim=True).values
    high = profile.max(dim=-1, keepdim=True).values
    return (profile - low) / (high - low).clamp_min(EPS)
    # END SOLUTION


def high_frequency_ratio(grey, cutoff=HIGH_CUTOFF):
    """Share of the spectral energy at high frequency: (..., H, W) -> (...,) in [0, 1].

    Energy is ``|FFT2|^2`` without the DC term (the mean brightness says nothing about texture).
    A frequency is high when its (unrounded) distance from DC is at least ``cutoff`` times the
    Nyquist radius ``min(H, W) / 2``. A constant image has no energy: return 0 there.
    """
    # BEGIN SOLUTION
    height, width = grey.shape[-2:]
    power = torch.fft.fftshift(torch.fft.fft2(grey), dim=(-2, -1)).abs() ** 2
    rows = torch.arange(height, device=grey.device) - height // 2
    cols = torch.arange(width, device=grey.device) - width // 2
    distance = torch.hypot(rows[:, None].double(), cols[None, :].double())
    power = power * (distance > 0)
    high = (power * (distance >= cutoff * min(height, width) / 2)).sum(dim=(-2, -1))
    return high / power.sum(dim=(-2, -1)).clamp_min(EPS)
    # END SOLUTION


def upsampling_peak(images):
    """Up-sampling score: images (B, 3, H, W) in [0, 1] -> (B,), how far the spectrum rises at Nyquist.

    ``p`` = azimuthal average of the log spectrum of the grey image; the score is
    ``p[R - 1] - p[round(PEAK_INNER * (R - 1))]`` (R = len(p)): the Nyquist ring minus a ring a
    quarter further in. A natural image's spectrum falls with frequency (negative score); a 2x
    up-sampled one has the mirrored copy of its low frequencies there (a higher score).
    """
    # BEGIN SOLUTION
    profile = azimuthal_average(log_spectrum(rgb_to_grey(images)))
    last = profile.shape[-1] - 1
    return profile[..., last] - profile[..., round(PEAK_INNER * last)]
    # END SOLUTION


def hinge_loss(logits, labels):
    """The linear SVM's loss: mean of ``max(0, 1 - y * logit)`` with ``y = 2 * label - 1`` in {-1, +1}.

    logits (B,), labels (B,) 0/1 -> scalar tensor. Trained with AdamW, whose weight decay is the
    SVM's L2 penalty, a linear layer on Durall's features becomes a linear SVM (``spectrum_svm``).
    """
    # BEGIN SOLUTION
    signs = 2 * labels.to(logits.dtype) - 1
    return torch.relu(1 - signs * logits).mean()
    # END SOLUTION


class SpectrumClassifier(nn.Module):
    """Durall's classifier: face crops (B, 3, S, S) in [0, 1] -> (B,) logits, linear in the spectral feature.

    ``forward``: :func:`durall_features` (``length`` points) -> ``linear`` = ``Linear(length, 1)``
    -> squeeze the last dimension (a batch of one gives shape (1,)). Trained with BCE this is a
    logistic regression; with :func:`hinge_loss`, a linear SVM.
    """

    def __init__(self, length=PROFILE_LENGTH):
        super().__init__()
        # BEGIN SOLUTION SpectrumClassifier layers (length, linear)
        self.length = length
        self.linear = nn.Linear(length, 1)
        # END SOLUTION

    def forward(self, x):
        """(B, 3, S, S) -> (B,) raw logits."""
        # BEGIN SOLUTION
        return self.linear(durall_features(x, self.length)).squeeze(-1)
        # END SOLUTION
