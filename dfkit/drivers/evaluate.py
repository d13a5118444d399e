"""The evaluate driver: score a trained detector (any phase) on a dataset's test videos; metrics JSON and plots.

Writes under ``--output`` (default ``<checkpoint folder>/eval``): ``metrics.json`` (frame- and
video-level AUC, AP, EER, thresholds, TPR at low FPR, per manipulation method), ``predictions.json``
(per item: video id, label, score) and ``roc.png``, ``pr.png``, ``score_histogram.png``; with ``--perturb``
also the robustness report (:mod:`dfkit.drivers.robustness`). The checkpoint says which detector,
constructor arguments and input settings to rebuild.
"""
from pathlib import Path

from dfkit import registry
from dfkit.atomic import write_json
from dfkit.cli import ArgumentParser, positive_int, probability
from dfkit.curriculum import add_impl_argument
from dfkit.datasets import COMPRESSIONS, DATASETS
from dfkit.drivers.checkpoints import record_input_spec
from dfkit.drivers.common import (add_runtime_arguments, checked_device, checked_output_dir, exercises_reported,
                                  use_impl)
from dfkit.drivers.inputs import face_dataset
from dfkit.drivers.robustness import add_perturb_argument, checked_perturbations, markdown_table, robustness_report
from dfkit.drivers.sources import cache_faces, check_both_classes, evaluation_records, video_methods
from dfkit.errors import DatasetLayoutError, DfkitError
from dfkit.metrics.scores import VIDEO_AGGREGATIONS
from dfkit.preprocess import DETECTORS
from dfkit.runtime import add_runtime_choice, load_model


def build_parser(prog="evaluate.py"):
    parser = ArgumentParser(prog=prog, description="Evaluate a trained detector on a dataset's test videos.")
    parser.add_argument("--checkpoint", required=True,
                        help="best.pt / last.pt written by train.py, or an .onnx export (python -m dfkit.export)")
    parser.add_argument("--test-data", required=True, help="dataset folder in its published layout")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default=None,
                        help="layout of --test-data (default: the dataset the checkpoint was trained on)")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="manipulation methods to keep (real videos: 'real'; default: all)")
    parser.add_argument("--compression", choices=COMPRESSIONS, default=None,
                        help="FaceForensics++ / synthetic quality folder (default: as in training, else c23)")
    parser.add_argument("--output", default=None, help="report folder (default: <checkpoint folder>/eval)")
    parser.add_argument("--frames-per-video", type=positive_int, default=None,
                        help="face crops per video (default: as in training)")
    parser.add_argument("--faces-dir", default=None, help="face-crop cache (default <output>/faces)")
    parser.add_argument("--detector", choices=DETECTORS, default=None,
                        help="face boxes for cropping (default: groundtruth for synthetic, else mtcnn)")
    parser.add_argument("--threshold", type=probability, default=0.5, help="score at or above it = fake")
    parser.add_argument("--aggregate", choices=VIDEO_AGGREGATIONS, default="mean",
                        help="how item scores pool into a video score (topk: mean of the top 25%%)")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--arch", default=None, help="detector name of a bare state_dict checkpoint")
    parser.add_argument("--no-plots", action="store_true", help="write metrics.json and predictions.json only")
    add_perturb_argument(parser)
    add_runtime_arguments(parser)
    add_runtime_choice(parser)
    add_impl_argument(parser)
    return parser


