"""Deepfake-relevant image augmentations on float tensors (..., 3, H, W) in [0, 1].

Each operation is a plain function with explicit parameters (flip, colour,
JPEG, blur, noise, downscale, resize); :func:`build_augmentation` chains them
with random parameters. Leading dimensions share one draw of the parameters,
so a clip (T, 3, H, W) is flipped / compressed / blurred the same way in
every frame (the noise itself differs per pixel, as noise does).
"""
import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torchvision.transforms.v2.functional import gaussian_blur as _tv_gaussian_blur

from dfkit.perturb import jpeg_rgb

LUMA = (0.299, 0.587, 0.114)


def hflip(x):
    """Mirror left-right."""
    return x.flip(-1)


def _luminance(x):
    weights = torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(3, 1, 1)
    return (x * weights).sum(dim=-3, keepdim=True)


def adjust_colour(x, brightness=1.0, contrast=1.0, saturation=1.0):
    """Scale brightness, contrast (about the mean grey) and saturation (about each pixel's grey); clamp."""
    x = x * brightness
    mean = _luminance(x).mean(dim=(-3, -2, -1), keepdim=True)
    x = (x - mean) * contrast + mean
    grey = _luminance(x)
    x = (x - grey) * saturation + grey
    return x.clamp(0, 1)


def jpeg(x, quality):
    """Encode and decode every image as JPEG at ``quality`` (1-100) with OpenCV (:func:`jpeg_rgb`)."""
    flat = x.reshape(-1, *x.shape[-3:])
    out = torch.empty_like(flat)
    for i, image in enumerate(flat):
        rgb = (image.permute(1, 2, 0).clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
        out[i] = torch.from_numpy(jpeg_rgb(rgb, quality)).permute(2, 0, 1).to(x.dtype) / 255
    return out.reshape(x.shape)


def gaussian_blur(x, sigma):
    """Gaussian blur with standard deviation ``sigma`` pixels (kernel 2 * ceil(3 sigma) + 1)."""
    kernel = 2 * math.ceil(3 * sigma) + 1
    return _tv_gaussian_blur(x, kernel_size=[kernel, kernel], sigma=[sigma, sigma])


def gaussian_noise(x, std, seed):
    """Add N(0, std^2) noise drawn from a generator seeded with ``seed``; clamp to [0, 1]."""
    generator = torch.Generator().manual_seed(int(seed))
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    return (x + std * noise).clamp(0, 1)


def resize(x, size):
    """Resize to (size, size) (antialiased bilinear); ``size`` may also be (H, W)."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(x.shape[-2:]) == size:
        return x
    flat = x.reshape(-1, *x.shape[-3:])
    out = F.interpolate(flat, size=size, mode="bilinear", antialias=True, align_corners=False)
    return out.reshape(*x.shape[:-2], *size).clamp(0, 1)


def downscale(x, factor):
    """Shrink by ``factor`` (0-1) and enlarge back: loses the finest detail, like a low-resolution source."""
    height, width = x.shape[-2:]
    small = resize(x, (max(1, round(height * factor)), max(1, round(width * factor))))
    return resize(small, (height, width))


@dataclass(frozen=True)
class Step:
    """Apply ``function`` with probability ``probability``, parameters drawn uniformly from ``ranges``
    (name -> (low, high); integer bounds draw integers, inclusive)."""

    function: Callable
    probability: float
    ranges: dict = field(default_factory=dict)


SEEDS = (0, 2**31 - 1)
STRENGTHS = {
    "none": (),
    "light": (
        Step(hflip, 0.5),
        Step(adjust_colour, 0.5, {"brightness": (0.9, 1.1), "contrast": (0.9, 1.1), "saturation": (0.9, 1.1)}),
        Step(jpeg, 0.3, {"quality": (70, 95)}),
        Step(gaussian_blur, 0.1, {"sigma": (0.3, 1.0)}),
        Step(gaussian_noise, 0.1, {"std": (0.005, 0.02), "seed": SEEDS}),
        Step(downscale, 0.1, {"factor": (0.6, 0.9)}),
    ),
    "medium": (
        Step(hflip, 0.5),
        Step(adjust_colour, 0.8, {"brightness": (0.8, 1.2), "contrast": (0.8, 1.2), "saturation": (0.8, 1.2)}),
        Step(jpeg, 0.5, {"quality": (30, 95)}),
        Step(gaussian_blur, 0.3, {"sigma": (0.3, 1.5)}),
        Step(gaussian_noise, 0.3, {"std": (0.005, 0.04), "seed": SEEDS}),
        Step(downscale, 0.3, {"factor": (0.4, 0.9)}),
    ),
}


def _as_generator(generator):
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    return torch.Generator().manual_seed(int(generator))


class Augmentation:
    """Random steps then an optional resize; call on a float tensor (..., 3, H, W) in [0, 1].

    generator: None draws from torch's global RNG (what DataLoader workers seed
    apart; reproducible with torch.manual_seed); a seed or torch.Generator gives a
    private stream. A generator passed to the call overrides it for that call.
    """

    def __init__(self, steps, size=None, generator=None):
        self.steps = tuple(steps)
        self.size = size
        self.generator = _as_generator(generator)

    def sample(self, generator=None):
        """The [(function, params)] one call would apply, drawn from ``generator``."""
        generator = self.generator if generator is None else _as_generator(generator)
        chosen = []
        for step in self.steps:
            if torch.rand((), generator=generator).item() >= step.probability:
                continue
            params = {}
            for name, (low, high) in step.ranges.items():
                if isinstance(low, int) and isinstance(high, int):
                    params[name] = int(torch.randint(low, high + 1, (), generator=generator))
                else:
                    params[name] = low + (high - low) * torch.rand((), generator=generator).item()
            chosen.append((step.function, params))
        return chosen

    def __call__(self, x, generator=None):
        if not torch.is_tensor(x) or not x.is_floating_point() or x.shape[-3] != 3:
            raise TypeError(f"expected a float tensor (..., 3, H, W) in [0, 1], got {type(x).__name__} "
                            f"{getattr(x, 'dtype', '')} {tuple(getattr(x, 'shape', ()))}")
        for function, params in self.sample(generator):
            x = function(x, **params)
        return resize(x, self.size) if self.size is not None else x

    def __repr__(self):
        names = ", ".join(f"{s.function.__name__}(p={s.probability})" for s in self.steps)
        return f"Augmentation([{names}], size={self.size})"


AUGMENTATIONS = tuple(STRENGTHS)  # "none", "light", "medium"


def build_augmentation(strength="light", size=None, generator=None):
    """The "none", "light" or "medium" augmentation, resized to ``size`` when given (see :class:`Augmentation`)."""
    if strength not in STRENGTHS:
        raise ValueError(f"strength must be one of {', '.join(STRENGTHS)}, got {strength!r}")
    return Augmentation(STRENGTHS[strength], size=size, generator=generator)
