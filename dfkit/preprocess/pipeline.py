"""Turn a list of videos into face crops (and landmarks), resumable and shardable.

Per video: read ``frames`` evenly spaced frames, locate the face in each (MTCNN,
or the ground-truth boxes of a synthetic clip's .json sidecar), crop a square of
``margin`` x the box at ``size`` px (the one face path, :mod:`dfkit.faces.pipeline`) and save PNGs under
``<out>/crops/<method>/<video_id>/<frame index:05d>.png`` (frames where MTCNN
missed the face use the box interpolated from their neighbours and are marked
``found: false`` in the manifest); optionally save the
68-point landmarks under ``<out>/landmarks/<method>/<video_id>.npy``. Then append
the video's line to the shard's manifest (see :mod:`dfkit.preprocess.manifest`).
"""
import json
import logging
import shutil
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from dfkit.atomic import atomic_path, write_json
from dfkit.errors import DatasetLayoutError, DfkitError
from dfkit.faces.pipeline import CROP_SIZE, DETECT_SIZE, FACE_MARGIN, MIN_FACE, FaceTracker, crop_faces
from dfkit.perturb import perturb_key
from dfkit.preprocess import manifest
from dfkit.synthetic.dataset_writer import sidecar_paths
from dfkit.video import read_frames

log = logging.getLogger("dfkit.preprocess")
DETECTORS = ("mtcnn", "groundtruth")
SETTINGS_FILE = "preprocess.json"


@dataclass(frozen=True)
class PreprocessOptions:
    """How each video is turned into crops (everything but ``device`` is fixed per output folder).

    compression: the FaceForensics++ quality the videos were read at (raw, c23, c40); recorded so that
    a crop folder made from one quality is never resumed with another. perturb: a ``"name:level"``
    perturbation (:mod:`dfkit.perturb`) applied to the decoded frames before the faces are located,
    seeded by the video's uid; recorded (when set) for the same reason.
    """

    frames: int = 32
    size: int = CROP_SIZE
    margin: float = FACE_MARGIN
    detector: str = "mtcnn"
    detect_size: int | None = DETECT_SIZE
    min_face: float = MIN_FACE
    landmarks: bool = False
    compression: str = "c23"
    device: str | None = None
    perturb: str | None = None

    def settings(self):
        """The options that shape the outputs, as saved in ``<out>/preprocess.json``."""
        fields = asdict(self)
        del fields["device"]
        if self.perturb is None:
            del fields["perturb"]  # folders made before perturbations existed resume as they were
        return fields


@dataclass
class Summary:
    """What one run did with its shard."""

    ok: int = 0
    failed: int = 0
    skipped: int = 0

    def __str__(self):
        return f"{self.ok} ok, {self.failed} failed, {self.skipped} skipped (already done)"


def shard_records(records, shard):
    """Every count-th record after sorting by uid, starting at index: shard = (index, count)."""
    index, count = shard
    if not 0 <= index < count:
        raise ValueError(f"shard index must be in [0, {count}), got {index}")
    return sorted(records, key=lambda r: r.uid)[index::count]


def preprocess_records(records, out_dir, options, dataset, shard=(0, 1), limit=None, retry_failed=False,
                       progress=None):
    """Preprocess this shard's records that have no manifest line yet; returns a :class:`Summary`.

    dataset: the dataset name, saved with the options. limit: stop after this many
    videos (ok or failed) in this run. progress: tqdm bar (None = when stderr is a TTY).
    A video that fails (unreadable, no face, any DfkitError) is logged, counted and
    given a "failed" line; later runs skip it unless ``retry_failed``.
    """
    out_dir = Path(out_dir)
    _check_settings(out_dir, {"dataset": dataset, **options.settings()})
    mine = shard_records(records, shard)
    done = manifest.finished_uids(out_dir, status="ok" if retry_failed else None)
    todo = [r for r in mine if r.uid not in done]
    summary = Summary(skipped=len(mine) - len(todo))
    if limit is not None:
        todo = todo[:limit]
    part = manifest.part_path(out_dir, shard)
    part.parent.mkdir(parents=True, exist_ok=True)
    manifest.repair_part(part)
    locate = FaceLocator(options)
    with open(part, "a") as handle:
        bar = tqdm(todo, desc=f"shard {shard[0]}/{shard[1]}", unit="video",
                   disable=None if progress is None else not progress)
        for record in bar:
            entry = _process(record, out_dir, options, locate)
            if entry["status"] == "ok":
                summary.ok += 1
            else:
                summary.failed += 1
                log.warning("failed: %s: %s", record.path, entry["error"])
            manifest.append_entry(handle, entry)
    return summary


