"""The cross driver: train on each source, evaluate on every target; the generalisation matrix as JSON + heat map.

Two kinds of matrix, one loop:

* cross-manipulation: ``--dataset D --data-root R --methods A B C``: source A = R's real videos and its
  method A (``--methods real A`` for the train and evaluate drivers), likewise every target;
* cross-dataset: ``--sets ffpp=faceforensics:/data/FF++ celebdf=celebdf:/data/Celeb-DF``: each source is a
  whole dataset in its published layout (train on its train split, evaluate on its test split).

Each source's checkpoint comes from the train driver (``<output>/train/<source>/best.pt``) or from
``--checkpoint SOURCE=PATH``; each cell is one run of the evaluate driver
(``<output>/eval/<source>__<target>/metrics.json``). Faces are cropped once per data root
(``<output>/faces/``). Writes ``cross_matrix.json`` (rows = trained on, columns = tested on; video and
frame AUC; null where a cell could not be computed) and ``cross_matrix.png`` (video AUC heat map).
"""
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from dfkit import registry
from dfkit.atomic import write_json
from dfkit.cli import ArgumentParser, key_value, positive_int
from dfkit.curriculum import add_impl_argument
from dfkit.datasets import COMPRESSIONS, DATASETS
from dfkit.drivers import evaluate, train
from dfkit.drivers.common import checked_output_dir
from dfkit.errors import DfkitError


@dataclass(frozen=True)
class DataSet:
    """A row / column of the matrix: ``name``, a dataset layout (``dataset``) under ``root``, and the
    methods to keep (None: every video)."""

    name: str
    dataset: str
    root: str
    methods: tuple | None


