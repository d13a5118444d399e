"""The robustness report of ``evaluate.py --perturb``: the same test videos under each perturbation and level.

Every perturbation x level gets its own face-crop cache, ``<output>/robustness/<name>_<level>/faces``:
each test video is decoded again, its sampled frames are perturbed (:mod:`dfkit.perturb`, seeded by the
video's uid), and only then are the faces located (MTCNN, or a synthetic clip's ground-truth boxes
under ``--detector groundtruth``) and cropped by the one face path, so a perturbation that hides a face
from the detector costs what it costs in the field. The folder's ``preprocess.json`` records the
perturbation, so a cache is never resumed under another one.

Outputs under ``<output>``: ``robustness.json`` and ``robustness.csv`` (one row per perturbation x level,
plus the clean run: video and frame AUC, AP, EER, videos), ``robustness.png`` (video AUC against severity,
one panel per perturbation) and ``robustness/<name>_<level>/predictions.json``.
"""
import argparse
import csv
import io

from dfkit.atomic import atomic_path, write_json
from dfkit.errors import DfkitError
from dfkit.perturb import PERTURBATIONS, key, parse_spec

COLUMNS = ("perturbation", "level", "video_auc", "video_ap", "video_eer", "frame_auc", "frame_ap", "frame_eer",
           "videos")


def perturbation_argument(text):
    """argparse type: ``name:level[,level...]`` -> [(name, level), ...] (:func:`dfkit.perturb.parse_spec`)."""
    try:
        return parse_spec(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_perturb_argument(parser):
    """``--perturb name:level[,level...] ...``."""
    names = ", ".join(f"{name} ({p.meaning})" for name, p in PERTURBATIONS.items())
    parser.add_argument("--perturb", nargs="+", type=perturbation_argument, default=None,
                        metavar="NAME:LEVEL[,LEVEL]",
                        help=f"also evaluate under each perturbation and level, applied to the decoded frames "
                             f"before face detection (e.g. jpeg:90,50 blur:2 h264:23,40); one of: {names}")


def checked_perturbations(specs):
    """``--perturb``'s lists flattened into [(name, level), ...]; DfkitError for one given twice."""
    flat, seen = [], set()
    for name, level in (pair for spec in specs or () for pair in spec):
        if key(name, level) in seen:
            raise DfkitError(f"--perturb: {key(name, level)} is given twice")
        seen.add(key(name, level))
        flat.append((name, level))
    return flat


def _row(name, level, summary, videos):
    video, frame = summary["video"], summary["frame"]
    return {"perturbation": name, "level": level, "video_auc": video["auc"], "video_ap": video["ap"],
            "video_eer": video["eer"], "frame_auc": frame["auc"], "frame_ap": frame["ap"], "frame_eer": frame["eer"],
            "videos": videos}


def markdown_table(rows):
    """The rows as a markdown table (video AUC / AP / EER, frame AUC)."""
    lines = ["| perturbation | level | video AUC | video AP | video EER | frame AUC |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        level = "" if row["level"] is None else f"{row['level']:g}"
        lines.append(f"| {row['perturbation']} | {level} | {row['video_auc']:.4f} | {row['video_ap']:.4f} | "
                     f"{row['video_eer']:.4f} | {row['frame_auc']:.4f} |")
    return "\n".join(lines)


def robustness_report(perturbations, predict, output, clean, threshold=0.5, how="mean"):
    """Evaluate under each of ``perturbations`` [(name, level), ...]; write the report files; return the rows.

    predict: ``predict(faces_dir, perturb)`` -> (labels, scores, video_ids) per item, for the test videos
    cropped into ``faces_dir`` after ``perturb`` (a ``"name:level"``); clean: the unperturbed run's
    :func:`dfkit.metrics.summarize` result and video count, ``(summary, videos)``.
    """
    from dfkit.metrics import summarize
    from dfkit.reports import plot_robustness

    rows = [_row("none", None, *clean)]
    for name, level in perturbations:
        folder = output / "robustness" / key(name, level).replace(":", "_")
        labels, scores, video_ids = predict(folder / "faces", key(name, level))
        summary = summarize(labels, scores, video_ids, threshold=threshold, how=how)
        write_json(folder / "predictions.json", {"perturbation": key(name, level), "video_ids": list(video_ids),
                                                 "labels": labels.tolist(), "scores": scores.tolist()})
        rows.append(_row(name, level, summary, len(set(video_ids))))
    write_json(output / "robustness.json", {"aggregate": how, "threshold": threshold, "rows": rows})
    table = io.StringIO()
    writer = csv.DictWriter(table, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "level": "" if row["level"] is None else f"{row['level']:g}"} for row in rows)
    with atomic_path(output / "robustness.csv") as tmp:
        tmp.write_text(table.getvalue())
    curves = {}
    for row in rows[1:]:
        curves.setdefault(row["perturbation"], []).append((row["level"], row["video_auc"]))
    for name, points in curves.items():
        points.sort(key=lambda point: PERTURBATIONS[name].severity(point[0]))
    plot_robustness(curves, rows[0]["video_auc"], output / "robustness.png")
    return rows
