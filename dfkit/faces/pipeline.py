"""The one face path: every face a model sees (preprocessing, training, evaluation, detect_video) is made here.

Policy, the same everywhere:

1. boxes for the sampled frames: MTCNN on a copy downscaled to ``DETECT_SIZE`` px, faces smaller than
   ``MIN_FACE`` of the frame's shorter side ignored, every face linked into a track across the frames
   (implausible detections and short tracks dropped, :mod:`dfkit.faces.tracks`), frames without that
   face filled from their neighbours, each track smoothed over ``SMOOTH_WINDOW`` sampled frames
   (:class:`FaceTracker`: the main track, or all of them); or a synthetic clip's ground-truth boxes;
2. a square crop of ``FACE_MARGIN`` x the box, zero-padded off-frame, at ``CROP_SIZE`` px
   (:func:`crop_faces`): what the preprocessing cache stores (lossless PNG);
3. per model: resized to its input side and normalised (:class:`dfkit.data.ModelInput`).

The crop itself is the phase-1 exercise ``crop_face``, reached through the implementation switch:
the reference solution by default, the learner's own under ``DFD_IMPL=templates``.
"""
import numpy as np

from dfkit.curriculum import load
from dfkit.faces.tracks import face_tracks

FACE_MARGIN = 1.3     # crop side / face box side, as in FaceForensics++
CROP_SIZE = 320       # side (px) of the cached crops, resized to each model's input side when read
DETECT_SIZE = 640     # MTCNN runs on frames downscaled to this longer side (px)
MIN_FACE = 0.1        # smallest face looked for, as a fraction of the frame's shorter side
MIN_FACE_PX = 20      # ... and never below MTCNN's own default (px)
SMOOTH_WINDOW = 5     # box track smoothing, in sampled frames
CROP_EXERCISE = "phase1_cnn_detection.template_feature_extraction"


def crop_face(frame, box, margin=FACE_MARGIN, size=None):
    """Square crop (S, S, 3) uint8 of ``frame`` (H, W, 3) around ``box`` [x0, y0, x1, y1] scaled by ``margin``.

    ``S = round(margin * max(box width, height))`` or ``size``; zeros off-frame. The phase-1 exercise's
    ``crop_face`` through the implementation switch.
    """
    return load(CROP_EXERCISE).crop_face(frame, box, margin, size)


def crop_faces(frames, boxes, margin=FACE_MARGIN, size=CROP_SIZE):
    """One crop per frame: ``frames`` (T, H, W, 3) uint8 and ``boxes`` (T, 4) -> (T, size, size, 3) uint8."""
    crop = load(CROP_EXERCISE).crop_face
    return np.stack([crop(frame, box, margin, size) for frame, box in zip(frames, boxes)])


def min_face_px(frame_shape, min_face=MIN_FACE):
    """Smallest face (px) looked for in frames of ``frame_shape`` (H, W, ...)."""
    return max(MIN_FACE_PX, min_face * min(frame_shape[:2]))


class FaceTracker:
    """Face boxes in the sampled frames, by the policy above: ``tracker(frames) -> (boxes, found)`` for the
    main face (the longest track), ``tracker.tracks(frames)`` for every face.

    frames (T, H, W, 3) uint8; boxes (T, 4) float px; found (T,) bool (False where the box was
    interpolated). MTCNN loads on first use. Raises :class:`dfkit.errors.NoFaceError` without any face.
    """

    def __init__(self, device=None, detect_size=DETECT_SIZE, min_face=MIN_FACE):
        self.device, self.detect_size, self.min_face = device, detect_size, min_face
        self._detector = None

    @property
    def detector(self):
        """The :class:`dfkit.faces.FaceDetector` (MTCNN), created on first use."""
        if self._detector is None:
            from dfkit.faces.detector import FaceDetector

            self._detector = FaceDetector(device=self.device, detect_size=self.detect_size)
        return self._detector

    def tracks(self, frames, progress=False):
        """Every plausible face track of ``frames``, longest first: a list of :class:`dfkit.faces.tracks.FaceTrack`."""
        detector = self.detector
        detector.min_face_size = min_face_px(np.shape(frames)[1:], self.min_face)
        return face_tracks(detector.detect_all(frames, progress=progress), window=SMOOTH_WINDOW)

    def __call__(self, frames, progress=False):
        main = self.tracks(frames, progress=progress)[0]
        return main.boxes, main.found
