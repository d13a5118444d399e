"""The detect driver: is this video a deepfake? Score one video with any phase's checkpoint; a JSON report.

Pipeline: decode ``--frames`` evenly spaced frames (only those are kept in memory) -> face boxes by the
one face path (:class:`dfkit.faces.FaceTracker`: MTCNN on a copy downscaled to ``--detect-size``,
faces under ``--min-face`` of the shorter side ignored, every face linked into a track, gaps filled,
each track smoothed) -> per track: crops exactly as the training cache makes them -> the detector's
inputs (face crops or clips, :func:`dfkit.drivers.inputs.video_inputs`) -> scores in batches, in bfloat16
where the hardware runs it natively (``--precision``) -> track score (``--aggregate``) -> video score =
the most suspicious track's -> verdict "fake" when score >= ``--threshold``.
Scoring and pooling are the phase-1 exercise ``predict_video``; ``--runtime`` runs the model in PyTorch or
ONNX Runtime (:mod:`dfkit.runtime`). A "signals" detector (phase 4) reads consecutive frames instead and
scores one feature vector per video (:func:`dfkit.drivers.signals.video_report`); a "multi" one (the
fusion) is refused with a pointer to ``multi_modal_detect.py``.

The report (written atomically) holds per-frame indices, boxes and scores of the deciding track,
every track (``tracks``: its per-frame boxes and scores, its score, whether it decided), the video score and verdict,
the model (detector, constructor arguments, input kind and size, checkpoint, device, precision, runtime),
for a signals detector its ``signals`` (blink rate, heart rate, SNR, pose inconsistency, every feature), and
the seconds spent on setup, decoding, face detection and the model. Bad input gets one ``error:`` line
and exit status 2 before any work; no report is written and an existing one is left untouched.
"""
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from dfkit.atomic import write_json
from dfkit.cli import ArgumentParser, fraction, positive_int, probability
from dfkit.curriculum import add_impl_argument, load
from dfkit.drivers.checkpoints import record_input_spec
from dfkit.drivers.common import checked_device, checked_output_file, exercises_reported, use_impl
from dfkit.drivers.inputs import video_inputs
from dfkit.errors import DfkitError
from dfkit.faces.pipeline import DETECT_SIZE, MIN_FACE, MIN_FACE_PX
from dfkit.metrics.scores import SCORING_EXERCISE, VIDEO_AGGREGATIONS
from dfkit.runtime import add_runtime_choice, load_model, runtime_name
from dfkit.training.device import channels_last_model

CPU_BATCH, GPU_BATCH = 4, 32  # default --batch-size


def build_parser(prog="detect_video.py"):
    parser = ArgumentParser(prog=prog, description="Is this video a deepfake? Score it with a trained detector.")
    parser.add_argument("--input", required=True, help="video file (mp4, avi, mov, mkv, webm)")
    parser.add_argument("--model", required=True,
                        help="checkpoint written by any phase's train.py, or an .onnx export (python -m dfkit.export)")
    parser.add_argument("--output", required=True, help="JSON report to write")
    parser.add_argument("--frames", type=positive_int, default=32, help="evenly spaced frames to score")
    parser.add_argument("--detect-size", type=positive_int, default=DETECT_SIZE,
                        help="face detection on frames downscaled to this longer side (px)")
    parser.add_argument("--min-face", type=fraction, default=MIN_FACE,
                        help="smallest face to look for, as a fraction of the frame's shorter side "
                             f"(at least {MIN_FACE_PX} px)")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                        help="model arithmetic; auto = bf16 on CPUs with AMX/AVX512-BF16 and on GPUs with "
                             "bf16 support (2-3x faster there, scores within about 0.01), else fp32")
    parser.add_argument("--threshold", type=probability, default=0.5, help="video score at or above it = fake")
    parser.add_argument("--aggregate", choices=VIDEO_AGGREGATIONS, default="mean",
                        help="how item scores pool into the video score")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help=f"items per forward pass (default {CPU_BATCH} on a CPU, where small batches "
                             f"stay in cache and run fastest, {GPU_BATCH} on a GPU)")
    parser.add_argument("--arch", default=None, help="detector name of a bare state_dict checkpoint")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    add_runtime_choice(parser)
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


def score_track(model, record, frames, indices, track, how, batch_size, precision):
    """Score one face track of the sampled ``frames`` (T, H, W, 3) at video frame ``indices`` (T,).

    track: a :class:`dfkit.faces.tracks.FaceTrack`. Returns ``(per-frame report entries, track score)``:
    the crops of its boxes through the detector's inputs and the phase-1 exercise ``predict_video``.
    """
    from dfkit import registry
    from dfkit.faces.pipeline import crop_faces

    device = next(model.parameters()).device
    kind = registry.get(record["name"]).input_kind
    crops = crop_faces(frames, track.boxes, record["margin"])
    inputs, positions = video_inputs(kind, crops, record_input_spec(record))
    if inputs.dim() == 4:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        item_scores, score = load(SCORING_EXERCISE).predict_video(model, inputs, how=how, batch_size=batch_size)
    frame_scores = [None] * len(frames)
    for item_score, covered in zip(item_scores, positions):
        for t in covered:
            frame_scores[t] = float(item_score)
    per_frame = [{"index": int(i), "box": [round(float(v), 2) for v in box], "face_found": bool(f), "score": s}
                 for i, box, f, s in zip(indices, track.boxes, track.found, frame_scores)]
    return per_frame, float(score)