def main(argv=None, prog="evaluate.py"):
    args = build_parser(prog).parse_args(argv)
    output = checked_output_dir(args.output or Path(args.checkpoint).parent / "eval")
    faces_dir = checked_output_dir(args.faces_dir or output / "faces", "--faces-dir")
    device = checked_device(args.device)
    perturbations = checked_perturbations(args.perturb)
    use_impl(args.impl)
    from dfkit.data import PreprocessedFaces
    from dfkit.metrics import aggregate_video_scores, summarize
    from dfkit.reports import plot_pr, plot_roc, plot_score_histogram, write_report
    from dfkit.training import Trainer, TrainConfig

    with exercises_reported():
        model, record, checkpoint, _ = load_model(args.checkpoint, args.runtime, args.arch, device)
        if perturbations and registry.get(record["name"]).input_kind == "signals":
            raise DfkitError(f"--perturb: {record['name']} reads signal features, not the face-crop cache that "
                             f"perturbed runs rebuild; use a face-crop or face-clip detector")
        trained = checkpoint.get("config", {})
        dataset = args.dataset or trained.get("dataset")
        if not dataset:
            raise DatasetLayoutError(f"{args.checkpoint} does not say which dataset it was trained on: "
                                     f"pass --dataset")
        frames = args.frames_per_video or trained.get("frames_per_video") or 32
        compression = args.compression or trained.get("compression") or "c23"
        records = evaluation_records(dataset, args.test_data, args.methods, compression)
        config = TrainConfig(batch_size=args.batch_size, num_workers=args.num_workers, device=str(device),
                             arch=record["name"], progress=not args.quiet)

        def predict(faces, perturb=None):
            """(labels, scores, video ids) per item of the test videos cropped into ``faces`` (after ``perturb``)."""
            if registry.get(record["name"]).input_kind == "signals":  # one feature vector per video
                from dfkit.drivers.signals import predict_signals

                return predict_signals(model, record["name"], records, dataset, Path(faces) / "signals",
                                       args.detector, args.device, progress=not args.quiet)
            cache_faces(records, faces, dataset, frames, detector=args.detector, device=args.device,
                        progress=not args.quiet, compression=compression, perturb=perturb)
            wanted = {r.uid for r in records}
            videos = [v for v in PreprocessedFaces(faces) if v.uid in wanted]
            test_set = face_dataset(registry.get(record["name"]).input_kind, videos, record_input_spec(record))
            check_both_classes(test_set.labels, "evaluation")
            predicted = Trainer(model, None, None, config).predict(test_set)
            return predicted["labels"], predicted["scores"], predicted["video_ids"]

        labels, scores, video_ids = predict(faces_dir)
        summary = summarize(labels, scores, video_ids, methods=video_methods(video_ids), threshold=args.threshold,
                            how=args.aggregate)
        _, video_scores, video_labels = aggregate_video_scores(scores, video_ids, labels, how=args.aggregate)
        if perturbations:
            robustness = robustness_report(perturbations, predict, output, (summary, len(set(video_ids))),
                                           threshold=args.threshold, how=args.aggregate)
    name = record["name"]
    write_json(output / "predictions.json", {"video_ids": list(video_ids), "labels": labels.tolist(),
                                             "scores": scores.tolist()})
    if not args.no_plots:
        plot_roc(video_labels, video_scores, output / "roc.png", title=f"{name}: video-level ROC")
        plot_pr(video_labels, video_scores, output / "pr.png", title=f"{name}: video-level precision-recall")
        plot_score_histogram(video_labels, video_scores, output / "score_histogram.png", threshold=args.threshold,
                             title=f"{name}: video scores")
    write_report(output / "metrics.json", summary, config=vars(args), arch=name, detector=record, dataset=dataset,
                 checkpoint=str(Path(args.checkpoint).resolve()), test_videos=len(records),
                 evaluated_videos=len(set(video_ids)), items=len(labels))
    frame, video = summary["frame"], summary["video"]
    print(f"{name} on {len(set(video_ids))} {dataset} videos ({len(labels)} items): "
          f"video AUC {video['auc']:.4f}, AP {video['ap']:.4f}, EER {video['eer']:.4f}; "
          f"frame AUC {frame['auc']:.4f} -> {output / 'metrics.json'}")
    if perturbations:
        print(f"{markdown_table(robustness)}\n-> {output / 'robustness.json'}, robustness.csv, robustness.png")
    return 0

