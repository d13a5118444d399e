# Learner template generated from solutions/phase2_temporal_analysis/template_optical_flow.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: 61ad0665a43c835d
"""Optical flow: how every pixel moves between frames, and what motion cannot explain.

Dense optical flow gives each pixel of frame t a displacement (dx, dy) to where it is in frame t+1.
A real face moves as one smooth, rigid-ish object over a still background; a forged face drawn
frame by frame can move inside its outline against the head, and changes colour in ways no motion
explains. The flow itself is given (OpenCV's Farneback); you write what a detector measures with it:

1. :func:`flow_statistics`: mean motion and speed inside vs outside the face.
2. :func:`warp_by_flow`: frame t+1 pulled back onto frame t along the flow (bilinear sampling).
3. :func:`warping_residual`: ``|frame t - warped frame t+1|``: near zero where motion explains the
   change, bright where it does not (flicker, re-lighting, blending seams).
4. :func:`residual_trace`: the mean residual inside the face, one value per pair of frames.

Conventions: frames RGB uint8 ``(H, W, 3)``; flow ``(H, W, 2)`` float32 with ``flow[y, x] = (dx, dy)``
in px: channel 0 is horizontal (x, columns), channel 1 vertical (y, rows).
"""
import cv2
import numpy as np

# cv2.calcOpticalFlowFarneback's settings: a 3-level pyramid halving each level, 15 px windows,
# 3 iterations, 5-px polynomial expansion with sigma 1.2 (OpenCV's documented example values).
FARNEBACK = {"pyr_scale": 0.5, "levels": 3, "winsize": 15, "iterations": 3, "poly_n": 5, "poly_sigma": 1.2,
             "flags": 0}


def dense_flow(prev, nxt):
    """Farneback optical flow from ``prev`` to ``nxt`` (given code, not an exercise).

    Args:
        prev, nxt: (H, W, 3) RGB uint8 frames (or (H, W) grey).

    Returns:
        (H, W, 2) float32 with ``prev[y, x] ~ nxt[y + flow[y, x, 1], x + flow[y, x, 0]]``.

    Pitfalls: OpenCV wants single-channel 8-bit images, previous frame first (swapping them negates
    the flow); its third argument is an initial flow (None here); channel 0 is dx (columns), not dy.
    """
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) if f.ndim == 3 else f for f in (prev, nxt)]
    return cv2.calcOpticalFlowFarneback(grey[0], grey[1], None, **FARNEBACK)


def clip_flow(frames):
    """(T - 1, H, W, 2) float32: :func:`dense_flow` of each consecutive pair of ``frames`` (T, H, W, 3)."""
    return np.stack([dense_flow(frames[t], frames[t + 1]) for t in range(len(frames) - 1)])


def flow_statistics(flow, mask, threshold=0.5):
    """Motion inside and outside a region.

    Args:
        flow: (H, W, 2) float (dx, dy) per pixel. mask: (H, W) weights in [0, 1] (e.g. the synthetic
            clip's face mask); pixels with ``mask > threshold`` are inside, the others outside.

    Returns:
        dict of floats / arrays: ``"inside_mean"`` and ``"outside_mean"``: (2,) mean (dx, dy);
        ``"inside_speed"`` and ``"outside_speed"``: mean of ``sqrt(dx^2 + dy^2)``. A side with no
        pixel raises ValueError.

    Note: the mean speed is not the speed of the mean motion: vectors of a rotation cancel in the
    mean but not in the speed.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement flow_statistics")


def warp_by_flow(image, flow):
    """Sample ``image`` at ``(x + dx, y + dy)`` for every pixel: backward warping with bilinear interpolation.

    Args:
        image: (H, W) or (H, W, C) numeric (e.g. frame t+1). flow: (H, W, 2) (dx, dy), e.g.
            :func:`dense_flow` from frame t to frame t+1.

    Returns:
        float32 array shaped like ``image``: ``out[y, x] = image(y + dy, x + dx)``, interpolated
        bilinearly between the 4 neighbouring pixels; coordinates outside the image are clamped to
        the border (``cv2.remap`` with ``INTER_LINEAR`` and ``BORDER_REPLICATE`` does the same).
        With the flow from frame t to t+1, the result looks like frame t.
    """
    # HINT: clamp the sample coordinates to [0, W-1] / [0, H-1] first; then x0 = floor(x),
    raise NotImplementedError("phase2_temporal_analysis: implement warp_by_flow")


def warping_residual(prev, nxt, flow):
    """What motion does not explain: ``|prev - warp_by_flow(nxt, flow)|``, averaged over channels.

    Args:
        prev, nxt: (H, W, 3) frames t and t+1. flow: (H, W, 2) from ``prev`` to ``nxt``.

    Returns:
        (H, W) float32 residual in grey levels.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement warping_residual")


def residual_trace(frames, masks):
    """Mean warping residual inside a region for every pair of consecutive frames.

    Args:
        frames: (T, H, W, 3) uint8. masks: (T, H, W) weights in [0, 1]; pair (t, t+1) uses ``masks[t]``.

    Returns:
        (T - 1,) float64: ``sum(m * r) / sum(m)`` with ``r`` the :func:`warping_residual` of frames t
        and t+1 under their :func:`dense_flow`.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement residual_trace")
