"""Per-video physiological signals for "signals" detectors: landmarks at the native frame rate and a skin trace.

A "signals" detector (phase 4) reads one feature vector per video, made from *consecutive* frames
(blinks last 3-10 frames; a heart rate needs at least ~5 s): boxes by the one face path
(:class:`dfkit.faces.pipeline.FaceTracker`, or a synthetic clip's true boxes), dlib's 68 landmarks
inside them (:class:`dfkit.landmarks.Dlib68Predictor`), and the mean skin colour per frame. The
feature vector itself is phase code: the detector's builder module defines ``skin_trace(frames,
landmarks) -> (T, 3)`` and ``physio_features(landmarks, rgb, fps, frame_size) -> (F,)``, reached
through the implementation switch. :func:`cached_signals` keeps each video's signals in an ``.npz``
so train and evaluate do not recompute them.
"""
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dfkit.atomic import atomic_path

# dlib's 68-point model was trained on boxes of dlib's own HOG detector: a square from the brows to
# the chin, lower and slightly wider than MTCNN's (or the synthetic clips') forehead-to-chin box.
# Measured on synthetic drawn and photo faces: centre 0.06 box heights lower, 1.1 x wider, 0.84 x as tall.
DLIB_BOX_SHIFT, DLIB_BOX_WIDTH, DLIB_BOX_HEIGHT = 0.06, 1.1, 0.84
MAX_SECONDS = 20.0  # signals read at most this much of a video (from its start)


def dlib_boxes(boxes):
    """(T, 4) [x0, y0, x1, y1] face boxes (MTCNN or synthetic convention) -> (T, 4) boxes in dlib's convention."""
    boxes = np.asarray(boxes, np.float64)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2 + DLIB_BOX_SHIFT * h
    half_w, half_h = DLIB_BOX_WIDTH * w / 2, DLIB_BOX_HEIGHT * h / 2
    return np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1)


def video_landmarks(frames, boxes, predictor=None):
    """(T, 68, 2) float32 dlib landmarks of ``frames`` (T, H, W, 3) RGB inside face ``boxes`` (T, 4)."""
    return (predictor or _dlib()).predict_clip(frames, dlib_boxes(boxes))


@lru_cache(maxsize=1)
def _dlib():
    """dlib's predictor, loaded once per process (about a second)."""
    from dfkit.landmarks import Dlib68Predictor

    return Dlib68Predictor()


@dataclass
class VideoSignals:
    """One video's signals: fps; landmarks (T, 68, 2) px; rgb (T, 3) mean skin colour; boxes (T, 4);
    found (T,) bool (a face was detected, not interpolated); frame_size (H, W)."""

    fps: float
    landmarks: np.ndarray
    rgb: np.ndarray
    boxes: np.ndarray
    found: np.ndarray
    frame_size: tuple


def extract_signals(frames, fps, boxes, found, module, predictor=None):
    """:class:`VideoSignals` of consecutive ``frames`` (T, H, W, 3) at ``fps`` with face ``boxes`` (T, 4);
    ``module``: the detector's builder module (its ``skin_trace``)."""
    landmarks = video_landmarks(frames, boxes, predictor)
    return VideoSignals(float(fps), landmarks, np.asarray(module.skin_trace(frames, landmarks), np.float64),
                        np.asarray(boxes, np.float32), np.asarray(found, bool), tuple(np.shape(frames)[1:3]))


def read_signal_frames(path, max_seconds=MAX_SECONDS):
    """``(frames (T, H, W, 3) uint8, fps)``: the first ``max_seconds`` of consecutive frames of a video."""
    from dfkit.video import probe, read_frames

    info = probe(path)
    count = max(1, min(info.num_frames, int(round(max_seconds * info.fps))))
    frames, _ = read_frames(path, max_frames=count)
    return frames, float(info.fps)


def cache_path(cache_dir, uid, impl):
    """Where :func:`cached_signals` keeps video ``uid`` ("<method>/<video_id>") computed with ``impl``."""
    digest = hashlib.sha1(uid.encode()).hexdigest()[:8]
    return Path(cache_dir) / f"{uid.replace('/', '__')}.{digest}.{impl}.npz"


def save_signals(path, signals):
    """Write ``signals`` (:class:`VideoSignals`) to ``path`` (.npz) atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, fps=signals.fps, landmarks=signals.landmarks, rgb=signals.rgb, boxes=signals.boxes,
                 found=signals.found, frame_size=np.array(signals.frame_size))


def load_signals(path):
    """The :class:`VideoSignals` saved at ``path``."""
    with np.load(path) as data:
        return VideoSignals(float(data["fps"]), data["landmarks"], data["rgb"], data["boxes"], data["found"],
                            tuple(int(v) for v in data["frame_size"]))
