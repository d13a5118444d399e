"""68-point facial landmarks in iBUG / dlib order, from dlib's predictor or from ground truth.

Point groups (index slices into a (68, 2) array of [x, y] px): jaw 0-16, right brow 17-21, left brow
22-26, nose 27-35, right eye 36-41 (image-left), left eye 42-47, mouth 48-67 (outer lip 48-59).
Phase code takes any :class:`LandmarkPredictor`, so a synthetic clip's true landmarks and dlib's
predictions are interchangeable.
"""
import importlib.util
from pathlib import Path
from typing import Protocol

import numpy as np

from dfkit.errors import DfkitError

JAW = slice(0, 17)
BROW_RIGHT = slice(17, 22)
BROW_LEFT = slice(22, 27)
NOSE = slice(27, 36)
EYE_RIGHT = slice(36, 42)  # subject's right eye, on the image's left
EYE_LEFT = slice(42, 48)
MOUTH = slice(48, 68)
MOUTH_OUTER = slice(48, 60)
MOUTH_INNER = slice(60, 68)
NOSE_TIP, MOUTH_CORNER_RIGHT, MOUTH_CORNER_LEFT = 30, 48, 54

_MODEL_FILE = "shape_predictor_68_face_landmarks.dat"


def five_point_from_68(points68):
    """(..., 68, 2) landmarks -> (..., 5, 2) in MTCNN order: image-left eye centre, image-right eye
    centre, nose tip (30), image-left mouth corner (48), image-right mouth corner (54)."""
    points68 = np.asarray(points68, dtype=np.float64)
    return np.stack([points68[..., EYE_RIGHT, :].mean(axis=-2), points68[..., EYE_LEFT, :].mean(axis=-2),
                     points68[..., NOSE_TIP, :], points68[..., MOUTH_CORNER_RIGHT, :],
                     points68[..., MOUTH_CORNER_LEFT, :]], axis=-2)


class LandmarkPredictor(Protocol):
    """Anything that gives 68 landmarks per frame of a clip."""

    def predict_clip(self, frames, boxes):
        """``frames`` (T, H, W, 3) uint8 RGB, ``boxes`` (T, 4) -> (T, 68, 2) float32 [x, y] px."""


class GroundTruthLandmarks:
    """A :class:`LandmarkPredictor` that returns known landmarks (T, 68, 2), e.g. a synthetic clip's."""

    def __init__(self, landmarks):
        self.landmarks = np.asarray(landmarks, dtype=np.float32)
        if self.landmarks.ndim != 3 or self.landmarks.shape[1:] != (68, 2):
            raise ValueError(f"expected landmarks of shape (T, 68, 2), got {self.landmarks.shape}")

    def predict_clip(self, frames, boxes=None):
        """Return the stored (T, 68, 2) landmarks; ``frames`` must have the same T (``boxes`` unused)."""
        if len(frames) != len(self.landmarks):
            raise ValueError(f"clip has {len(frames)} frames but {len(self.landmarks)} landmark sets")
        return self.landmarks.copy()


def dlib_model_path():
    """Path of dlib's 68-point model shipped by the face_recognition_models package (not imported)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise DfkitError(f"dlib's 68-point landmark model ({_MODEL_FILE}) was not found: install it with "
                         f"'pip install face-recognition-models' or pass model_path=")
    return Path(spec.submodule_search_locations[0]) / "models" / _MODEL_FILE


class Dlib68Predictor:
    """dlib's 68-point shape predictor (iBUG 300-W) applied inside a face box.

    ``model_path`` defaults to :func:`dlib_model_path`. Boxes from MTCNN work as they are.
    """

    def __init__(self, model_path=None):
        import dlib  # optional heavy dependency, needed only here

        path = Path(model_path) if model_path is not None else dlib_model_path()
        if not path.is_file():
            raise DfkitError(f"dlib landmark model not found at '{path}': install it with "
                             f"'pip install face-recognition-models' or pass model_path= to a "
                             f"{_MODEL_FILE} file")
        self._dlib = dlib
        self.predictor = dlib.shape_predictor(str(path))

    def predict(self, frame, box):
        """``frame`` (H, W, 3) uint8 RGB, ``box`` (4,) [x0, y0, x1, y1] -> (68, 2) float32 [x, y] px."""
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        shape = self.predictor(frame, self._dlib.rectangle(x0, y0, x1, y1))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)

    def predict_clip(self, frames, boxes):
        """``frames`` (T, H, W, 3), ``boxes`` (T, 4) -> (T, 68, 2) float32."""
        if len(frames) != len(boxes):
            raise ValueError(f"got {len(frames)} frames but {len(boxes)} boxes")
        return np.stack([self.predict(f, b) for f, b in zip(frames, boxes)])
