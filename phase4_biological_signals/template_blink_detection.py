# Learner template generated from solutions/phase4_biological_signals/template_blink_detection.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: cc71a88ddfb7b162
"""Eye blinks from 68-point landmarks: the eye aspect ratio, blink events, blink rate and blink features.

Real people blink every 2-10 s, each blink lasting 100-400 ms; early face-swap generators were
trained on photos of open eyes and produced faces that rarely blink (Li et al., "In Ictu Oculi",
2018). Soukupova & Cech (2016) measure the eye opening with the *eye aspect ratio* of the six eye
landmarks p1..p6 (iBUG order: the corners p1, p4, the upper lid p2, p3, the lower lid p5, p6)::

    EAR = (|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|)

about 0.25-0.35 for an open eye, near 0 when it is shut, and independent of the face's size and
in-plane rotation. A blink is a run of consecutive frames with a low EAR.

Conventions: landmarks are (T, 68, 2) float [x, y] px in iBUG / dlib order (eyes 36-41 and 42-47);
an EAR series is (T,) float; a blink is an inclusive frame range ``(start, end)``, as in the
synthetic clips' ground truth (``clip.blinks``).
"""
import numpy as np

RIGHT_EYE, LEFT_EYE = slice(36, 42), slice(42, 48)  # subject's right eye (image left), left eye
THRESHOLD_RATIO = 0.75  # adaptive threshold: this fraction of the video's open-eye EAR
MIN_FRAMES = 2          # a blink lasts at least this many frames (one low frame is landmark noise)
BLINK_FEATURES = ("blink_rate_per_min", "mean_blink_s", "open_ear", "min_ear_ratio", "closed_fraction")


def eye_aspect_ratio(eye):
    """EAR of eyes given as (..., 6, 2) points p1..p6 -> (...) float64.

    ``(|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|)`` with Euclidean distances (index 0 is p1).

    Example::

        >>> eye_aspect_ratio(np.array([[0, 0], [1, -1], [2, -1], [3, 0], [2, 1], [1, 1]]))
        0.6666666666666666
    """
    # HINT: index with eye[..., k, :] so any leading shape works; np.linalg.norm(..., axis=-1) is a distance.
    raise NotImplementedError("phase4_biological_signals: implement eye_aspect_ratio")


def ear_series(landmarks):
    """(T, 68, 2) landmarks -> (T,) float64: the mean EAR of the two eyes in each frame."""
    raise NotImplementedError("phase4_biological_signals: implement ear_series")


def adaptive_threshold(ear, ratio=THRESHOLD_RATIO):
    """A per-video blink threshold: ``ratio`` times the open-eye EAR, the series' median.

    People's open-eye EAR differs (0.2 to 0.4), so a fixed threshold of 0.2 misses the blinks of
    narrow eyes and fires on every frame of wide ones. Eyes are open most of the time, so the median
    of the series is the open-eye level; blinks sit well below it.
    """
    raise NotImplementedError("phase4_biological_signals: implement adaptive_threshold")


def detect_blinks(ear, threshold=None, min_frames=MIN_FRAMES):
    """Blink events of an EAR series (T,): inclusive ``(start, end)`` frame ranges, in order.

    A blink is a maximal run of consecutive frames with ``ear < threshold`` lasting at least
    ``min_frames`` frames; ``threshold=None`` uses :func:`adaptive_threshold`. Shorter runs are
    dropped: a single low frame is usually landmark noise, not a blink. Returns a list of
    ``(int, int)`` tuples.

    Example::

        >>> detect_blinks(np.array([0.3, 0.1, 0.1, 0.3, 0.1, 0.3]), threshold=0.2)
        [(1, 2)]
    """
    # HINT: the padded boolean array's diff is +1 where a run starts and -1 one past where it ends.
    raise NotImplementedError("phase4_biological_signals: implement detect_blinks")


def blink_rate(blinks, num_frames, fps):
    """Blinks per minute in a clip of ``num_frames`` frames at ``fps``."""
    raise NotImplementedError("phase4_biological_signals: implement blink_rate")


def match_blinks(predicted, truth, tolerance=2):
    """``(true positives, false positives, false negatives)`` of predicted blinks against true ones.

    A predicted event ``(s, e)`` matches a true event ``(S, E)`` when they overlap once the true one
    is widened by ``tolerance`` frames on each side (``s <= E + tolerance`` and ``e >= S - tolerance``).
    Each true event matches at most one predicted event and vice versa (greedy, in time order).
    """
    # HINT: keep a set of the true events already taken; each prediction takes the first free one it overlaps.
    raise NotImplementedError("phase4_biological_signals: implement match_blinks")


def blink_features(ear, blinks, fps):
    """(5,) float64 in the order of ``BLINK_FEATURES`` for an EAR series (T,) and its ``blinks``.

    blink_rate_per_min: :func:`blink_rate`; mean_blink_s: mean blink length in seconds (0 without
    blinks); open_ear: the median EAR; min_ear_ratio: the series' minimum over its median (how far
    the eyes ever close: about 0.1-0.3 with a blink, near 1 without); closed_fraction: the share of
    frames inside a blink.
    """
    raise NotImplementedError("phase4_biological_signals: implement blink_features")