def build_parser(prog="cross_matrix.py"):
    parser = ArgumentParser(prog=prog, description="Train on each source, test on every target: a cross-"
                                                   "manipulation or cross-dataset AUC matrix.")
    parser.add_argument("--output", required=True, help="folder for checkpoints, evaluations and the matrix")
    parser.add_argument("--model", choices=registry.names(), default="meso4", help="detector to train")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="synthetic",
                        help="layout of --data-root (cross-manipulation)")
    parser.add_argument("--data-root", default=None, help="dataset folder (cross-manipulation)")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="manipulation methods, each a source and a target (with the real videos)")
    parser.add_argument("--sets", nargs="+", type=key_value, default=None, metavar="NAME=DATASET:ROOT",
                        help="whole datasets as sources and targets (cross-dataset), "
                             "e.g. ffpp=faceforensics:/data/FF++")
    parser.add_argument("--checkpoint", type=key_value, action="append", default=[], metavar="SOURCE=PATH",
                        help="use this checkpoint for SOURCE instead of training one (repeatable)")
    parser.add_argument("--epochs", type=positive_int, default=10)
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--lr", type=float, default=None, help="default: the detector's recipe")
    parser.add_argument("--frames-per-video", type=positive_int, default=16, help="face crops per video")
    parser.add_argument("--compression", choices=COMPRESSIONS, default="c23")
    parser.add_argument("--model-arg", type=key_value, action="append", default=[], metavar="NAME=VALUE",
                        help="constructor argument of the detector (repeatable)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    add_impl_argument(parser)
    return parser


def data_sets(args, parser):
    """The matrix's rows / columns from ``--methods`` (with ``--data-root``) or ``--sets``."""
    if (args.methods is None) == (args.sets is None):
        parser.error("give --methods (cross-manipulation, with --data-root) or --sets (cross-dataset)")
    if args.methods is not None:
        if args.data_root is None:
            parser.error("--methods needs --data-root")
        return [DataSet(m, args.dataset, args.data_root, ("real", m)) for m in dict.fromkeys(args.methods)]
    sets = []
    for name, value in args.sets:
        dataset, sep, root = str(value).partition(":")
        if not sep or dataset not in DATASETS:
            parser.error(f"--sets {name}={value}: expected NAME=DATASET:ROOT with DATASET one of "
                         f"{', '.join(sorted(DATASETS))}")
        sets.append(DataSet(name, dataset, root, None))
    return sets


def _runtime_flags(args):
    flags = ["--device", args.device] if args.device else []
    flags += ["--impl", args.impl] if args.impl else []
    return flags + (["--quiet"] if args.quiet else [])


def train_source(source, args, output, faces_dir):
    """Train ``args.model`` on ``source`` with the train driver; returns its best checkpoint's path."""
    folder = output / "train" / source.name
    argv = ["--dataset", source.dataset, "--data-root", source.root, "--model", args.model,
            "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--output", str(folder),
            "--frames-per-video", str(args.frames_per_video), "--faces-dir", str(faces_dir),
            "--compression", args.compression, "--seed", str(args.seed)]
    argv += ["--lr", str(args.lr)] if args.lr is not None else []
    argv += [flag for name, value in args.model_arg for flag in ("--model-arg", f"{name}={value}")]
    if source.methods:
        argv += ["--methods", *source.methods]
    train.main(argv + _runtime_flags(args), prog=f"cross: train on {source.name}")
    return folder / "best.pt"


def evaluate_cell(checkpoint, source, target, args, output, faces_dir):
    """Evaluate ``checkpoint`` on ``target`` with the evaluate driver; returns its metrics dict."""
    folder = output / "eval" / f"{source.name}__{target.name}"
    argv = ["--checkpoint", str(checkpoint), "--dataset", target.dataset, "--test-data", target.root,
            "--output", str(folder), "--faces-dir", str(faces_dir), "--frames-per-video", str(args.frames_per_video),
            "--compression", args.compression, "--no-plots"]
    if target.methods:
        argv += ["--methods", *target.methods]
    evaluate.main(argv + _runtime_flags(args), prog=f"cross: {source.name} on {target.name}")
    return json.loads((folder / "metrics.json").read_text())["metrics"]


def _checked(args, sets):
    """Fail before any work: unknown checkpoint sources, missing checkpoint files, a layout without the videos."""
    from dfkit.datasets import load_records

    names = [s.name for s in sets]
    given = dict(args.checkpoint)
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise DfkitError(f"--checkpoint {unknown[0]}=...: no such source (sources: {', '.join(names)})")
    for name, path in given.items():
        if not Path(str(path)).is_file():
            raise DfkitError(f"--checkpoint {name}={path}: no such file")
    for s in sets:
        load_records(s.dataset, s.root, methods=list(s.methods) if s.methods else None, compression=args.compression)
    return {name: Path(str(path)) for name, path in given.items()}


def _table(title, rows, cols, values):
    width = max(len(c) for c in cols + rows) + 2
    lines = [title, "trained on \\ tested on".ljust(width) + "".join(c.rjust(width) for c in cols)]
    lines += [r.ljust(width) + "".join(f"{v:.3f}".rjust(width) for v in line) for r, line in zip(rows, values)]
    return "\n".join(lines)


def main(argv=None, prog="cross_matrix.py"):
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    sets = data_sets(args, parser)
    output = checked_output_dir(args.output)
    given = _checked(args, sets)
    from dfkit.metrics import cross_matrix
    from dfkit.reports import plot_cross_matrix

    roots = list(dict.fromkeys(s.root for s in sets))
    faces = {s.name: output / "faces" / f"{s.dataset}_{roots.index(s.root)}" for s in sets}
    checkpoints, video, frame = {}, {}, {}
    for source in sets:
        checkpoints[source.name] = given.get(source.name) or train_source(source, args, output, faces[source.name])
        for target in sets:
            metrics = evaluate_cell(checkpoints[source.name], source, target, args, output, faces[target.name])
            video[(source.name, target.name)] = metrics["video"]["auc"]
            frame[(source.name, target.name)] = metrics["frame"]["auc"]
    names = [s.name for s in sets]
    rows, cols, video_auc = cross_matrix(video, rows=names, cols=names)
    frame_auc = cross_matrix(frame, rows=names, cols=names)[2]
    kind = "cross-manipulation" if args.methods else "cross-dataset"
    write_json(output / "cross_matrix.json", {
        "kind": kind, "model": args.model, "rows": rows, "cols": cols,
        "video_auc": video_auc.tolist(), "frame_auc": frame_auc.tolist(),
        "sets": {s.name: {"dataset": s.dataset, "root": str(Path(s.root).resolve()),
                          "methods": list(s.methods) if s.methods else None} for s in sets},
        "checkpoints": {name: str(Path(path).resolve()) for name, path in checkpoints.items()},
        "evaluations": {f"{r}__{c}": str((output / "eval" / f"{r}__{c}" / "metrics.json").resolve())
                        for r in rows for c in cols}})
    plot_cross_matrix(rows, cols, video_auc, output / "cross_matrix.png",
                      title=f"{args.model}: {kind} video AUC")
    print(_table(f"{kind} video AUC of {args.model}", rows, cols, video_auc), file=sys.stdout)
    print(f"-> {output / 'cross_matrix.json'}, {output / 'cross_matrix.png'}", file=sys.stdout)
    return 0
