"""python -m dfkit.preprocess: crop the faces of a dataset's videos into <out>/crops + <out>/manifest.

Resumable: a video with a manifest line is skipped, so rerunning the same command
after an interruption finishes the rest. Shardable: ``--shard i/N`` takes every
N-th video (sorted by method/video id) from the i-th, and writes its own manifest
part, so N jobs can run at once into the same --out.

Exit status: 0 when the run went through its videos, even if some failed (each
failure is logged with its path, recorded in the manifest as "failed" and counted
in the summary; --retry-failed redoes them); 2 for bad arguments, a dataset
without the expected layout, or an --out made with other settings; 130 when
interrupted.
"""
import argparse
import logging
import sys

from dfkit.cli import ArgumentParser, fraction, positive_int, run
from dfkit.datasets import COMPRESSIONS, DATASETS, load_records
from dfkit.faces.pipeline import CROP_SIZE, DETECT_SIZE, FACE_MARGIN, MIN_FACE
from dfkit.training.device import select_device
from dfkit.preprocess.pipeline import DETECTORS, PreprocessOptions, preprocess_records


def parse_shard(text):
    """ "i/N" -> (i, N) with 0 <= i < N."""
    try:
        index, count = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected i/N (e.g. 0/4), got {text!r}") from None
    if not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"expected 0 <= i < N in i/N, got {text!r}")
    return index, count


def build_parser():
    parser = ArgumentParser(prog="python -m dfkit.preprocess", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--dataset", required=True, choices=sorted(DATASETS))
    parser.add_argument("--data-root", required=True, help="the dataset folder, in its published layout")
    parser.add_argument("--out", required=True, help="output folder (crops/, landmarks/, manifest/)")
    parser.add_argument("--frames", type=positive_int, default=32, help="evenly spaced frames per video")
    parser.add_argument("--split", default=None, help="train / val / test where the dataset defines it")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="manipulation methods to keep (real videos: 'real'; default: all)")
    parser.add_argument("--compression", choices=COMPRESSIONS, default="c23",
                        help="FaceForensics++ / synthetic quality folder")
    parser.add_argument("--size", type=positive_int, default=CROP_SIZE, help="crop side in pixels")
    parser.add_argument("--margin", type=float, default=FACE_MARGIN, help="crop side / face box side")
    parser.add_argument("--detector", choices=DETECTORS, default="mtcnn",
                        help="groundtruth = boxes from the synthetic .json sidecar")
    parser.add_argument("--detect-size", type=positive_int, default=DETECT_SIZE,
                        help="run MTCNN on frames downscaled to this longer side (faster)")
    parser.add_argument("--min-face", type=fraction, default=MIN_FACE,
                        help="smallest face, as a fraction of the frame's shorter side")
    parser.add_argument("--landmarks", action="store_true", help="also save 68-point landmarks per video")
    parser.add_argument("--shard", type=parse_shard, default=(0, 1), help="i/N: this job's share of the videos")
    parser.add_argument("--limit", type=positive_int, default=None, help="stop after this many videos")
    parser.add_argument("--retry-failed", action="store_true", help="redo videos whose manifest line says failed")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    select_device(args.device)  # one clear line for a device that is not there, before any work
    records = load_records(args.dataset, args.data_root, split=args.split, methods=args.methods,
                           compression=args.compression)
    options = PreprocessOptions(frames=args.frames, size=args.size, margin=args.margin, detector=args.detector,
                                detect_size=args.detect_size, min_face=args.min_face, landmarks=args.landmarks,
                                compression=args.compression, device=args.device)
    summary = preprocess_records(records, args.out, options, dataset=args.dataset, shard=args.shard,
                                 limit=args.limit, retry_failed=args.retry_failed)
    print(f"shard {args.shard[0]}/{args.shard[1]}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
