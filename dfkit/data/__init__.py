"""Torch datasets of faces as source x item, deepfake-relevant augmentations, identity-safe video-level splits.

Sources (sequences of :class:`FaceVideo`: uid, label, frame indices, face crops, ground truth):
:class:`PreprocessedFaces` (a ``python -m dfkit.preprocess`` folder) and :class:`SyntheticFaces`
(in-memory synthetic clips). Items: ``FaceDataset(source, item="frames" | "clips" | "videos")``
gives (image (3, H, W) float in [0, 1], label 1 = fake, video_id), (clip (T, 3, H, W), label,
video_id) or a dict per video with faces and every truth field (batch with :func:`collate_videos`).
"""
from dfkit.data.augment import Augmentation, build_augmentation
from dfkit.data.face_dataset import ITEMS, FaceDataset, collate_videos
from dfkit.data.face_video import TRUTH_FIELDS, FaceVideo, make_truth
from dfkit.data.in_memory import SyntheticFaces
from dfkit.data.model_input import ModelInput
from dfkit.data.preprocessed import PreprocessedFaces
from dfkit.data.video_split import VideoSubset, split_videos, video_groups

__all__ = ["Augmentation", "FaceDataset", "FaceVideo", "ITEMS", "ModelInput", "PreprocessedFaces", "SyntheticFaces",
           "TRUTH_FIELDS", "VideoSubset", "build_augmentation", "collate_videos", "make_truth", "split_videos",
           "video_groups"]
