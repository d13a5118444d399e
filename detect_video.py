"""Is this video a deepfake? Score one video with a trained phase-1 detector and write a JSON report.

    python detect_video.py --input suspicious_video.mp4 --model runs/xception/best.pt --output report.json

Pipeline: decode ``--frames`` evenly spaced frames (only those are kept in memory) -> MTCNN face
boxes, the frames batched and downscaled to ``--detect-size`` px, faces smaller than ``--min-face``
of the frame's shorter side ignored (boxes come back in full-resolution pixels; frames where no
face is found take the box interpolated from their neighbours) -> square face crops (margin 1.3)
resized and normalised for the model -> frame scores in batches, in bfloat16 where the hardware
runs it natively (``--precision``) -> video score (``--aggregate``) -> verdict "fake" when the
score >= ``--threshold``.

The report (written atomically) holds per-frame indices, boxes and scores, the video score and
verdict, the model's architecture and checkpoint path, and the seconds spent decoding, detecting
faces and running the model. Bad input (missing or unreadable video, no face in any sampled frame,
missing, corrupt or wrong-architecture checkpoint, bad flags) prints one ``error:`` line and exits
with status 2; no report is written and an existing one is left untouched.
"""
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from dfkit.atomic import write_json
from dfkit.cli import ArgumentParser, fraction, positive_int, run
from dfkit.curriculum import add_impl_argument, load
from phase1_cnn_detection.cli_common import CLASSIFIER, FACE_MARGIN, FEATURES, load_trained_detector, use_impl

MIN_FACE_PX = 20  # floor of --min-face in px (MTCNN's own default smallest face)
CPU_BATCH, GPU_BATCH = 4, 32  # default --batch-size


def build_parser():
    parser = ArgumentParser(prog="detect_video.py", description=__doc__.split("\n")[0])
    parser.add_argument("--input", required=True, help="video file (mp4, avi, mov, mkv, webm)")
    parser.add_argument("--model", required=True, help="checkpoint written by phase1_cnn_detection/train.py")
    parser.add_argument("--output", required=True, help="JSON report to write")
    parser.add_argument("--frames", type=positive_int, default=32, help="evenly spaced frames to score")
    parser.add_argument("--detect-size", type=positive_int, default=640,
                        help="face detection on frames downscaled to this longer side (px)")
    parser.add_argument("--min-face", type=fraction, default=0.1,
                        help="smallest face to look for, as a fraction of the frame's shorter side "
                             f"(at least {MIN_FACE_PX} px)")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                        help="model arithmetic; auto = bf16 on CPUs with AMX/AVX512-BF16 and on GPUs with "
                             "bf16 support (2-3x faster there, scores within about 0.01), else fp32")
    parser.add_argument("--threshold", type=float, default=0.5, help="video score at or above it = fake")
    parser.add_argument("--aggregate", choices=("mean", "median", "max", "topk"), default="mean",
                        help="how frame scores pool into the video score")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help=f"face crops per forward pass (default {CPU_BATCH} on a CPU, where small batches "
                             f"stay in cache and run fastest, {GPU_BATCH} on a GPU)")
    parser.add_argument("--arch", default=None, help="architecture of a bare state_dict checkpoint")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    add_impl_argument(parser)
    return parser


def model_precision(choice, device):
    """"fp32" or "bf16" for ``choice`` ("auto", "fp32", "bf16") on ``device`` (a torch.device)."""
    if choice != "auto":
        return choice
    if device.type == "cuda":
        native = torch.cuda.is_bf16_supported()
    elif device.type == "cpu":
        native = torch.ops.mkldnn._is_mkldnn_bf16_supported()  # oneDNN: AVX512-BF16 or AMX present
    else:
        native = False
    return "bf16" if native else "fp32"


@contextmanager
def timed(seconds, stage, device):
    """Add the wall time of the ``with`` body to ``seconds[stage]`` (waiting for CUDA work to finish)."""
    start = time.perf_counter()
    yield
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start


def analyse_video(path, model, spec, num_frames, detector, features, classifier, how, batch_size, precision,
                  seconds):
    """Score the video at ``path``: returns ``(per-frame report entries, video score)``.

    spec: (size, mean, std) of the model's input. detector: a dfkit FaceDetector. precision: "fp32"
    or "bf16" (autocast). ``seconds`` gets the time spent in "decode", "face_detection" and "model"
    (cropping, normalising, scoring).
    """
    from dfkit.video import read_frames

    size, mean, std = spec
    device = next(model.parameters()).device
    with timed(seconds, "decode", device):
        frames, indices = read_frames(path, num_frames=num_frames)
    with timed(seconds, "face_detection", device):
        boxes, found = detector.detect_clip(frames, smooth=False)
    with timed(seconds, "model", device):
        crops = np.stack([features.crop_face(frame, box, FACE_MARGIN, size) for frame, box in zip(frames, boxes)])
        faces = features.normalize(crops, mean, std).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            frame_scores, video_score = classifier.predict_video(model, faces, how=how, batch_size=batch_size)
    per_frame = [{"index": int(i), "box": [round(float(v), 2) for v in box], "face_found": bool(f),
                  "score": float(s)} for i, box, f, s in zip(indices, boxes, found, frame_scores)]
    return per_frame, float(video_score)


def main(argv=None):
    args = build_parser().parse_args(argv)
    use_impl(args.impl)
    from dfkit.faces import FaceDetector
    from dfkit.training import select_device
    from dfkit.video import probe

    started = time.perf_counter()
    device = select_device(args.device)
    seconds = {}
    classifier, features = load(CLASSIFIER), load(FEATURES)
    with timed(seconds, "setup", device):
        info = probe(args.input)  # fail fast on a bad video, before loading any model
        model, arch, spec, _ = load_trained_detector(args.model, classifier, arch=args.arch, device=device)
        model = model.to(memory_format=torch.channels_last)  # faster convolutions on CPU and on CUDA
        precision = model_precision(args.precision, device)
        batch_size = args.batch_size or (CPU_BATCH if device.type == "cpu" else GPU_BATCH)
        detector = FaceDetector(device=device, detect_size=args.detect_size,
                                min_face_size=max(MIN_FACE_PX, args.min_face * min(info.width, info.height)))
    per_frame, video_score = analyse_video(args.input, model, spec, args.frames, detector, features, classifier,
                                           args.aggregate, batch_size, precision, seconds)
    verdict = "fake" if video_score >= args.threshold else "real"
    seconds["total"] = time.perf_counter() - started
    report = {
        "input": str(Path(args.input).resolve()),
        "video": {"fps": info.fps, "num_frames": info.num_frames, "width": info.width, "height": info.height,
                  "duration_s": info.duration_s},
        "model": {"arch": arch, "checkpoint": str(Path(args.model).resolve()), "input_size": spec[0],
                  "device": str(device), "precision": precision},
        "frames": per_frame,
        "video_score": video_score,
        "aggregate": args.aggregate,
        "threshold": args.threshold,
        "verdict": verdict,
        "timing_s": {stage: round(t, 4) for stage, t in seconds.items()},
    }
    write_json(args.output, report)
    faces = sum(frame["face_found"] for frame in per_frame)
    print(f"{args.input}: {verdict} (score {video_score:.3f}, threshold {args.threshold}; face found in "
          f"{faces}/{len(per_frame)} frames; {seconds['total']:.1f} s) -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
