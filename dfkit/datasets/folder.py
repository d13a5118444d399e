"""Plain folder reader: ``root/real/**`` and ``root/fake/**`` video files.

Methods are "real" and "fake"; video_id is the path inside real/ or fake/ without
its extension (sub-folders kept, e.g. "batch1/clip"). Video extensions: .mp4 .avi
.mov .mkv .webm (any case). There are no splits.
"""
from dfkit.datasets.record import VIDEO_EXTENSIONS, VideoRecord, require_dir, select_methods
from dfkit.errors import DatasetLayoutError

CLASSES = {"real": 0, "fake": 1}


def load_folder(root, split=None, methods=None, compression=None):
    """Records under root/real and root/fake, sorted by (method, video_id); ``split`` must be None."""
    root = require_dir(root, "folder", "real/ and fake/ sub-folders of videos")
    if split is not None:
        raise DatasetLayoutError(
            f"the folder dataset has no splits; got split={split!r} (make one folder per split instead)")
    if not any((root / name).is_dir() for name in CLASSES):
        raise DatasetLayoutError(
            f"folder layout not found under {root}: expected real/ and/or fake/ sub-folders of videos")
    records = []
    for name, label in CLASSES.items():
        if (root / name).is_dir():
            for path in sorted((root / name).rglob("*")):
                if path.is_file() and path.suffix.lower() in VIDEO_EXTENSIONS:
                    video_id = path.relative_to(root / name).with_suffix("").as_posix()
                    records.append(VideoRecord(path, label, video_id, name))
    if not records:
        raise DatasetLayoutError(
            f"no videos under {root}/real or {root}/fake: expected files ending in {' '.join(VIDEO_EXTENSIONS)}")
    records = select_methods(records, methods, "folder", root)
    return sorted(records, key=lambda r: (r.method, r.video_id))
