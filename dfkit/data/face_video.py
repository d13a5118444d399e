"""One video of a face source: its face crops and its ground truth, both read when asked.

Every source (:class:`dfkit.data.PreprocessedFaces`, :class:`dfkit.data.SyntheticFaces`) is a sequence
of :class:`FaceVideo` records with the same fields, so :class:`dfkit.data.FaceDataset` serves frames,
clips or whole videos from any of them.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

TRUTH_FIELDS = ("boxes", "landmarks", "blinks", "pulse_bpm", "fps", "masks")


def make_truth(boxes, landmarks=None, blinks=None, pulse_bpm=None, fps=None, masks=None):
    """The ground truth of T sampled frames, typed; None where the dataset does not know it.

    boxes (T, 4) float32 [x0, y0, x1, y1] px of the original frame; landmarks (T, 68, 2) float32 px,
    iBUG order; blinks: list of inclusive (start, end) ranges of complete blinks, in original frame
    numbers; pulse_bpm: float (None also when the clip has no pulse); fps: float; masks: (T, H, W)
    uint8 0-255 in, float32 in [0, 1] out (1 = manipulated).
    """
    return {
        "boxes": np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        "landmarks": None if landmarks is None else np.asarray(landmarks, dtype=np.float32),
        "blinks": None if blinks is None else [(int(start), int(end)) for start, end in blinks],
        "pulse_bpm": None if pulse_bpm is None else float(pulse_bpm),
        "fps": None if fps is None else float(fps),
        "masks": None if masks is None else np.asarray(masks, dtype=np.float32) / 255,
    }


@dataclass(frozen=True, eq=False)
class FaceVideo:
    """A video's T sampled faces, with its label and ground truth.

    uid: "<method>/<video_id>", unique in its source; label: 1 = fake; frame_indices: (T,) int64,
    the original frame number of each face. ``faces(start, stop)`` -> (n, 3, S, S) uint8 RGB crops of
    faces ``start .. stop - 1``; ``truth``: {:data:`TRUTH_FIELDS`} of those T frames (see :func:`make_truth`).
    read_faces(slice) and read_truth() are the source's readers (a preprocessed source reads files).
    """

    uid: str
    label: int
    method: str
    frame_indices: np.ndarray
    read_faces: Callable = field(repr=False)
    read_truth: Callable = field(repr=False)

    def __len__(self):
        return len(self.frame_indices)

    def faces(self, start=0, stop=None):
        """(n, 3, S, S) uint8 crops of faces ``start`` to ``stop - 1`` (all by default)."""
        return self.read_faces(slice(start, stop))

    @property
    def truth(self):
        """{boxes, landmarks, blinks, pulse_bpm, fps, masks} at the sampled frames, read on each access."""
        return self.read_truth()
