"""The preprocessing manifest: one JSON line per finished video, one file per shard.

``<out>/manifest/shard-0000-of-0001.jsonl`` holds a line per video the shard has
finished, written (and fsync'ed) after the video's crops, so a line's presence
means the video is done. A line cut short by a crash is dropped on the next run.
Each line::

    {"uid": "Deepfakes/000_003", "video_id": "000_003", "method": "Deepfakes", "label": 1,
     "split": "train", "source_id": "003", "path": "<video file>", "status": "ok" | "failed",
     "error": null | "<message>", "frames": [frame indices], "found": [face detected per frame (else box interpolated)],
     "boxes": [[x0, y0, x1, y1] per frame, pixels of the original frame],
     "crops": ["crops/<method>/<video_id>/<index:05d>.png" per frame, relative to <out>],
     "landmarks": null | "landmarks/<method>/<video_id>.npy" ((frames, 68, 2) float32, original-frame pixels),
     "seconds": processing time, "finished_at": unix time}
"""
import json
import os
from pathlib import Path

from dfkit.atomic import atomic_path
from dfkit.errors import DatasetLayoutError

MANIFEST_DIR = "manifest"
TIMING_FIELDS = ("seconds", "finished_at")


def part_path(out_dir, shard):
    """The manifest file of ``shard`` = (index, count)."""
    index, count = shard
    return Path(out_dir) / MANIFEST_DIR / f"shard-{index:04d}-of-{count:04d}.jsonl"


def read_lines(path):
    """The complete JSON lines of one manifest part (a torn last line is skipped)."""
    entries = []
    for line in Path(path).read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def repair_part(path):
    """Rewrite ``path`` without torn lines, so appending starts on a fresh line."""
    path = Path(path)
    if not path.exists():
        return
    text = path.read_text()
    entries = read_lines(path)
    clean = "".join(json.dumps(e) + "\n" for e in entries)
    if clean != text:
        with atomic_path(path) as tmp:
            tmp.write_text(clean)


def append_entry(handle, entry):
    """Append one line and push it to disk before the next video starts."""
    handle.write(json.dumps(entry) + "\n")
    handle.flush()
    os.fsync(handle.fileno())


def finished_uids(out_dir, status=None):
    """The uids that have a line in any manifest part (with that ``status`` when given)."""
    folder = Path(out_dir) / MANIFEST_DIR
    return {e["uid"] for path in sorted(folder.glob("*.jsonl")) for e in read_lines(path)
            if status is None or e["status"] == status}


def read_manifest(out_dir, status=None):
    """Every manifest part under ``out_dir`` merged into one list sorted by (method, video_id).

    A video listed twice (a retried failure, or shards of different runs) keeps its
    "ok" line over a "failed" one, then the latest. status: keep only "ok" or "failed".
    """
    folder = Path(out_dir) / MANIFEST_DIR
    parts = sorted(folder.glob("*.jsonl"))
    if not parts:
        raise DatasetLayoutError(
            f"no preprocessing manifest under {out_dir}: expected {MANIFEST_DIR}/*.jsonl "
            "written by python -m dfkit.preprocess")
    best = {}
    for path in parts:
        for entry in read_lines(path):
            rank = (entry["status"] == "ok", entry.get("finished_at", 0))
            kept = best.get(entry["uid"])
            if kept is None or rank >= (kept["status"] == "ok", kept.get("finished_at", 0)):
                best[entry["uid"]] = entry
    entries = sorted(best.values(), key=lambda e: (e["method"], e["video_id"]))
    return [e for e in entries if status is None or e["status"] == status]
