"""Celeb-DF (v1 and v2) reader.

Layout::

    Celeb-real/id0_0000.mp4             real (celebrity interviews)
    YouTube-real/00000.mp4              real (optional folder)
    Celeb-synthesis/id0_id16_0000.mp4   fake, method "celebdf": target id0, face source id16
    List_of_testing_videos.txt          lines "<label> <folder>/<file>.mp4"

In that list 1 means REAL and 0 FAKE (the opposite of dfkit's label 1 = fake).
split="test" = the listed videos, split="train" = all the others; the list is
checked against the folders (each name must exist, each label must match its folder).
``source_id`` of a fake is the face source identity ("id16").
"""
from dataclasses import replace
from pathlib import Path

from dfkit.datasets.record import REAL, VideoRecord, check_split_name, list_videos, require_dir, select_methods
from dfkit.errors import DatasetLayoutError

FAKE_METHOD = "celebdf"
FOLDERS = {"Celeb-real": 0, "YouTube-real": 0, "Celeb-synthesis": 1}
TEST_LIST = "List_of_testing_videos.txt"


def load_celebdf(root, split=None, methods=None, compression=None):
    """Records of Celeb-DF under ``root``, sorted by (method, video_id); ``compression`` is ignored."""
    root = require_dir(root, "Celeb-DF", "Celeb-real/ and Celeb-synthesis/ folders of .mp4 videos")
    check_split_name(split, ("train", "test"), "Celeb-DF")
    for folder in ("Celeb-real", "Celeb-synthesis"):
        require_dir(root / folder, "Celeb-DF", f"{folder}/*.mp4")
    records = []
    for folder, label in FOLDERS.items():
        if (root / folder).is_dir():
            for path in list_videos(root / folder):
                method, source = (FAKE_METHOD, _source_id(path.stem)) if label else (REAL, None)
                records.append(VideoRecord(path, label, path.stem, method, source_id=source))
    if not records:
        raise DatasetLayoutError(f"Celeb-DF layout under {root} holds no videos in {', '.join(FOLDERS)}")

    tested = _read_test_list(root, records, required=split is not None)
    if tested is not None:
        records = [replace(r, split="test" if r.path.name in tested.get(r.path.parent.name, ()) else "train")
                   for r in records]
    if split is not None:
        records = [r for r in records if r.split == split]
    records = select_methods(records, methods, "Celeb-DF", root)
    return sorted(records, key=lambda r: (r.method, r.video_id))


def _source_id(stem):
    """"id0_id16_0000" -> "id16"; None when the name does not follow that pattern."""
    parts = stem.split("_")
    return parts[1] if len(parts) == 3 else None


def _read_test_list(root, records, required):
    """{folder: set of file names} listed for testing, checked against ``records``; None if absent."""
    path = root / TEST_LIST
    if not path.is_file():
        if required:
            raise DatasetLayoutError(
                f"Celeb-DF test list not found: expected {path} (lines '<1 real|0 fake> <folder>/<file>.mp4')")
        return None
    on_disk = {(r.path.parent.name, r.path.name): r.label for r in records}
    tested = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        relative = Path(parts[-1]) if len(parts) == 2 else None
        if relative is None or parts[0] not in ("0", "1") or len(relative.parts) != 2:
            raise DatasetLayoutError(
                f"{path} line {number}: expected '<1 real|0 fake> <folder>/<file>.mp4', got {line!r}")
        key = relative.parts
        if key not in on_disk:
            raise DatasetLayoutError(f"{path} line {number} names {relative}, which is not under {root}")
        label = 1 - int(parts[0])
        if label != on_disk[key]:
            raise DatasetLayoutError(
                f"{path} line {number} labels {relative} {'fake' if label else 'real'} "
                f"but its folder {key[0]} holds {'fake' if on_disk[key] else 'real'} videos")
        tested.setdefault(key[0], set()).add(key[1])
    return tested
