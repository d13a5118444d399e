"""A detection report read for drawing, and checked against the video it claims to describe.

Reads the JSON of ``detect_video.py``: ``frames``, one entry per sampled frame with its ``index``, a face
``box`` ``[x0, y0, x1, y1]`` px (optional) and a ``score`` (probability of fake, or null), and any further
per-frame ``<name>_score`` numbers (drawn as extra timeline curves); an optional ``tracks`` list (one entry
per face: ``{"id", "score", "frames": [{"index", "box", "score"}]}``); the ``video`` it was made from (frame
count and size); ``video_score`` / ``verdict`` / ``threshold``. A ``multi_modal_detect.py`` report is read
too: its ``frames`` as columns (``{"indices": [...], "boxes": [...], "<name>_score": [...]}``, each optional
but the indices), ``fused_score`` as the video score and each of its ``modalities``' score.
"""
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dfkit.errors import DfkitError


@dataclass
class Track:
    """One face over the sampled frames: ``indices`` (K,) increasing frame numbers, ``boxes`` (K, 4) px
    (NaN rows where the report has no box), ``scores`` (K,) probability of fake (NaN where none)."""

    label: str
    indices: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    score: float | None = None

    def nearest(self, frame):
        """Position in ``indices`` of the sampled frame nearest to video frame ``frame`` (ties: the earlier)."""
        right = int(np.searchsorted(self.indices, frame))
        if right == 0:
            return 0
        if right == len(self.indices):
            return right - 1
        return right if self.indices[right] - frame < frame - self.indices[right - 1] else right - 1


@dataclass
class DetectionReport:
    """What :func:`read_report` found: ``tracks`` to draw (one per face; the report's frames when it lists
    no tracks), ``curves`` for the timeline (name -> (indices (K,), scores (K,))), the verdict and its numbers,
    the detector's name (``model``), the sampled frame numbers and the per-modality scores."""

    tracks: list
    curves: dict
    verdict: str
    video_score: float | None
    threshold: float | None
    model: str
    sampled: np.ndarray  # (K,) the frame numbers the report scored
    modalities: dict     # name -> score (None where the modality could not score), multi-modal reports only


def _number(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _track(label, entries, num_frames, where, score=None):
    if not isinstance(entries, list) or not entries:
        raise DfkitError(f"{where} has no frames")
    try:
        rows = sorted(((int(e["index"]), e.get("box"), e.get("score")) for e in entries), key=lambda r: r[0])
    except (TypeError, KeyError, ValueError):
        raise DfkitError(f"{where}: every frame entry needs an integer 'index'") from None
    indices = np.array([r[0] for r in rows])
    if indices[0] < 0 or indices[-1] >= num_frames:
        raise DfkitError(f"{where} scores frame {indices[-1] if indices[-1] >= num_frames else indices[0]}, "
                         f"outside the video's {num_frames} frames")
    boxes = np.full((len(rows), 4), np.nan)
    for k, (_, box, _) in enumerate(rows):
        if box is not None:
            if not (isinstance(box, list) and len(box) == 4):
                raise DfkitError(f"{where}: a box must be [x0, y0, x1, y1], got {box!r}")
            boxes[k] = [_number(v) for v in box]
    scores = np.array([_number(r[2]) for r in rows])
    return Track(label, indices, boxes, scores, None if score is None else _number(score))


def read_report(path, video_path, info):
    """Read the report at ``path`` and check it describes ``video_path`` (``info``: its
    :class:`dfkit.video.VideoInfo`); returns a :class:`DetectionReport`.

    DfkitError (one line) for a missing or unreadable file, a file that is not such a report, or a report
    of another video: another file name, frame count or frame size.
    """
    path = Path(path)
    if not path.is_file():
        raise DfkitError(f"--predictions {path}: no such file")
    try:
        report = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DfkitError(f"--predictions {path} is not a JSON report ({err})") from None
    if not (isinstance(report, dict) and isinstance(report.get("video"), dict)) or "frames" not in report:
        raise DfkitError(f"--predictions {path} is not a detection report (expected 'frames' and 'video', as "
                         f"detect_video.py writes)")
    video = report["video"]
    claimed = (video.get("num_frames"), video.get("width"), video.get("height"))
    if claimed != (info.num_frames, info.width, info.height):
        raise DfkitError(f"--predictions {path.name} describes a {claimed[1]}x{claimed[2]} video of {claimed[0]} "
                         f"frames, but {Path(video_path).name} is {info.width}x{info.height} with {info.num_frames} "
                         f"frames: the report belongs to another video")
    source = report.get("input")
    if source and Path(source).name != Path(video_path).name:
        raise DfkitError(f"--predictions {path.name} was made from {Path(source).name}, not {Path(video_path).name}")
    frames = _frame_entries(report["frames"], f"--predictions {path.name}")
    main = _track("face", frames, info.num_frames, f"--predictions {path.name}")
    tracks = [main]
    if "tracks" in report:
        tracks = [_track(f"face {t.get('id', k)}", t.get("frames"), info.num_frames,
                         f"--predictions {path.name} track {k}", t.get("score"))
                  for k, t in enumerate(report["tracks"])]
    curves = {_curve_name(track, len(tracks)): (track.indices, track.scores) for track in tracks}
    for key in sorted({k for e in frames for k in e if k.endswith("_score")}):
        rows = sorted((int(e["index"]), _number(e.get(key))) for e in frames)
        curves[key] = (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    curves = {name: curve for name, curve in curves.items() if not np.isnan(curve[1]).all()}
    model = report.get("model", {}).get("arch", "") if isinstance(report.get("model"), dict) else ""
    modalities = {name: _optional(m.get("score")) for name, m in (report.get("modalities") or {}).items()
                  if isinstance(m, dict)}
    video_score = _optional(report.get("video_score", report.get("fused_score")))
    return DetectionReport(tracks, curves, str(report.get("verdict", "?")), video_score,
                           _optional(report.get("threshold")), model, main.indices, modalities)


def _curve_name(track, count):
    """"score" for the only track, else its label with its pooled score, e.g. "face 1 (0.89)"."""
    if count == 1:
        return "score"
    return track.label if track.score is None or math.isnan(track.score) else f"{track.label} ({track.score:.2f})"


def _frame_entries(frames, where):
    """``frames`` as a list of per-frame dicts: detect_video's list as it is, multi_modal_detect's columns
    (``{"indices": [...], "boxes": [...], "<name>_score": [...], ...}``) turned into rows."""
    if isinstance(frames, list):
        return frames
    if not (isinstance(frames, dict) and isinstance(frames.get("indices"), list)):
        raise DfkitError(f"{where}: 'frames' must be a list of per-frame entries or hold a list of 'indices'")
    columns = {"index": frames["indices"], "box": frames.get("boxes"), "score": frames.get("scores")}
    columns |= {key: value for key, value in frames.items() if key.endswith("_score")}
    columns = {key: value for key, value in columns.items() if isinstance(value, list)}
    if any(len(value) != len(frames["indices"]) for value in columns.values()):
        raise DfkitError(f"{where}: the lists in 'frames' have different lengths")
    return [{key: value[k] for key, value in columns.items()} for k in range(len(frames["indices"]))]


def _optional(value):
    number = _number(value)
    return None if math.isnan(number) else number
