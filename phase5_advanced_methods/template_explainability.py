# Learner template generated from solutions/phase5_advanced_methods/template_explainability.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: 67edd47855467a99
"""Explainable detection: Grad-CAM heat maps of a single-logit detector, overlays, the pointing game.

Grad-CAM (Selvaraju et al., ICCV 2017) asks which parts of a convolutional feature map ``A``
(B, C, h, w) made a score ``y`` high. Each channel gets one weight, its gradient averaged over
the positions, and the map is the weighted sum of the channels, rectified::

    alpha_c = mean_{i,j} dy / dA_c[i, j]          (B, C)
    cam     = ReLU( sum_c alpha_c * A_c )           (B, h, w)

The ReLU is applied to the *map* (keep what pushes the score up), never to the gradients.

Our detectors return one logit per image (B,), "fake" when it is high. So the score explained for
"fake" is the logit itself, and for "real" it is the *negative* logit: a 2-class recipe that picks
``output[:, 1]`` would index a (B,) tensor across the batch, a classic single-logit pitfall.

Hooks catch the feature map and its gradient. Two more pitfalls: call the model in ``eval`` mode
(BatchNorm and dropout must behave as at test time, and a heat map must not change the running
statistics), and beware of ``ReLU(inplace=True)`` right after the hooked layer: it overwrites the
very tensor the hook kept. The forward hook below (:func:`keep_output`) returns a clone, so the
network's in-place ReLU rewrites the clone and the kept activation stays intact.

The pointing game (Zhang et al. 2016) scores a heat map against ground truth: a hit when its
maximum falls inside the manipulated region (our synthetic clips give the exact mask).
"""
import cv2
import numpy as np
import torch
import torch.nn.functional as F

TARGETS = ("fake", "real")


def keep_output(kept):
    """A forward hook that stores its layer's output in ``kept["activation"]`` and passes a clone on,
    so an in-place op downstream (``ReLU(inplace=True)``) rewrites the clone, not the kept tensor."""
    def hook(module, inputs, output):
        kept["activation"] = output
        return output.clone()

    return hook


def grad_cam(model, layer, x, target="fake"):
    """Grad-CAM of ``model`` (a single-logit detector) at ``layer`` (one of its modules).

    x: (B, 3, H, W) model input. target: "fake" explains the logit, "real" the negative logit.
    Returns ``(cam, logits)``: cam (B, h, w) float32 >= 0 at the layer's resolution (not upsampled,
    not normalised), logits (B,) detached. The model runs in eval mode and is put back in the mode
    it was in; no gradient is left on its parameters.

    Example::

        >>> cam, logits = grad_cam(model, model.features[-1], faces)   # cam (B, 8, 8) for a 8x8 map
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    kept = {}
    was_training = model.training
    model.eval()
    handle = layer.register_forward_hook(keep_output(kept))
    try:
        # HINT: torch.autograd.grad(score.sum(), activation) gives dy/dA without touching the parameters' .grad.
        raise NotImplementedError("phase5_advanced_methods: implement grad_cam")
    finally:
        handle.remove()
        model.train(was_training)
    return cam.detach().float(), logits.detach()


def upsample_cam(cam, size):
    """(B, h, w) or (h, w) map -> same leading shape at ``size`` (H, W) px, bilinear, then each map
    min-max scaled to [0, 1] (a constant map becomes all zeros). Returns float32 tensor."""
    raise NotImplementedError("phase5_advanced_methods: implement upsample_cam")


def overlay(image, cam, alpha=0.5):
    """Heat map over a face: ``image`` (H, W, 3) uint8 RGB, ``cam`` (h, w) in [0, 1] (numpy or tensor).

    The map is resized to (H, W) with ``cv2.resize`` (bilinear), coloured with OpenCV's JET colour
    map (``cv2.applyColorMap`` on ``round(255 * cam)``, which returns BGR: convert to RGB), and mixed:
    ``(1 - alpha) * image + alpha * colour``, rounded to uint8.
    """
    cam = cam.detach().cpu().numpy() if hasattr(cam, "detach") else np.asarray(cam)
    raise NotImplementedError("phase5_advanced_methods: implement overlay")


def pointing_game(cams, masks, threshold=0.5):
    """Fraction of heat maps whose maximum lies inside the manipulated region.

    cams: (N, h, w) heat maps; masks: (N, H, W) ground truth in [0, 1] (1 = manipulated; a pixel
    counts as inside where ``mask >= threshold``). Each map is upsampled to (H, W) with
    :func:`upsample_cam` first; its maximum is the first arg-max in row-major order. Returns a float
    in [0, 1].
    """
    cams = torch.as_tensor(np.asarray(cams) if not torch.is_tensor(cams) else cams).float()
    masks = torch.as_tensor(np.asarray(masks) if not torch.is_tensor(masks) else masks).float()
    raise NotImplementedError("phase5_advanced_methods: implement pointing_game")
