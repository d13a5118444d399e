"""How the drivers feed each input kind: training items from a face source, and the items of one video.

``face_crops`` detectors score one face crop at a time; ``face_clips`` detectors score windows of
``clip_len`` consecutive face crops. Both start from the crops of the one face path
(:mod:`dfkit.faces.pipeline`) and end in :class:`dfkit.data.model_input.ModelInput`, so a face is the
same tensor in training, evaluation and detection. "signals" detectors (one physiological feature
vector per video from consecutive frames) are fed by :mod:`dfkit.drivers.signals`; other input kinds
are added here as their phases land.
"""
import torch

from dfkit.data import FaceDataset
from dfkit.data.face_dataset import clip_windows
from dfkit.data.model_input import ModelInput, crops_to_unit_float
from dfkit.errors import DfkitError

DATASET_ITEMS = {"face_crops": "frames", "face_clips": "clips"}


def _item(kind):
    if kind not in DATASET_ITEMS:
        raise DfkitError(f"the train / evaluate / detect drivers cannot feed {kind!r} detectors yet "
                         f"(they feed {', '.join(DATASET_ITEMS)})")
    return DATASET_ITEMS[kind]


def face_dataset(kind, source, spec, augment="none"):
    """Torch dataset of ``(model input, label, video_id)`` items of ``source`` for a ``kind`` detector."""
    return FaceDataset(source, item=_item(kind), clip_len=spec.clip_len,
                       transform=ModelInput(spec.size, spec.mean, spec.std, augment))


def video_inputs(kind, crops, spec):
    """The model inputs of one video's crops (T, S, S, 3) uint8: ``(inputs (N, ...), positions)``.

    positions[n]: the indices (into the T crops) that item n covers: one per crop for ``face_crops``,
    ``clip_len`` consecutive ones per non-overlapping window for ``face_clips``.
    """
    item = _item(kind)
    faces = ModelInput(spec.size, spec.mean, spec.std)(crops_to_unit_float(crops))
    if item == "frames":
        return faces, [[t] for t in range(len(faces))]
    starts = clip_windows(len(faces), spec.clip_len)
    if not starts:
        raise DfkitError(f"this detector reads clips of {spec.clip_len} frames but the video gave "
                         f"{len(faces)}: sample more frames (--frames)")
    return (torch.stack([faces[s:s + spec.clip_len] for s in starts]),
            [list(range(s, s + spec.clip_len)) for s in starts])