def analyse_video(path, model, record, num_frames, tracker, how, batch_size, precision, seconds):
    """Score the video at ``path``: returns ``(per-frame report entries, video score, tracks)``.

    Every face track (:meth:`dfkit.faces.FaceTracker.tracks`) is scored; the video score is the most
    suspicious track's (a video is as fake as its most fake face: one of two people may be swapped),
    and the per-frame entries are that track's. tracks: one entry per track, longest first,
    ``{"id", "score", "chosen", "frames"}``. record: the checkpoint's detector record.
    precision: "fp32" or "bf16" (autocast). ``seconds`` gets the time spent in "decode",
    "face_detection" and "model" (cropping, preparing inputs, scoring).
    """
    from dfkit.video import read_frames

    device = next(model.parameters()).device
    with timed(seconds, "decode", device):
        frames, indices = read_frames(path, num_frames=num_frames)
    with timed(seconds, "face_detection", device):
        face_tracks = tracker.tracks(frames)
    with timed(seconds, "model", device):
        scored = [score_track(model, record, frames, indices, track, how, batch_size, precision)
                  for track in face_tracks]
    chosen = max(range(len(scored)), key=lambda k: scored[k][1])  # the first of equal scores
    tracks = [{"id": k, "score": score, "chosen": k == chosen, "frames": per_frame}
              for k, (per_frame, score) in enumerate(scored)]
    return scored[chosen][0], scored[chosen][1], tracks


def main(argv=None, prog="detect_video.py"):
    args = build_parser(prog).parse_args(argv)
    output = checked_output_file(args.output)
    device = checked_device(args.device)
    use_impl(args.impl)
    from dfkit import registry
    from dfkit.faces.pipeline import FaceTracker
    from dfkit.video import probe

    started = time.perf_counter()
    seconds = {}
    with exercises_reported():
        with timed(seconds, "setup", device):
            info = probe(args.input)  # fail fast on a bad video, before loading any model
            model, record, _, precision = load_model(args.model, args.runtime, arch=args.arch, device=device,
                                                     precision=model_precision(args.precision, device))
            if registry.get(record["name"]).input_kind == "multi":
                raise DfkitError(f"{args.model} fuses several detectors' scores: score a video with "
                                 f"phase5_advanced_methods/multi_modal_detect.py --fusion {args.model}")
            model = channels_last_model(model)  # faster 2-D convolutions on CPU and on CUDA
            batch_size = args.batch_size or (CPU_BATCH if device.type == "cpu" else GPU_BATCH)
            tracker = FaceTracker(device=device, detect_size=args.detect_size, min_face=args.min_face)
        signals = None
        if registry.get(record["name"]).input_kind == "signals":  # one feature vector from consecutive frames
            from dfkit.drivers.signals import video_report

            with timed(seconds, "model", device):
                video_score, signals = video_report(args.input, model, record, tracker)
            per_frame, tracks = [], []
        else:
            per_frame, video_score, tracks = analyse_video(args.input, model, record, args.frames, tracker,
                                                           args.aggregate, batch_size, precision, seconds)
    verdict = "fake" if video_score >= args.threshold else "real"
    seconds["total"] = time.perf_counter() - started
    spec = record_input_spec(record)
    report = {
        "input": str(Path(args.input).resolve()),
        "video": {"fps": info.fps, "num_frames": info.num_frames, "width": info.width, "height": info.height,
                  "duration_s": info.duration_s},
        "model": {"arch": record["name"], "kwargs": record["kwargs"],
                  "input_kind": registry.get(record["name"]).input_kind, "input_size": spec.size,
                  "clip_len": spec.clip_len, "checkpoint": str(Path(args.model).resolve()), "device": str(device),
                  "precision": precision, "runtime": runtime_name(model)},
        "frames": per_frame,
        "tracks": tracks,
        "video_score": video_score,
        "aggregate": args.aggregate,
        "threshold": args.threshold,
        "verdict": verdict,
        "timing_s": {stage: round(t, 4) for stage, t in seconds.items()},
    }
    if signals is not None:
        report["signals"] = signals
        print(f"blink rate {signals['blink_rate_per_min']:.1f}/min, heart rate {signals['heart_rate_bpm']:.1f} bpm "
              f"(SNR {signals['pulse_snr_db']:.1f} dB), pose inconsistency {signals['pose_inconsistency_deg']:.1f} deg "
              f"over {signals['frames_analysed']} frames")
    write_json(output, report)
    faces = sum(frame["face_found"] for frame in per_frame) if signals is None else signals["face_found_frames"]
    looked = len(per_frame) if signals is None else signals["frames_analysed"]
    track_count = "" if signals is not None else f", {len(tracks)} face track(s)"  # signals: the main face only
    print(f"{args.input}: {verdict} (score {video_score:.3f}, threshold {args.threshold}; face found in "
          f"{faces}/{looked} frames{track_count}; {seconds['total']:.1f} s) -> {output}", file=sys.stdout)
    return 0