def _check_settings(out_dir, settings):
    """Save the settings on the first run; a later run with other settings is an error."""
    path = out_dir / SETTINGS_FILE
    if path.exists():
        saved = json.loads(path.read_text())
        if saved != settings:
            changed = ", ".join(f"{k}: {saved.get(k)!r} -> {v!r}" for k, v in settings.items() if saved.get(k) != v)
            raise DfkitError(
                f"{out_dir} was preprocessed with other settings ({changed}); "
                "use the same settings to resume, or a new --out")
    else:
        write_json(path, settings)


def _process(record, out_dir, options, locate):
    """The manifest line of one video, after writing its crops (and landmarks)."""
    start = time.time()
    entry = {"uid": record.uid, "video_id": record.video_id, "method": record.method, "label": record.label,
             "split": record.split, "source_id": record.source_id, "path": str(record.path),
             "status": "ok", "error": None, "frames": [], "found": [], "boxes": [], "crops": [], "landmarks": None}
    try:
        frames, indices = read_frames(record.path, num_frames=options.frames)
        first = np.unique(indices, return_index=True)[1]  # a short video repeats indices
        frames, indices = frames[first], indices[first]
        if options.perturb:
            frames = perturb_key(frames, options.perturb, seed=zlib.crc32(record.uid.encode()))
        boxes, found, landmarks = locate(record, frames, indices)
        entry.update(frames=[int(i) for i in indices], found=[bool(f) for f in found],
                     boxes=[[round(float(v), 2) for v in box] for box in boxes],
                     crops=_write_crops(out_dir, record, frames, indices, boxes, options))
        if landmarks is not None:
            entry["landmarks"] = _write_landmarks(out_dir, record, landmarks)
    except DfkitError as err:
        shutil.rmtree(out_dir / "crops" / record.method / record.video_id, ignore_errors=True)
        entry.update(status="failed", error=str(err), frames=[], found=[], boxes=[], crops=[], landmarks=None)
    entry.update(seconds=round(time.time() - start, 3), finished_at=time.time())
    return entry


def _write_crops(out_dir, record, frames, indices, boxes, options):
    """Save one crop per frame (replacing any left by an interrupted run); paths relative to ``out_dir``."""
    folder = out_dir / "crops" / record.method / record.video_id
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    paths = []
    for crop, index in zip(crop_faces(frames, boxes, options.margin, options.size), indices):
        path = folder / f"{int(index):05d}.png"
        _write_png(path, crop)
        paths.append(path.relative_to(out_dir).as_posix())
    return paths


def _write_png(path, rgb):
    """Atomically save an RGB uint8 image as PNG."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise DfkitError(f"could not encode the crop {path} as PNG")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.tobytes())


def _write_landmarks(out_dir, record, landmarks):
    """Atomically save (frames, 68, 2) landmarks; the path relative to ``out_dir``."""
    path = out_dir / "landmarks" / record.method / f"{record.video_id}.npy"
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.save(handle, np.asarray(landmarks, dtype=np.float32))
    return path.relative_to(out_dir).as_posix()


class FaceLocator:
    """Boxes (N, 4), found (N,) and optional landmarks (N, 68, 2) for the sampled frames of a video.

    detector "mtcnn" runs :class:`dfkit.faces.FaceDetector` (and the dlib 68-point
    predictor for landmarks); "groundtruth" reads the synthetic clip's sidecar
    ``<video>.json`` beside the video. Models load once, on first use.
    """

    def __init__(self, options):
        if options.detector not in DETECTORS:
            raise DfkitError(f"unknown detector {options.detector!r}; expected one of {', '.join(DETECTORS)}")
        self.options = options
        self._tracker = FaceTracker(device=options.device, detect_size=options.detect_size,
                                    min_face=options.min_face)
        self._predictor = None

    def __call__(self, record, frames, indices):
        if self.options.detector == "groundtruth":
            return self._from_sidecar(record, indices)
        boxes, found = self._tracker(frames)
        landmarks = None
        if self.options.landmarks:
            if self._predictor is None:
                from dfkit.landmarks import Dlib68Predictor
                self._predictor = Dlib68Predictor()
            landmarks = self._predictor.predict_clip(frames, boxes)
        return boxes, found, landmarks

    def _from_sidecar(self, record, indices):
        sidecar, _ = sidecar_paths(record.path)
        try:
            data = json.loads(sidecar.read_text())
            boxes = np.asarray(data["boxes"], dtype=np.float64)[indices]
            landmarks = np.asarray(data["landmarks"], dtype=np.float64)[indices] if self.options.landmarks else None
        except (OSError, ValueError, KeyError, IndexError) as err:
            raise DatasetLayoutError(
                f"--detector groundtruth needs the synthetic sidecar {sidecar} with per-frame 'boxes'"
                f"{' and landmarks' if self.options.landmarks else ''} ({type(err).__name__}: {err})") from None
        return boxes, np.ones(len(indices), dtype=bool), landmarks
