"""The last step of the one face path: face crops -> the tensor a detector reads.

Training (with augmentation), evaluation and detect_video all call :class:`ModelInput` on crops in
[0, 1], so a face is the same tensor wherever it is scored (see :mod:`dfkit.faces.pipeline`).
"""
import numpy as np
import torch
from torchvision.transforms.v2.functional import normalize

from dfkit.data.augment import build_augmentation


def crops_to_unit_float(crops):
    """uint8 RGB crops (..., H, W, 3) -> float32 tensor (..., 3, H, W) in [0, 1]."""
    tensor = torch.from_numpy(np.ascontiguousarray(crops))
    return tensor.movedim(-1, -3).float() / 255


class ModelInput:
    """Callable: float image(s) (..., 3, H, W) in [0, 1] -> [augmented,] resized to ``size`` px, normalised.

    mean, std: 3 numbers each (RGB). augment: "none", "light" or "medium" (:mod:`dfkit.data.augment`).
    """

    def __init__(self, size, mean, std, augment="none"):
        self.augmentation = build_augmentation(augment, size=size)
        self.mean, self.std = list(mean), list(std)

    def __call__(self, image):
        return normalize(self.augmentation(image), self.mean, self.std)
