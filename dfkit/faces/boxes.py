"""Face boxes: expand about the centre, fill gaps and smooth over time (crops: :mod:`dfkit.faces.pipeline`).

Boxes are float ``[x0, y0, x1, y1]`` in pixels; a frame is (H, W, 3) uint8.
"""
import numpy as np


def expand_box(box, margin, image_shape=None, square=True):
    """Scale ``box`` (4,) by ``margin`` about its centre; return (4,) float.

    ``square``: use ``max(width, height) * margin`` for both sides. ``image_shape`` (H, W[, C]): clip the
    result to the image, ``[0, W] x [0, H]`` (a clipped box may no longer be square).

    >>> expand_box([10, 20, 30, 60], margin=1.5)   # centre (20, 40), side 40 * 1.5 = 60
    array([-10.,  10.,  50.,  70.])
    """
    x0, y0, x1, y1 = np.asarray(box, dtype=np.float64)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = (x1 - x0) * margin / 2, (y1 - y0) * margin / 2
    if square:
        half_w = half_h = max(half_w, half_h)
    out = np.array([cx - half_w, cy - half_h, cx + half_w, cy + half_h])
    if image_shape is not None:
        height, width = image_shape[:2]
        out = np.clip(out, 0, [width, height, width, height])
    return out


def _centred_mean(values, half):
    """Mean over ``[t - half, t + half]`` clipped to the sequence, along axis 0 of ``values`` (N, D)."""
    n = len(values)
    cumulative = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    t = np.arange(n)
    lo, hi = np.maximum(t - half, 0), np.minimum(t + half + 1, n)
    return (cumulative[hi] - cumulative[lo]) / (hi - lo)[:, None]


def smooth_boxes(boxes, window=5):
    """Smooth a box track (N, 4) over time; return (N, 4) float.

    Centres and sizes are averaged over a centred window of ``2 * (window // 2) + 1`` frames
    (shorter at the ends of the track), so a box never shrinks or drifts towards the edges.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    half = window // 2
    if half == 0 or len(boxes) < 2:
        return boxes.copy()
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    extent = boxes[:, 2:] - boxes[:, :2]
    smooth = _centred_mean(np.concatenate([centre, extent], axis=1), half)
    centre, extent = smooth[:, :2], smooth[:, 2:]
    return np.concatenate([centre - extent / 2, centre + extent / 2], axis=1)


def fill_missing_boxes(boxes, found):
    """Fill rows of ``boxes`` (N, 4) where ``found`` (N,) is False by linear interpolation between found
    neighbours (held constant before the first and after the last found box). Needs one found box."""
    boxes = np.asarray(boxes, dtype=np.float64).copy()
    found = np.asarray(found, dtype=bool)
    t, known = np.arange(len(boxes)), np.flatnonzero(found)
    for k in range(4):
        boxes[~found, k] = np.interp(t[~found], known, boxes[known, k])
    return boxes
