"""One video of a dataset, as every reader returns it, plus the checks the readers share."""
from dataclasses import dataclass
from pathlib import Path

from dfkit.errors import DatasetLayoutError

REAL = "real"
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm")


@dataclass(frozen=True)
class VideoRecord:
    """A video file with its label and provenance.

    path: the video file. label: 1 = fake, 0 = real. video_id: the dataset's name
    for the video, unique within its method (FaceForensics++ reuses "000_003" in
    every method; ``uid`` is unique across the dataset). method: the manipulation
    ("real" for pristine videos). split: "train" / "val" / "test" when the dataset
    says, else None. source_id: for a fake, the pristine video or identity it was
    made from when the dataset says (see each reader), else None.
    """

    path: Path
    label: int
    video_id: str
    method: str
    split: str | None = None
    source_id: str | None = None

    @property
    def uid(self):
        """"<method>/<video_id>": unique across the dataset (crop folder, per-video scores)."""
        return f"{self.method}/{self.video_id}"


def require_dir(path, dataset, expected):
    """Raise DatasetLayoutError unless ``path`` is a directory."""
    path = Path(path)
    if not path.is_dir():
        raise DatasetLayoutError(f"{dataset} layout not found under {path}: expected {expected}")
    return path


def list_videos(folder):
    """Sorted video files (any of VIDEO_EXTENSIONS, case-insensitive) directly inside ``folder``."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)


def select_methods(records, methods, dataset, root):
    """Keep the records whose method is in ``methods`` (None keeps all); unknown names are an error."""
    if methods is None:
        return records
    available = sorted({r.method for r in records})
    unknown = [m for m in methods if m not in available]
    if unknown:
        raise DatasetLayoutError(
            f"method(s) {', '.join(unknown)} not found in the {dataset} dataset under {root}; "
            f"available: {', '.join(available) or 'none'}")
    return [r for r in records if r.method in set(methods)]


def check_split_name(split, allowed, dataset):
    """Raise DatasetLayoutError if ``split`` is not None and not one of ``allowed``."""
    if split is not None and split not in allowed:
        raise DatasetLayoutError(f"{dataset} has splits {', '.join(allowed)}; got split={split!r}")
