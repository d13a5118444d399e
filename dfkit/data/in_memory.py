"""Face source over in-memory synthetic :class:`dfkit.synthetic.Clip` objects (no disk).

Each clip becomes a :class:`dfkit.data.FaceVideo` with uid "<method>/<position in the list:04d>"
(:func:`dfkit.data.video_groups` pairs position 2k with 2k + 1, as ``make_clips`` does), every frame
sampled, faces cropped once at construction at the clip's ground-truth boxes (kept as uint8, so an
epoch on CPU costs only the model), and the clip's own truth: boxes, landmarks, blinks, pulse_bpm,
fps and masks (kept as uint8 0-255, as the dataset writer saves them).
"""
from functools import partial

import cv2
import numpy as np
import torch

from dfkit.data.face_video import FaceVideo, make_truth
from dfkit.faces import FACE_MARGIN, crop_face


def face_images(clip, size=None, margin=FACE_MARGIN):
    """(T, 3, S, S) uint8 crops at the ground-truth boxes (or whole frames when ``margin`` is None).

    Without ``size`` a clip keeps the side of its first crop (whole frames: their own size).
    """
    if margin is None:
        images = [f if size is None else cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA)
                  for f in clip.frames]
    else:
        side = size or crop_face(clip.frames[0], clip.boxes[0], margin=margin).shape[0]
        images = [crop_face(f, box, margin=margin, size=side) for f, box in zip(clip.frames, clip.boxes)]
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()


class SyntheticFaces:
    """The faces of ``clips``: a sequence of :class:`dfkit.data.FaceVideo`.

    size: output side (None: each clip's natural crop size; give it to batch clips of different
    sizes). margin: square crop of ``margin`` x the true face box, or None for the whole frame.
    """

    def __init__(self, clips, size=None, margin=FACE_MARGIN):
        self.videos = []
        for position, clip in enumerate(clips):
            truth = dict(boxes=clip.boxes, landmarks=clip.landmarks, blinks=clip.blinks, pulse_bpm=clip.pulse_bpm,
                         fps=clip.fps, masks=np.rint(clip.masks * 255).astype(np.uint8))
            self.videos.append(FaceVideo(f"{clip.method}/{position:04d}", int(clip.label), clip.method,
                                         np.arange(len(clip.frames), dtype=np.int64),
                                         face_images(clip, size, margin).__getitem__, partial(make_truth, **truth)))

    def __len__(self):
        return len(self.videos)

    def __getitem__(self, index):
        return self.videos[index]
