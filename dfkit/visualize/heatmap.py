"""``--heatmap``: Grad-CAM of the checkpoint on every sampled face, blended over the face's crop region.

Grad-CAM, its upsampling and the colour overlay are phase 5's exercise
(``phase5_advanced_methods.template_explainability``), used here in its reference solution. The explained
layer is the detector's last 2-D convolution (the finest map that still sees the whole face); the score
explained is the logit of fake. Frames the report did not sample show the nearest sampled frame's map,
as for the boxes.
"""
import numpy as np
import torch
from torch import nn

from dfkit import registry
from dfkit.curriculum import load
from dfkit.drivers.checkpoints import load_detector, record_input_spec
from dfkit.drivers.inputs import video_inputs
from dfkit.errors import DfkitError
from dfkit.faces.boxes import expand_box

EXPLAINABILITY = "phase5_advanced_methods.template_explainability"
BATCH = 16


def last_conv(model):
    """The last ``nn.Conv2d`` of ``model`` in module order; DfkitError if it has none."""
    convs = [module for module in model.modules() if isinstance(module, nn.Conv2d)]
    if not convs:
        raise DfkitError(f"--heatmap needs a convolutional detector; {type(model).__name__} has no Conv2d")
    return convs[-1]


class GradCamOverlay:
    """Heat maps of ``checkpoint`` (a face-crop detector) for a report's faces.

    :meth:`prepare` computes them from the sampled frames; the instance is then the ``overlay`` callable
    of :func:`dfkit.visualize.annotate.annotate_frame`.
    """

    def __init__(self, checkpoint, device):
        try:
            self.explain = load(EXPLAINABILITY, impl="solutions")
        except ModuleNotFoundError:
            raise DfkitError("--heatmap needs phase 5's Grad-CAM (solutions/phase5_advanced_methods/"
                             "template_explainability.py), which this checkout does not have") from None
        self.model, self.record, _ = load_detector(checkpoint, device=device)
        kind = registry.get(self.record["name"]).input_kind
        if kind != "face_crops":
            raise DfkitError(f"--heatmap explains frame detectors (face_crops); {self.record['name']} reads {kind}")
        self.layer = last_conv(self.model)
        self.device = device
        self.maps = {}  # (track label, position) -> (region [x0, y0, x1, y1] int, map (S, S) float in [0, 1])

    def prepare(self, video, report):
        """Grad-CAM of every sampled face of ``report`` (a :class:`dfkit.visualize.report.DetectionReport`) in
        ``video``. DfkitError if the report was made by another detector than the checkpoint's."""
        from dfkit.faces.pipeline import crop_faces
        from dfkit.video import iter_frames

        if report.model and report.model != self.record["name"]:
            raise DfkitError(f"the report was made by {report.model}, but --model holds {self.record['name']}")
        wanted = sorted({int(i) for track in report.tracks for i in track.indices})
        frames = dict(iter_frames(video, wanted))
        spec = record_input_spec(self.record)
        for track in report.tracks:
            usable = [k for k in range(len(track.indices)) if not np.isnan(track.boxes[k]).any()]
            if not usable:
                continue
            crops = crop_faces(np.stack([frames[int(track.indices[k])] for k in usable]), track.boxes[usable],
                               self.record["margin"])
            inputs, _ = video_inputs("face_crops", crops, spec)
            cams = torch.cat([self.explain.grad_cam(self.model, self.layer, inputs[s:s + BATCH].to(self.device))[0]
                              for s in range(0, len(inputs), BATCH)])
            for k, cam in zip(usable, cams.cpu()):
                region = np.round(expand_box(track.boxes[k], self.record["margin"])).astype(int)
                side = max(int(region[2] - region[0]), 1)
                self.maps[(track.label, k)] = (region, self.explain.upsample_cam(cam, (side, side)).numpy())

    def __call__(self, image, track, position):
        """Blend the map of ``track``'s sampled ``position`` over its crop region of ``image`` (in place)."""
        if (track.label, position) not in self.maps:
            return
        (x0, y0, x1, y1), cam = self.maps[(track.label, position)]
        height, width = image.shape[:2]
        left, top = max(x0, 0), max(y0, 0)
        right, bottom = min(x0 + cam.shape[1], width), min(y0 + cam.shape[0], height)
        if right <= left or bottom <= top:
            return
        patch = cam[top - y0:bottom - y0, left - x0:right - x0]
        image[top:bottom, left:right] = self.explain.overlay(image[top:bottom, left:right], patch)
