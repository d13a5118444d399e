"""Torch datasets of face crops and clips (from preprocessed folders or in-memory synthetic clips)
and deepfake-relevant augmentations.

Items are (image (3, H, W) float in [0, 1], label 1 = fake, video_id) or
(clip (T, 3, H, W), label, video_id).
"""
from dfkit.data.augment import Augmentation, build_augmentation
from dfkit.data.frames import FaceClipDataset, FaceFrameDataset
from dfkit.data.in_memory import SyntheticClipDataset, SyntheticFrameDataset

__all__ = ["Augmentation", "FaceClipDataset", "FaceFrameDataset", "SyntheticClipDataset", "SyntheticFrameDataset",
           "build_augmentation"]
