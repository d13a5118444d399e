"""DFDC (Deepfake Detection Challenge) reader.

Layout: one or more part folders, each holding its videos beside a metadata.json::

    dfdc_train_part_0/metadata.json
        {"aaqaifqrwn.mp4": {"label": "FAKE", "original": "xyz.mp4", "split": "train"}, ...}
    dfdc_train_part_0/aaqaifqrwn.mp4

``root`` may be one part folder or a folder of parts. Fakes get method "dfdc";
``source_id`` of a fake is the id of its "original" video; ``split`` is the metadata's.
"""
import json
from pathlib import Path

from dfkit.datasets.record import REAL, VideoRecord, require_dir, select_methods
from dfkit.errors import DatasetLayoutError

FAKE_METHOD = "dfdc"
LABELS = {"REAL": 0, "FAKE": 1}


def load_dfdc(root, split=None, methods=None, compression=None):
    """Records of every part under ``root``, sorted by (method, video_id); ``compression`` is ignored."""
    root = require_dir(root, "DFDC", "metadata.json (in root or in part folders) beside the .mp4 videos")
    metadata_files = sorted(root.glob("metadata.json")) + sorted(root.glob("*/metadata.json"))
    if not metadata_files:
        raise DatasetLayoutError(
            f"DFDC layout not found under {root}: expected metadata.json in it or in its part folders "
            "(e.g. dfdc_train_part_0/metadata.json)")
    records = [r for path in metadata_files for r in _read_part(path)]
    if split is not None:
        records = [r for r in records if r.split == split]
        if not records:
            raise DatasetLayoutError(f"no DFDC video under {root} has split {split!r} in its metadata.json")
    records = select_methods(records, methods, "DFDC", root)
    return sorted(records, key=lambda r: (r.method, r.video_id))


def _read_part(path):
    """The records of one metadata.json; every entry must name a video beside it."""
    try:
        entries = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        entries = None
    if not isinstance(entries, dict):
        raise DatasetLayoutError(
            f"malformed DFDC metadata {path}: expected a JSON object {{'<file>.mp4': {{'label': 'FAKE'|'REAL', ...}}}}")
    records = []
    for name, entry in entries.items():
        label = LABELS.get(entry.get("label")) if isinstance(entry, dict) else None
        if label is None:
            raise DatasetLayoutError(f"DFDC metadata {path}: entry {name!r} needs 'label' FAKE or REAL, got {entry!r}")
        video = path.parent / name
        if not video.is_file():
            raise DatasetLayoutError(f"DFDC metadata {path} lists {name}, which is not in {path.parent}")
        original = entry.get("original")
        records.append(VideoRecord(video, label, Path(name).stem, FAKE_METHOD if label else REAL,
                                   entry.get("split"), Path(original).stem if label and original else None))
    return records
