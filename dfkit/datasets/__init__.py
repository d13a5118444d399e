"""Readers for real deepfake datasets in their published layouts.

``load_records(name, root, split=None, methods=None, compression="c23")`` returns
a sorted list of :class:`VideoRecord` (path, label 1 = fake, video_id, method,
split, source_id). A missing root or a folder without the expected layout raises
:class:`dfkit.errors.DatasetLayoutError` saying what was expected where.
"""
from dfkit.datasets.celebdf import load_celebdf
from dfkit.datasets.dfdc import load_dfdc
from dfkit.datasets.faceforensics import COMPRESSIONS, load_faceforensics, load_synthetic
from dfkit.datasets.folder import load_folder
from dfkit.datasets.record import VIDEO_EXTENSIONS, VideoRecord
from dfkit.errors import DatasetLayoutError

DATASETS = {
    "faceforensics": load_faceforensics,
    "celebdf": load_celebdf,
    "dfdc": load_dfdc,
    "folder": load_folder,
    "synthetic": load_synthetic,
}


def load_records(name, root, split=None, methods=None, compression="c23"):
    """The videos of dataset ``name`` (a key of DATASETS) under ``root``, sorted by (method, video_id).

    split: "train" / "val" / "test" where the dataset defines it (None = all videos).
    methods: method names to keep ("real" = pristine videos); None = the dataset's default set.
    compression: FaceForensics++ quality folder (raw, c23, c40); other datasets ignore it.
    """
    if name not in DATASETS:
        raise DatasetLayoutError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    return DATASETS[name](root, split=split, methods=methods, compression=compression)


__all__ = ["COMPRESSIONS", "DATASETS", "VIDEO_EXTENSIONS", "VideoRecord", "load_records"]
