"""``visualize_detection.py``: draw a detection report onto its video.

Each face box is coloured by its score (probability of fake) with the score printed; under the frame a
panel shows the verdict, the legend and a running score timeline. Frames the report did not sample take
the nearest sampled box and score (marked ``*``). Output: H.264 MP4 (yuv420p, even size, the input's
frame rate) and, with ``--summary``, a PNG sheet of sampled frames and the score plot. ``--heatmap``
overlays the checkpoint's Grad-CAM on each face. Bad input gets one ``error:`` line and exit status 2
before any work; nothing is half-written.
"""
import sys
from pathlib import Path

from dfkit.cli import ArgumentParser
from dfkit.drivers.common import checked_device, checked_output_file, exercises_reported
from dfkit.errors import DfkitError


def build_parser(prog="visualize_detection.py"):
    parser = ArgumentParser(prog=prog, description="Draw a detect_video.py report onto its video.")
    parser.add_argument("--video", required=True, help="the video the report was made from")
    parser.add_argument("--predictions", required=True, help="JSON report of detect_video.py or multi_modal_detect.py")
    parser.add_argument("--output", required=True, help="annotated video to write (.mp4)")
    parser.add_argument("--summary", default=None, help="also write a PNG summary sheet here")
    parser.add_argument("--heatmap", action="store_true", help="overlay Grad-CAM of --model on each face")
    parser.add_argument("--model", default=None, help="checkpoint for --heatmap (the one that made the report)")
    parser.add_argument("--crf", type=int, choices=range(0, 52), metavar="0..51", default=20,
                        help="H.264 quality (lower = better, larger file)")
    parser.add_argument("--device", default=None, help="device for --heatmap: cpu, cuda, mps (default: best available)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _checked_output(path, flag, suffix, video):
    """``path`` as a Path if a ``suffix`` file can be written there without overwriting ``video``; else DfkitError."""
    path = checked_output_file(path, flag=flag)
    if path.suffix.lower() != suffix:
        raise DfkitError(f"{flag} {path}: expected a {suffix} file name")
    if path.resolve() == Path(video).resolve():
        raise DfkitError(f"{flag} {path} is the input video; give another file name")
    return path


def main(argv=None, prog="visualize_detection.py"):
    args = build_parser(prog).parse_args(argv)
    if args.heatmap and not args.model:
        raise DfkitError("--heatmap needs --model (the checkpoint that made the report)")
    output = _checked_output(args.output, "--output", ".mp4", args.video)
    summary = _checked_output(args.summary, "--summary", ".png", args.video) if args.summary else None
    from dfkit.video import probe
    from dfkit.visualize.annotate import annotate_video
    from dfkit.visualize.report import read_report

    info = probe(args.video)
    report = read_report(args.predictions, args.video, info)
    overlay = None
    with exercises_reported():
        if args.heatmap:
            from dfkit.visualize.heatmap import GradCamOverlay

            overlay = GradCamOverlay(args.model, checked_device(args.device))
            overlay.prepare(args.video, report)
        count = annotate_video(args.video, report, info, output, summary, overlay, crf=args.crf,
                               progress=False if args.quiet else None)
    written = f"{output}" + (f" and {summary}" if summary else "")
    print(f"{args.video}: {report.verdict} ({len(report.tracks)} face track(s), {len(report.sampled)} sampled "
          f"of {count} frames) -> {written}", file=sys.stdout)
    return 0
