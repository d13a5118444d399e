"""Torch datasets over preprocessed face crops (the output of ``python -m dfkit.preprocess``).

Items: :class:`FaceFrameDataset` -> (image (3, H, W) float in [0, 1], label, video_id);
:class:`FaceClipDataset` -> (clip (T, 3, H, W), label, video_id). ``label`` 1 = fake;
``video_id`` is the manifest uid "<method>/<video_id>" (unique even where a dataset
reuses names across methods, as FaceForensics++ does), for per-video scores.
"""
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from dfkit.data.augment import resize
from dfkit.errors import DatasetLayoutError
from dfkit.preprocess import read_manifest


def image_to_tensor(rgb):
    """(H, W, 3) uint8 RGB array -> (3, H, W) float32 tensor in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float() / 255


def load_crop(path):
    """A crop PNG as (H, W, 3) uint8 RGB; DatasetLayoutError if it is missing or unreadable."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetLayoutError(f"face crop missing or unreadable: {path} (rerun python -m dfkit.preprocess)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def clip_windows(num_frames, clip_len):
    """Start indices of the non-overlapping windows of ``clip_len`` frames in ``num_frames`` frames."""
    return list(range(0, num_frames - clip_len + 1, clip_len))


def select_videos(out_dir, split=None, methods=None):
    """The "ok" manifest entries of ``out_dir`` in ``split`` and ``methods``; an error if none are left."""
    entries = [e for e in read_manifest(out_dir, status="ok")
               if (split is None or e["split"] == split) and (methods is None or e["method"] in methods)]
    if not entries:
        raise DatasetLayoutError(
            f"no preprocessed videos under {out_dir} for split={split!r}, methods={methods!r}")
    return entries


class FaceFrameDataset(Dataset):
    """One item per face crop: (image (3, H, W) float in [0, 1], label, video_id).

    size: resize crops to (size, size) (None keeps the preprocessed size).
    transform: called on the image tensor (e.g. :func:`dfkit.data.build_augmentation`).
    ``labels`` and ``video_ids`` (one per item) serve samplers and per-video scoring.
    """

    def __init__(self, out_dir, split=None, methods=None, transform=None, size=None):
        self.out_dir = Path(out_dir)
        self.transform, self.size = transform, size
        self.items = [(crop, e["label"], e["uid"])
                      for e in select_videos(out_dir, split, methods) for crop in e["crops"]]
        self.labels = [label for _, label, _ in self.items]
        self.video_ids = [uid for _, _, uid in self.items]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        crop, label, uid = self.items[index]
        image = image_to_tensor(load_crop(self.out_dir / crop))
        if self.size is not None:
            image = resize(image, self.size)
        if self.transform is not None:
            image = self.transform(image)
        return image, label, uid


class FaceClipDataset(Dataset):
    """One item per window of ``clip_len`` consecutive crops of a video: (clip (T, 3, H, W), label, video_id).

    Windows do not overlap; a video with fewer than ``clip_len`` crops gives none.
    ``transform`` sees the whole clip, so one draw of its parameters covers every frame.
    """

    def __init__(self, out_dir, clip_len, split=None, methods=None, transform=None, size=None):
        self.out_dir = Path(out_dir)
        self.clip_len, self.transform, self.size = clip_len, transform, size
        self.items = [(e["crops"][start:start + clip_len], e["label"], e["uid"])
                      for e in select_videos(out_dir, split, methods)
                      for start in clip_windows(len(e["crops"]), clip_len)]
        if not self.items:
            raise DatasetLayoutError(f"no preprocessed video under {out_dir} has {clip_len} crops; "
                                     "preprocess with more --frames or use a shorter clip_len")
        self.labels = [label for _, label, _ in self.items]
        self.video_ids = [uid for _, _, uid in self.items]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        crops, label, uid = self.items[index]
        clip = torch.stack([image_to_tensor(load_crop(self.out_dir / crop)) for crop in crops])
        if self.size is not None:
            clip = resize(clip, self.size)
        if self.transform is not None:
            clip = self.transform(clip)
        return clip, label, uid
