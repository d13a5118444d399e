"""Torch datasets built straight from synthetic :class:`dfkit.synthetic.Clip` objects (no disk).

Same items as :mod:`dfkit.data.frames`: (image (3, H, W), label, video_id) and
(clip (T, 3, H, W), label, video_id), with faces cropped at the clip's ground-truth
boxes. video_id is "<method>/<position of the clip in the list:04d>". Crops are made
once, at construction (kept as uint8), so an epoch on CPU costs only the model.
"""
import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from dfkit.data.frames import clip_windows
from dfkit.faces import crop_face


def _frame_images(clip, size, crop_margin):
    """(T, 3, S, S) uint8 crops at the ground-truth boxes (or whole frames when crop_margin is None).

    Without ``size`` a clip keeps the side of its first crop (whole frames: their own size).
    """
    if crop_margin is None:
        images = [f if size is None else cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA)
                  for f in clip.frames]
    else:
        side = size or crop_face(clip.frames[0], clip.boxes[0], margin=crop_margin).shape[0]
        images = [crop_face(f, box, margin=crop_margin, size=side) for f, box in zip(clip.frames, clip.boxes)]
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)


class SyntheticFrameDataset(Dataset):
    """One item per frame of every clip: (image (3, H, W) float in [0, 1], label, video_id).

    size: output side (None: each clip's natural crop size; give it to batch clips of
    different sizes). crop_margin: square crop of margin x the true face box, or None
    for the whole frame. transform: called on each image tensor.
    """

    def __init__(self, clips, size=None, crop_margin=1.3, transform=None):
        self.transform = transform
        self.images, self.labels, self.video_ids = [], [], []
        for position, clip in enumerate(clips):
            frames = _frame_images(clip, size, crop_margin)
            self.images.extend(frames)
            self.labels.extend([int(clip.label)] * len(frames))
            self.video_ids.extend([f"{clip.method}/{position:04d}"] * len(frames))

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = self.images[index].float() / 255
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index], self.video_ids[index]


class SyntheticClipDataset(Dataset):
    """One item per non-overlapping window of ``clip_len`` frames: (clip (T, 3, H, W), label, video_id).

    Arguments as :class:`SyntheticFrameDataset`; ``transform`` sees the whole window.
    """

    def __init__(self, clips, clip_len, size=None, crop_margin=1.3, transform=None):
        self.transform = transform
        self.clips, self.labels, self.video_ids = [], [], []
        for position, clip in enumerate(clips):
            frames = _frame_images(clip, size, crop_margin)
            for start in clip_windows(len(frames), clip_len):
                self.clips.append(frames[start:start + clip_len])
                self.labels.append(int(clip.label))
                self.video_ids.append(f"{clip.method}/{position:04d}")
        if not self.clips:
            raise ValueError(f"no clip has {clip_len} frames (clip_len={clip_len})")

    def __len__(self):
        return len(self.clips)

    def __getitem__(self, index):
        clip = self.clips[index].float() / 255
        if self.transform is not None:
            clip = self.transform(clip)
        return clip, self.labels[index], self.video_ids[index]
