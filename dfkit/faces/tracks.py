"""Face tracks: every person's face followed across a clip's sampled frames, not "the largest face".

A frame may show two people, or a hand MTCNN takes for a face. The policy, used by
:class:`dfkit.faces.FaceTracker`:

1. each detection must look like a face (:func:`plausible_face`): MTCNN confidence at least
   ``MIN_CONFIDENCE``, box height / width within ``ASPECT_RANGE``, and its five points in a face's
   order (eyes apart, both eyes above the nose and the nose above the mouth along the face's own
   up direction, all inside the box);
2. detections are linked frame to frame (:func:`link_detections`): a track continues with the
   detection overlapping its last box most (IoU at least ``MIN_IOU``), else with the one whose centre
   is nearest, within ``MAX_SHIFT`` face sides and a size change of at most ``MAX_SCALE`` (sampled
   frames can be a second apart); the best pairs are taken first; an unmatched detection starts a track;
3. a track must hold a face in at least ``MIN_TRACK_FRACTION`` of the frames (the longest track is
   always kept, so a face seen briefly is still found); its gaps are filled by interpolation and the
   track smoothed, as for a single face (:func:`dfkit.faces.boxes.fill_missing_boxes`, ``smooth_boxes``).

Tracks come longest first (ties: larger face first): track 0 is the clip's main face.
Boxes are float ``[x0, y0, x1, y1]`` px.
"""
import math
from dataclasses import dataclass

import numpy as np

from dfkit.errors import NoFaceError
from dfkit.faces.boxes import fill_missing_boxes, smooth_boxes

MIN_CONFIDENCE = 0.8        # MTCNN's last-stage probability a kept detection needs (MTCNN itself keeps >= 0.7)
ASPECT_RANGE = (0.8, 2.0)   # box height / width of a face (MTCNN's are about 1.2-1.4)
MIN_EYE_DISTANCE = 0.15     # eye-to-eye distance, as a fraction of the box width (a profile still has two)
MIN_IOU = 0.3               # overlap that continues a track
MAX_SHIFT = 0.75            # ... else the largest centre move, in face sides (sqrt of the box area)
MAX_SCALE = 1.5             # ... and the largest change of face side between linked detections
MIN_TRACK_FRACTION = 0.25   # a track needs a face in at least this fraction of the sampled frames


@dataclass
class FaceTrack:
    """One face across T sampled frames: ``boxes`` (T, 4) float px, filled and smoothed; ``found`` (T,) bool,
    False where the box was interpolated; ``confidence`` (T,) float, MTCNN's probability (NaN where not found)."""

    boxes: np.ndarray
    found: np.ndarray
    confidence: np.ndarray


def _side(box):
    """Face side (px): the square root of the box area."""
    return math.sqrt(max(box[2] - box[0], 1e-6) * max(box[3] - box[1], 1e-6))


def _centre(box):
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


def iou(a, b):
    """Intersection over union of boxes ``a`` and ``b`` (4,)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def plausible_face(detection, min_confidence=MIN_CONFIDENCE):
    """Whether a :class:`dfkit.faces.Detection` passes the face sanity checks of the policy above."""
    box, points = np.asarray(detection.box, float), np.asarray(detection.points, float)
    width, height = box[2] - box[0], box[3] - box[1]
    if detection.score < min_confidence or width <= 0 or not ASPECT_RANGE[0] <= height / width <= ASPECT_RANGE[1]:
        return False
    slack = 0.1 * np.array([-width, -height, width, height])
    lo, hi = box[:2] + slack[:2], box[2:] + slack[2:]
    if not ((points >= lo) & (points <= hi)).all():
        return False
    left_eye, right_eye, nose, mouth_left, mouth_right = points
    eyes, mouth = (left_eye + right_eye) / 2, (mouth_left + mouth_right) / 2
    down = mouth - eyes  # the face's own down direction (a tilted head tilts it)
    length = float(np.hypot(*down))
    if np.hypot(*(right_eye - left_eye)) < MIN_EYE_DISTANCE * width or length < 0.15 * height:
        return False
    unit = down / length
    nose_depth = float((nose - eyes) @ unit) / length   # 0 at the eyes, 1 at the mouth
    eye_depths = [float((eye - eyes) @ unit) for eye in (left_eye, right_eye)]
    return 0.0 < nose_depth < 1.0 and max(abs(d) for d in eye_depths) < 0.5 * length


def _affinity(last, box):
    """How well ``box`` continues a track whose last box is ``last``: in (1, 2] for an overlap, in [0.5, 1]
    for a near centre, None when it cannot."""
    overlap = iou(last, box)
    if overlap >= MIN_IOU:
        return 1.0 + overlap
    side, other = _side(last), _side(box)
    shift = float(np.hypot(*(_centre(box) - _centre(last)))) / side
    if shift > MAX_SHIFT or max(side, other) / min(side, other) > MAX_SCALE:
        return None
    return 1.0 - shift / (2 * MAX_SHIFT)


def link_detections(detections):
    """Link per-frame detections into tracks: ``detections`` (T lists of objects with a ``box``) ->
    a list of tracks, each a length-T list holding that track's detection or None per frame."""
    tracks = []  # each: list of (frame, detection)
    for t, found in enumerate(detections):
        pairs = []
        for k, track in enumerate(tracks):
            for j, detection in enumerate(found):
                affinity = _affinity(track[-1][1].box, detection.box)
                if affinity is not None:
                    pairs.append((affinity, k, j))
        taken_tracks, taken_detections = set(), set()
        for _, k, j in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
            if k not in taken_tracks and j not in taken_detections:
                tracks[k].append((t, found[j]))
                taken_tracks.add(k)
                taken_detections.add(j)
        tracks.extend([(t, found[j])] for j in range(len(found)) if j not in taken_detections)
    linked = []
    for track in tracks:
        per_frame = [None] * len(detections)
        for t, detection in track:
            per_frame[t] = detection
        linked.append(per_frame)
    return linked


def face_tracks(detections, window=5, min_confidence=MIN_CONFIDENCE):
    """The plausible face tracks of a clip, longest first (see the module's policy).

    detections: T lists of :class:`dfkit.faces.Detection` (:meth:`dfkit.faces.FaceDetector.detect_all`).
    window: box smoothing, in sampled frames. Returns a list of :class:`FaceTrack`; raises
    :class:`dfkit.errors.NoFaceError` when no frame holds a plausible face.
    """
    kept = [[d for d in found if plausible_face(d, min_confidence)] for found in detections]
    linked = link_detections(kept)
    if not linked:
        total = sum(len(found) for found in detections)
        raise NoFaceError(f"no face found in any of the {len(detections)} frames ({total} detections, none "
                          f"with confidence >= {min_confidence} and a face's shape)")
    tracks = []
    for per_frame in linked:
        found = np.array([d is not None for d in per_frame])
        boxes = np.zeros((len(per_frame), 4))
        boxes[found] = [d.box for d in per_frame if d is not None]
        confidence = np.array([np.nan if d is None else d.score for d in per_frame])
        side = np.mean([_side(b) for b in boxes[found]])
        tracks.append((int(found.sum()), side, FaceTrack(smooth_boxes(fill_missing_boxes(boxes, found), window),
                                                         found, confidence)))
    tracks.sort(key=lambda item: (-item[0], -item[1]))
    needed = math.ceil(MIN_TRACK_FRACTION * len(detections))
    return [track for i, (count, _, track) in enumerate(tracks) if i == 0 or count >= needed]
