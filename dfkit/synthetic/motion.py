"""Smooth head motion: per-frame similarity transforms (rotation, scale, translation).

Each parameter is a sum of two slow sinusoids (0.05-0.5 Hz) with random phases, so motion is
smooth and has no energy in the pulse band (0.75-2.5 Hz).
"""
import numpy as np

MAX_ROTATION_DEG = 4.0
MAX_SCALE_CHANGE = 0.03
MAX_SHIFT = 0.06  # fraction of the face height


def _smooth_signal(rng, num_frames, fps, amplitude):
    t = np.arange(num_frames) / fps
    freqs = rng.uniform(0.05, 0.5, 2)
    phases = rng.uniform(0, 2 * np.pi, 2)
    weights = rng.uniform(0.3, 1.0, 2)
    signal = (weights[:, None] * np.sin(2 * np.pi * freqs[:, None] * t + phases[:, None])).sum(0)
    return amplitude * signal / weights.sum()


def head_motion(rng, num_frames, fps, face_height):
    """Per-frame motion: dict of (T,) arrays angle_deg, scale, dx, dy (px for a face ``face_height`` px)."""
    return {
        "angle_deg": _smooth_signal(rng, num_frames, fps, MAX_ROTATION_DEG),
        "scale": 1.0 + _smooth_signal(rng, num_frames, fps, MAX_SCALE_CHANGE),
        "dx": _smooth_signal(rng, num_frames, fps, MAX_SHIFT * face_height),
        "dy": _smooth_signal(rng, num_frames, fps, MAX_SHIFT * face_height),
    }


def affine_matrices(motion, center, base_scale=1.0, target=None):
    """(T, 2, 3) float64 maps texture -> frame: rotate/scale about ``center`` then move it to ``target``.

    ``base_scale`` is a fixed zoom applied with the motion; ``target`` (x, y) defaults to ``center``.
    """
    cx, cy = center
    tx, ty = (cx, cy) if target is None else target
    angle = np.deg2rad(motion["angle_deg"])
    s = base_scale * motion["scale"]
    cos, sin = s * np.cos(angle), s * np.sin(angle)
    mats = np.empty((len(angle), 2, 3))
    mats[:, 0, 0], mats[:, 0, 1] = cos, -sin
    mats[:, 1, 0], mats[:, 1, 1] = sin, cos
    mats[:, 0, 2] = tx + motion["dx"] - (cos * cx - sin * cy)
    mats[:, 1, 2] = ty + motion["dy"] - (sin * cx + cos * cy)
    return mats


def transform_points(mats, points):
    """Apply (T, 2, 3) affines to points (T, N, 2) or (N, 2); returns (T, N, 2) float64."""
    points = np.broadcast_to(points, (len(mats),) + np.shape(points)[-2:])
    return np.einsum("tij,tnj->tni", mats[:, :, :2], points) + mats[:, None, :, 2]


def moving_boxes(mats, box):
    """(T, 4) boxes: ``box`` [x0, y0, x1, y1] moved by each affine's translation and scale (not rotation)."""
    box = np.asarray(box, np.float64)
    centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    half = np.array([(box[2] - box[0]) / 2, (box[3] - box[1]) / 2])
    new_centre = transform_points(mats, centre[None])[:, 0]
    scale = np.sqrt(np.abs(np.linalg.det(mats[:, :, :2])))[:, None]
    return np.concatenate([new_centre - half * scale, new_centre + half * scale], axis=1)
