"""What phase 1's command-line tools share (train.py, evaluate.py, ../detect_video.py). Not an exercise.

* :func:`add_runtime_arguments`: the device / worker / progress flags of train.py and evaluate.py.
* :func:`use_impl`: route ``--impl`` to every phase module the tools load (through the switch).
* :class:`Phase1Config`: dfkit's TrainConfig plus the phase-1 settings a checkpoint must remember.
* :func:`load_trained_detector`: checkpoint -> (model in eval mode, arch, input spec).
* :class:`Normalizer`, :func:`preprocess_faces_dir`: face crops for training and evaluation.
"""
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

from dfkit.curriculum.switch import ENV_VAR
from dfkit.errors import CheckpointError, DatasetLayoutError
from dfkit.training import TrainConfig, load_checkpoint, load_model_weights

CLASSIFIER = "phase1_cnn_detection.template_classifier"
FEATURES = "phase1_cnn_detection.template_feature_extraction"
FACE_MARGIN = 1.3   # crop side / face box side, as in FaceForensics++
CROP_SIZE = 320     # side of the cached face crops (resized to the model's input size when read)
DATASETS = ("synthetic", "faceforensics", "celebdf", "dfdc", "folder")


def add_runtime_arguments(parser):
    """--device, --num-workers and --quiet, as train.py and evaluate.py take them."""
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    parser.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def use_impl(impl):
    """Make ``impl`` ("solutions" / "templates" / None = keep the default) apply to every phase module,
    including the architecture modules that template_classifier itself loads through the switch."""
    if impl:
        os.environ[ENV_VAR] = impl


@dataclass
class Phase1Config(TrainConfig):
    """TrainConfig plus what evaluation and detection need to rebuild the input pipeline.

    image_size: side (px) of the model's input crops; dataset: the training dataset's name;
    frames_per_video: face crops per training video; margin: crop side / face box side.
    """

    image_size: Optional[int] = None
    dataset: str = ""
    frames_per_video: int = 0
    margin: float = FACE_MARGIN


def model_input_spec(classifier, arch, image_size=None):
    """``(size, mean, std)`` for ``arch``, with ``image_size`` overriding the default size."""
    size, mean, std = classifier.input_spec(arch)
    return (image_size or size), mean, std


def load_trained_detector(path, classifier, arch=None, device="cpu"):
    """Rebuild the detector a checkpoint was trained as and load its weights.

    path: a train.py checkpoint (names its architecture) or a bare state_dict (then ``arch`` is
    required). Returns ``(model in eval mode on device, arch, (size, mean, std), checkpoint dict)``.
    Raises CheckpointError for a missing or corrupt file, an unknown architecture or weights that
    do not fit it.
    """
    checkpoint = load_checkpoint(path)
    saved_arch = checkpoint.get("arch") or ""
    arch = arch or saved_arch
    if not arch:
        raise CheckpointError(f"{path} is a bare state_dict without an architecture name: pass --arch "
                              f"({', '.join(classifier.DETECTORS)})")
    if arch not in classifier.DETECTORS:
        raise CheckpointError(f"{path} holds a {arch!r} model, not a phase-1 detector "
                              f"({', '.join(classifier.DETECTORS)})")
    model = classifier.build_detector(arch)
    load_model_weights(path, model, arch=arch)
    spec = model_input_spec(classifier, arch, checkpoint.get("config", {}).get("image_size"))
    return model.to(device).eval(), arch, spec, checkpoint


class Normalizer:
    """Callable: float image(s) (..., 3, H, W) in [0, 1] -> [augmented,] resized to ``size``, normalised."""

    def __init__(self, size, mean, std, augment="none"):
        from dfkit.data import build_augmentation

        self.augmentation = build_augmentation(augment, size=size)
        self.mean, self.std = list(mean), list(std)

    def __call__(self, image):
        from torchvision.transforms.v2.functional import normalize

        return normalize(self.augmentation(image), self.mean, self.std)


def video_methods(video_ids):
    """Manipulation name per item from "<method>/<video>" ids (real videos: "real")."""
    return [str(v).split("/", 1)[0] for v in video_ids]


def preprocess_faces_dir(records, faces_dir, dataset, frames, detector=None, device=None, detect_size=None,
                         progress=None):
    """Crop the faces of ``records`` into ``faces_dir`` (resumable: done videos are skipped).

    detector: "groundtruth" (synthetic sidecar boxes) or "mtcnn"; None picks groundtruth for the
    synthetic dataset and MTCNN otherwise. Under torchrun each rank crops its share of the videos.
    """
    from dfkit.preprocess import PreprocessOptions, preprocess_records
    from dfkit.training import distributed

    if detector is None:
        detector = "groundtruth" if dataset == "synthetic" else "mtcnn"
    options = PreprocessOptions(frames=frames, size=CROP_SIZE, margin=FACE_MARGIN, detector=detector,
                                detect_size=detect_size, device=device)
    summary = preprocess_records(records, faces_dir, options, dataset=dataset,
                                 shard=(distributed.rank(), distributed.world_size()), progress=progress)
    distributed.barrier()
    return summary


def check_both_classes(labels, what):
    """DatasetLayoutError unless ``labels`` hold real (0) and fake (1) items."""
    labels = np.asarray(labels)
    if not ((labels == 0).any() and (labels == 1).any()):
        raise DatasetLayoutError(f"{what} needs real and fake videos; it has {int((labels == 0).sum())} real "
                                 f"and {int((labels == 1).sum())} fake face crops")
