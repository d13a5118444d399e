"""Evaluate a trained phase-1 detector on a dataset's test videos: metrics JSON and plots.

    python phase1_cnn_detection/evaluate.py --checkpoint runs/xception/best.pt \\
        --dataset faceforensics --test-data /data/ffpp --output runs/xception/eval

The checkpoint names its architecture, so the model is rebuilt as it was trained. The test videos
are the dataset's "test" split when it has one (FaceForensics++ splits/test.json, Celeb-DF's list),
else every video under ``--test-data``; their faces are cropped once into ``--faces-dir``
(default ``<output>/faces``; resumable, shareable with train.py's cache).

Writes under ``--output``: ``metrics.json`` (frame- and video-level AUC, AP, EER, accuracy, TPR at
fixed FPR, ..., and the same per manipulation method against all real videos), ``predictions.json``
(one score per face crop with its label and video id), ``roc.png``, ``pr.png`` and
``score_histogram.png`` (video level). Exit status 2 with one ``error:`` line for bad input.
"""
import sys
from pathlib import Path

from dfkit.atomic import write_json
from dfkit.cli import ArgumentParser, positive_int, run
from dfkit.curriculum import add_impl_argument, load
from dfkit.data import VideoSubset
from dfkit.errors import DatasetLayoutError
from phase1_cnn_detection.cli_common import (
    CLASSIFIER, DATASETS, Normalizer, add_runtime_arguments, check_both_classes, load_trained_detector,
    preprocess_faces_dir, use_impl, video_methods)


def build_parser():
    parser = ArgumentParser(prog="evaluate.py", description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True, help="checkpoint written by train.py (best.pt)")
    parser.add_argument("--test-data", required=True, help="dataset folder in its published layout")
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="layout of --test-data (default: the dataset the checkpoint was trained on)")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="manipulation methods to keep (real videos: 'real'; default: all)")
    parser.add_argument("--output", default=None, help="report folder (default: <checkpoint folder>/eval)")
    parser.add_argument("--frames-per-video", type=positive_int, default=None,
                        help="face crops per video (default: as in training)")
    parser.add_argument("--faces-dir", default=None, help="face-crop cache (default <output>/faces)")
    parser.add_argument("--detector", choices=("mtcnn", "groundtruth"), default=None,
                        help="face boxes for cropping (default: groundtruth for synthetic, else mtcnn)")
    parser.add_argument("--threshold", type=float, default=0.5, help="score at or above it = fake")
    parser.add_argument("--aggregate", choices=("mean", "median", "max", "topk"), default="mean",
                        help="how frame scores pool into a video score (topk: mean of the top 25%%)")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--arch", default=None, help="architecture of a bare state_dict checkpoint")
    add_runtime_arguments(parser)
    add_impl_argument(parser)
    return parser


def evaluation_records(dataset, root, methods):
    """The dataset's "test" videos when it defines that split, else all of them (with a note)."""
    from dfkit.datasets import load_records

    records = load_records(dataset, root, methods=methods)
    tested = [r for r in records if r.split == "test"]
    if not tested:
        print(f"note: {root} has no test split; evaluating on all {len(records)} videos", file=sys.stderr)
    return tested or records


def main(argv=None):
    args = build_parser().parse_args(argv)
    use_impl(args.impl)
    from dfkit.data import FaceFrameDataset
    from dfkit.metrics import aggregate_video_scores, summarize
    from dfkit.reports import plot_pr, plot_roc, plot_score_histogram, write_report
    from dfkit.training import Trainer, TrainConfig, select_device

    classifier = load(CLASSIFIER)
    device = select_device(args.device)
    model, arch, (size, mean, std), checkpoint = load_trained_detector(args.checkpoint, classifier, args.arch)
    trained = checkpoint.get("config", {})
    dataset = args.dataset or trained.get("dataset")
    if not dataset:
        raise DatasetLayoutError(f"{args.checkpoint} does not say which dataset it was trained on: pass --dataset")
    frames = args.frames_per_video or trained.get("frames_per_video") or 32
    output = Path(args.output or Path(args.checkpoint).parent / "eval")
    faces_dir = Path(args.faces_dir or output / "faces")

    records = evaluation_records(dataset, args.test_data, args.methods)
    preprocess_faces_dir(records, faces_dir, dataset, frames, detector=args.detector, device=args.device,
                         progress=not args.quiet)
    test_set = VideoSubset(FaceFrameDataset(faces_dir, transform=Normalizer(size, mean, std)),
                           [r.uid for r in records])
    check_both_classes(test_set.labels, "evaluation")
    config = TrainConfig(batch_size=args.batch_size, num_workers=args.num_workers, device=str(device),
                         arch=arch, progress=not args.quiet)
    predicted = Trainer(model, None, None, config).predict(test_set)
    labels, scores, video_ids = predicted["labels"], predicted["scores"], predicted["video_ids"]
    summary = summarize(labels, scores, video_ids, methods=video_methods(video_ids), threshold=args.threshold,
                        how=args.aggregate)
    _, video_scores, video_labels = aggregate_video_scores(scores, video_ids, labels, how=args.aggregate)
    write_json(output / "predictions.json", {"video_ids": list(video_ids), "labels": labels.tolist(),
                                             "scores": scores.tolist()})
    plot_roc(video_labels, video_scores, output / "roc.png", title=f"{arch}: video-level ROC")
    plot_pr(video_labels, video_scores, output / "pr.png", title=f"{arch}: video-level precision-recall")
    plot_score_histogram(video_labels, video_scores, output / "score_histogram.png", threshold=args.threshold,
                         title=f"{arch}: video scores")
    write_report(output / "metrics.json", summary, config=vars(args), arch=arch, dataset=dataset,
                 checkpoint=str(Path(args.checkpoint).resolve()), test_videos=len(records),
                 evaluated_videos=len(set(video_ids)), face_crops=len(labels))
    frame, video = summary["frame"], summary["video"]
    print(f"{arch} on {len(set(video_ids))} {dataset} videos ({len(labels)} face crops): "
          f"video AUC {video['auc']:.4f}, AP {video['ap']:.4f}, EER {video['eer']:.4f}; "
          f"frame AUC {frame['auc']:.4f} -> {output / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
