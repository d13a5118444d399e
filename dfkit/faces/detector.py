"""Face detection with MTCNN (facenet-pytorch): one face or every face per frame, batched, optionally downscaled."""
from dataclasses import dataclass

import cv2
import numpy as np
from tqdm.auto import tqdm

from dfkit.errors import NoFaceError
from dfkit.faces.boxes import fill_missing_boxes, smooth_boxes

_SMALLEST_DETECTABLE = 12  # px: MTCNN's first network looks at 12 x 12 windows


@dataclass
class Detection:
    """One face: ``box`` (4,) [x0, y0, x1, y1] px, ``score`` in [0, 1], ``points`` (5, 2) [x, y] px
    in MTCNN order: image-left eye, image-right eye, nose, image-left mouth corner, image-right one."""

    box: np.ndarray
    score: float
    points: np.ndarray


class FaceDetector:
    """MTCNN detector: at most one face per frame (:meth:`detect`) or every face (:meth:`detect_all`).

    ``device``: torch device (default CUDA when available, else CPU). ``detect_size``: when set, frames are
    downscaled so the longer side is ``detect_size`` px before detection; boxes and points come back in
    full-resolution pixels. ``min_face_size``: smallest face, in full-resolution px. ``thresholds``: the
    three MTCNN stage thresholds. ``select``: keep the ``"largest"`` or the most ``"confident"`` face.
    """

    def __init__(self, device=None, detect_size=None, min_face_size=20, thresholds=(0.6, 0.7, 0.7),
                 batch_size=16, select="largest"):
        import torch  # heavy imports, only when a detector is made (boxes and crops need neither)
        from facenet_pytorch import MTCNN

        if select not in ("largest", "confident"):
            raise ValueError(f"select must be 'largest' or 'confident', got {select!r}")
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.detect_size, self.min_face_size = detect_size, min_face_size
        self.thresholds, self.batch_size, self.select = tuple(thresholds), batch_size, select
        self.mtcnn = MTCNN(min_face_size=min_face_size, thresholds=list(thresholds),
                           select_largest=(select == "largest"), keep_all=True, device=self.device)

    def _scale(self, shape):
        """Factor (<= 1) applied to frames of ``shape`` (H, W, ...) before detection."""
        if self.detect_size is None:
            return 1.0
        return min(1.0, self.detect_size / max(shape[:2]))

    def detect(self, frames, progress=False):
        """Detect one face in each frame of ``frames`` (N, H, W, 3) uint8 RGB (or a single (H, W, 3) frame).

        Returns a list of N :class:`Detection`, or None where no face was found.
        """
        return [self._select(found) for found in self.detect_all(frames, progress=progress)]

    def detect_all(self, frames, progress=False):
        """Every face in each frame of ``frames`` (N, H, W, 3) uint8 RGB (or a single (H, W, 3) frame).

        Returns N lists of :class:`Detection` (empty where no face was found), largest face first when
        ``select`` is "largest".
        """
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(f"expected frames of shape (N, H, W, 3), got {frames.shape}")
        scale = self._scale(frames.shape[1:])
        self.mtcnn.min_face_size = max(self.min_face_size * scale, _SMALLEST_DETECTABLE)
        starts = range(0, len(frames), self.batch_size)
        detections = []
        for start in tqdm(starts, desc="faces", unit="batch", disable=not progress, leave=False):
            batch = frames[start:start + self.batch_size]
            if scale < 1.0:
                size = (round(batch.shape[2] * scale), round(batch.shape[1] * scale))
                batch = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in batch])
            to_full_res = np.array(frames.shape[2:0:-1]) / np.array(batch.shape[2:0:-1])  # (x, y)
            boxes, scores, points = self.mtcnn.detect(np.ascontiguousarray(batch), landmarks=True)
            for frame_boxes, frame_scores, frame_points in zip(boxes, scores, points):
                detections.append(_detections(frame_boxes, frame_scores, frame_points, to_full_res))
        return detections

    def _select(self, found):
        """The selected face of one frame's detections (largest first), None without faces."""
        if not found:
            return None
        if self.select == "largest":
            return found[0]
        return max(found, key=lambda d: d.score)  # the first of equal scores, as argmax

    def detect_clip(self, frames, smooth=True, window=5, progress=False):
        """One box per frame of a clip ``frames`` (N, H, W, 3): returns ``(boxes (N, 4), found (N,) bool)``.

        Frames without a face get a box interpolated between (or held from) the nearest found ones
        (``found`` False there); ``smooth`` then averages the track over ``window`` frames.
        Raises NoFaceError when no frame has a face.
        """
        detections = self.detect(frames, progress=progress)
        found = np.array([d is not None for d in detections], dtype=bool)
        if not found.any():
            raise NoFaceError(f"no face found in any of the {len(detections)} frames "
                              f"(MTCNN thresholds {self.thresholds}, min_face_size {self.min_face_size} px)")
        boxes = np.zeros((len(detections), 4))
        boxes[found] = [d.box for d in detections if d is not None]
        boxes = fill_missing_boxes(boxes, found)
        if smooth:
            boxes = smooth_boxes(boxes, window)
        return boxes, found


def _detections(boxes, scores, points, to_full_res):
    """One frame's MTCNN output (object arrays, None without faces; largest face first) as a list of
    :class:`Detection`, coordinates multiplied by ``to_full_res`` (2,) x and y factors."""
    if boxes is None:
        return []
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) * np.tile(to_full_res, 2)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 5, 2) * to_full_res
    return [Detection(box=b, score=float(s), points=p) for b, s, p in zip(boxes, scores, points)]
