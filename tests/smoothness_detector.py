"""A fixed (untrained) face-crop detector for tests: a face swapped in by a generator is smoother than the
camera image around it (:func:`dfkit.synthetic.manipulations.generated_look`), so the crop's fine-detail
energy ranks a synthetic blend fake above its real clip. Registered by the tests that use it."""
import math

import torch
from torch import nn

INPUT_SIZE = 64
MEAN = (0.0, 0.0, 0.0)
STD = (1.0, 1.0, 1.0)
LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))


def detail_energy(crops):
    """Mean squared Laplacian (grey levels^2) of the central half of crops (B, 3, S, S) in [0, 1] -> (B,)."""
    grey = 255 * crops.float().mean(dim=1, keepdim=True)
    kernel = torch.tensor(LAPLACIAN, dtype=grey.dtype, device=grey.device)[None, None]
    detail = nn.functional.conv2d(grey, kernel)
    side = detail.shape[-1]
    centre = detail[..., side // 4:side - side // 4, side // 4:side - side // 4]
    return centre.square().mean(dim=(1, 2, 3))


class SmoothnessNet(nn.Module):
    """(B, 3, S, S) -> (B,) logits ``slope * (log(threshold) - log(detail energy))``: smooth faces score high."""

    def __init__(self, threshold=500.0, slope=2.0):
        super().__init__()
        self.log_threshold = nn.Parameter(torch.tensor(math.log(threshold)))
        self.slope = nn.Parameter(torch.tensor(float(slope)))

    def forward(self, crops):
        return self.slope * (self.log_threshold - torch.log(detail_energy(crops) + 1e-6))


def register():
    """Register this detector as "smoothness" (undo with ``dfkit.registry.unregister("smoothness")``)."""
    from dfkit import registry

    registry.register(registry.DetectorSpec("smoothness", "tests", "face_crops",
                                            "tests.smoothness_detector:SmoothnessNet"))
