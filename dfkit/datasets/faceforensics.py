"""FaceForensics++ reader (also reads the same layout written by :mod:`dfkit.synthetic`).

Layout (``<c>`` = raw, c23 or c40)::

    original_sequences/youtube/<c>/videos/000.mp4            real, id "000"
    original_sequences/actors/<c>/videos/01__scene.mp4       real (DeepFakeDetection originals)
    manipulated_sequences/<Method>/<c>/videos/000_003.mp4    fake: target 000, face source 003
    splits/{train,val,test}.json  (or beside the folders)    JSON list of [target, source] pairs

A real video is in a split when its id appears in a pair; a fake ``XXX_YYY`` when
[XXX, YYY] or [YYY, XXX] is a pair. ``source_id`` of a fake is YYY.
"""
import json
from dataclasses import replace
from pathlib import Path

from dfkit.datasets.record import REAL, VideoRecord, check_split_name, list_videos, require_dir
from dfkit.errors import DatasetLayoutError

BENCHMARK_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures", "FaceShifter")
DFD_METHOD = "DeepFakeDetection"
COMPRESSIONS = ("raw", "c23", "c40")
SPLITS = ("train", "val", "test")


def load_faceforensics(root, split=None, methods=None, compression="c23"):
    """Records of FaceForensics++ under ``root``, sorted by (method, video_id).

    methods: names among "real", BENCHMARK_METHODS and "DeepFakeDetection";
    None = "real" (youtube) + every benchmark method present on disk.
    DeepFakeDetection and its actors originals (method "real") come only when
    "DeepFakeDetection" is asked for; they are in no official split.
    """
    return _load(root, split, methods, compression, "FaceForensics++", discover=False)


def load_synthetic(root, split=None, methods=None, compression="c23"):
    """Records of a dataset written by ``dfkit.synthetic.write_dataset`` (FaceForensics++ layout).

    The fake methods are the folders found under manipulated_sequences/.
    """
    return _load(root, split, methods, compression, "synthetic (FaceForensics++ layout)", discover=True)


def _load(root, split, methods, compression, dataset, discover):
    root = Path(root)
    check_split_name(split, SPLITS, dataset)
    if compression not in COMPRESSIONS:
        raise DatasetLayoutError(f"{dataset} compression must be one of {', '.join(COMPRESSIONS)}; got {compression!r}")
    youtube = root / "original_sequences" / "youtube" / compression / "videos"
    require_dir(root, dataset, f"original_sequences/youtube/{compression}/videos/*.mp4")
    if not youtube.is_dir():
        found = sorted(p.parent.name for p in youtube.parent.parent.glob("*/videos"))
        hint = f" (compressions found: {', '.join(found)})" if found else ""
        raise DatasetLayoutError(
            f"{dataset} layout not found under {root}: "
            f"expected original_sequences/youtube/{compression}/videos/*.mp4{hint}")

    fake_methods = _fake_methods(root, methods, compression, dataset, discover)
    want_real = methods is None or REAL in methods
    records = []
    if want_real:
        records += [VideoRecord(p, 0, p.stem, REAL) for p in list_videos(youtube)]
        actors = root / "original_sequences" / "actors" / compression / "videos"
        if DFD_METHOD in fake_methods and actors.is_dir():
            records += [VideoRecord(p, 0, p.stem, REAL) for p in list_videos(actors)]
    for method in fake_methods:
        folder = root / "manipulated_sequences" / method / compression / "videos"
        records += [VideoRecord(p, 1, p.stem, method, source_id=_source_id(p.stem)) for p in list_videos(folder)]
    if not records:
        raise DatasetLayoutError(f"{dataset} layout under {root} holds no videos for methods {methods}")

    splits = _read_splits(root, [split] if split else SPLITS, required=split is not None, dataset=dataset)
    records = [_with_split(r, splits) for r in records]
    if split is not None:
        records = [r for r in records if r.split == split]
    return sorted(records, key=lambda r: (r.method, r.video_id))


def _fake_methods(root, methods, compression, dataset, discover):
    """The manipulated_sequences/<Method> folders to read, checked against the disk."""
    base = root / "manipulated_sequences"
    on_disk = sorted(p.parent.parent.name for p in base.glob(f"*/{compression}/videos") if p.is_dir())
    if methods is None:
        return on_disk if discover else [m for m in on_disk if m in BENCHMARK_METHODS]
    wanted = [m for m in methods if m != REAL]
    known = set(on_disk) if discover else set(BENCHMARK_METHODS) | {DFD_METHOD}
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise DatasetLayoutError(
            f"unknown {dataset} method(s) {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'} "
            f"(found under {base})")
    missing = [m for m in wanted if m not in on_disk]
    if missing:
        raise DatasetLayoutError(
            f"{dataset} method {missing[0]} not found under {root}: expected "
            f"manipulated_sequences/{missing[0]}/{compression}/videos/*.mp4")
    return wanted


def _source_id(stem):
    """"000_003" -> "003"; DeepFakeDetection "01_02__scene__ID" -> "02"; else None."""
    parts = stem.split("__")[0].split("_")
    return parts[1] if len(parts) >= 2 else None


def _read_splits(root, names, required, dataset):
    """{split name: (set of (a, b) id pairs, set of ids)} from splits/<name>.json or <name>.json."""
    splits = {}
    for name in names:
        candidates = [root / "splits" / f"{name}.json", root / f"{name}.json"]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            if required:
                raise DatasetLayoutError(
                    f"{dataset} split file not found: expected {candidates[0]} or {candidates[1]} "
                    "(a JSON list of [target, source] id pairs)")
            continue
        pairs = _parse_pairs(path)
        splits[name] = (pairs, {i for pair in pairs for i in pair})
    return splits


def _parse_pairs(path):
    """The set of (a, b) string pairs in a split file; DatasetLayoutError if it is not a list of pairs."""
    try:
        pairs = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        pairs = None
    if not (isinstance(pairs, list) and all(isinstance(p, list) and len(p) == 2 for p in pairs)):
        raise DatasetLayoutError(f"malformed split file {path}: expected a JSON list of [target, source] id pairs")
    return {(str(a), str(b)) for a, b in pairs}


def _with_split(record, splits):
    """The record with ``split`` set from the first split whose pairs name it."""
    for name, (pairs, ids) in splits.items():
        if record.label == 0:
            hit = record.video_id in ids
        else:
            pair = tuple(record.video_id.split("_"))
            hit = len(pair) == 2 and (pair in pairs or pair[::-1] in pairs)
        if hit:
            return replace(record, split=name)
    return record
