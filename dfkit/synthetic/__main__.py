"""CLI: write a synthetic FaceForensics++-layout dataset.

    python -m dfkit.synthetic --out data/synth --num-videos 20 --frames 32 --size 128 --seed 0 \
        [--crf 23 40] [--manipulations blend flicker] [--photo astronaut] [--strength 0.5] [--speech] [--head-pose 20]
"""
import argparse
import time
from collections import Counter

from dfkit.cli import ArgumentParser, positive_int, run
from dfkit.synthetic.dataset_writer import write_dataset
from dfkit.synthetic.manipulations import REGISTRY


def _even_size(text):
    value = positive_int(text)
    if value % 2 or value < 32:
        raise argparse.ArgumentTypeError(f"expected an even size >= 32 px (H.264 yuv420p), got {text}")
    return value


def _strength(text):
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a strength in (0, 1], got {text}")
    return value


def _crf(text):
    value = int(text)
    if not 0 <= value <= 51:
        raise argparse.ArgumentTypeError(f"expected a CRF in 0..51, got {text}")
    return value


def build_parser():
    parser = ArgumentParser(prog="python -m dfkit.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder (FaceForensics++ layout)")
    parser.add_argument("--num-videos", type=positive_int, default=10,
                        help="real videos (each gets one fake per method)")
    parser.add_argument("--frames", type=positive_int, default=32, help="frames per video")
    parser.add_argument("--size", type=_even_size, default=128, help="square frame size in px (even)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--crf", type=_crf, nargs="+", default=[23], help="H.264 CRFs: 23 -> c23, 40 -> c40, 0 -> raw")
    cues = "; ".join(f"{name}: {m.cue}" for name, m in REGISTRY.items())
    parser.add_argument("--manipulations", nargs="+", choices=tuple(REGISTRY), default=None,
                        help=f"one method folder each (default: all; without --speech, all but the audio ones). {cues}")
    parser.add_argument("--photo", choices=["astronaut"], default=None,
                        help="animate a real photo instead of a drawn face")
    parser.add_argument("--strength", type=_strength, default=1.0, help="artifact strength in (0, 1]")
    parser.add_argument("--speech", action="store_true",
                        help="every clip speaks: moving mouth + AAC audio track (needed by av_offset, lip_mismatch)")
    parser.add_argument("--head-pose", type=float, default=None, metavar="DEG",
                        help="heads turn in 3-D, yaw and pitch within +-DEG degrees (0-45; default: "
                             "in-plane motion only)")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    if args.head_pose is not None and not 0 <= args.head_pose <= 45:
        parser.error(f"--head-pose must be in [0, 45] degrees, got {args.head_pose:g}")
    needs_audio = [m for m in args.manipulations or () if REGISTRY[m].audio]
    if needs_audio and not args.speech:
        parser.error(f"--manipulations {' '.join(needs_audio)} change the audio: add --speech")
    started = time.perf_counter()
    paths = write_dataset(args.out, args.num_videos, num_frames=args.frames, size=args.size, seed=args.seed,
                          crfs=tuple(args.crf), manipulations=args.manipulations, fps=args.fps, photo=args.photo,
                          strength=args.strength, speech=args.speech, head_pose_deg=args.head_pose)
    per_folder = Counter(str(p.parent.parent.parent.name) for p in paths)
    print(f"wrote {len(paths)} videos to {args.out} in {time.perf_counter() - started:.1f} s")
    for folder, count in sorted(per_folder.items()):
        print(f"  {folder}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run(main))
