"""Torch datasets of face crops and clips (from preprocessed folders or in-memory synthetic clips)
deepfake-relevant augmentations, and identity-safe video-level splits.

Items are (image (3, H, W) float in [0, 1], label 1 = fake, video_id) or
(clip (T, 3, H, W), label, video_id).
"""
from dfkit.data.augment import Augmentation, build_augmentation
from dfkit.data.frames import FaceClipDataset, FaceFrameDataset
from dfkit.data.in_memory import SyntheticClipDataset, SyntheticFrameDataset
from dfkit.data.video_split import VideoSubset, split_videos, video_groups

__all__ = ["Augmentation", "FaceClipDataset", "FaceFrameDataset", "SyntheticClipDataset", "SyntheticFrameDataset",
           "VideoSubset", "build_augmentation", "split_videos", "video_groups"]
