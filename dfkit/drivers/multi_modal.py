"""The multi-modal driver: score one video with several detectors (visual, temporal, frequency, physio) and
its audio-visual sync, then fuse what is available into one verdict.

The video is decoded ONCE (``--frames`` evenly spaced frames) and its main face tracked ONCE; every
checkpoint scores those frames and boxes (:func:`dfkit.drivers.detect.score_track`), each with its own
crop margin and input spec. The audio modality reads the audio track (none: "absent", never silence
standing in for it) and scores how well its loudness follows the mouth: :func:`mouth_opening` of the
face crops against the phase-5 exercise ``audio_envelope`` at the sampled frames, through ``sync_score``.
A modality that cannot score this video (no checkpoint given, a clip too short for a pulse, no audio)
is masked out, and the fusion runs over the rest: the exercise's ``late_fusion`` of the raw scores, or,
with ``--fusion``, the registry's ``fusion`` detector (Platt calibration + stacking, fitted by
``train.py --model fusion``, which scores its validation videos with :func:`fit_training_set`).

Bad input gets one ``error:`` line and exit status 2 before any work; no report is written.
"""
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from dfkit.atomic import write_json
from dfkit.cli import ArgumentParser, positive_int, probability
from dfkit.curriculum import add_impl_argument, load
from dfkit.drivers.checkpoints import load_detector
from dfkit.drivers.common import checked_device, checked_output_file, exercises_reported, use_impl
from dfkit.drivers.detect import CPU_BATCH, GPU_BATCH, model_precision, score_track, timed
from dfkit.errors import DfkitError
from dfkit.faces.pipeline import DETECT_SIZE, MIN_FACE
from dfkit.training.device import channels_last_model

EXERCISE = "phase5_advanced_methods.template_multi_modal"
CHECKPOINT_MODALITIES = ("visual", "temporal", "frequency", "physio")  # scored by a detector checkpoint
MOUTH_WINDOW = ((0.64, 0.80), (0.40, 0.60))  # (y, x) fractions of a 1.3x face crop around the mouth


def build_parser(prog="multi_modal_detect.py"):
    parser = ArgumentParser(prog=prog, description="Is this video a deepfake? Fuse several detectors and lip sync.")
    parser.add_argument("--input", required=True, help="video file (mp4, avi, mov, mkv, webm)")
    parser.add_argument("--output", required=True, help="JSON report to write")
    for modality in CHECKPOINT_MODALITIES:
        parser.add_argument(f"--{modality}-model", default=None, help=f"checkpoint of the {modality} detector")
    parser.add_argument("--fusion", default=None, help="fusion fitted by `train.py --model fusion` "
                        "(default: equal-weight late fusion of the uncalibrated scores)")
    parser.add_argument("--no-audio", action="store_true", help="leave the audio modality out")
    parser.add_argument("--frames", type=positive_int, default=32, help="evenly spaced frames, shared by all modalities")
    parser.add_argument("--threshold", type=probability, default=0.5, help="fused score at or above it = fake")
    parser.add_argument("--batch-size", type=positive_int, default=None, help="items per forward pass")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto")
    add_impl_argument(parser)
    return parser


def mouth_opening(crops):
    """(T,) float64 how open the mouth looks in each face crop (T, S, S, 3) uint8: the mean darkness
    (255 - grey) in :data:`MOUTH_WINDOW`, where an open mouth shows its dark interior. Unitless: the sync
    score is a correlation, so only its rise and fall matter."""
    size = np.shape(crops)[1]
    (y0, y1), (x0, x1) = [(int(a * size), max(int(b * size), int(a * size) + 1)) for a, b in MOUTH_WINDOW]
    return np.array([255.0 - cv2.cvtColor(np.ascontiguousarray(crop[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).mean()
                     for crop in crops])


def audio_sync(audio, fps, indices, crops):
    """``(sync score, lag)`` of the audio ``(samples, rate)`` against the mouth in ``crops`` at video frame
    ``indices``; the lag (frames) only when the frames are consecutive, else None."""
    exercise = load(EXERCISE)
    samples, rate = audio
    envelope = exercise.audio_envelope(samples, rate, fps, int(indices[-1]) + 1)[np.asarray(indices)]
    mouth = mouth_opening(crops)
    lag = None
    if len(indices) > 8 and np.all(np.diff(indices) == 1):
        lag = exercise.av_lag(envelope, mouth, max_lag=min(10, len(indices) // 3))
    return float(exercise.sync_score(envelope, mouth)), lag


def fuse(raw, fusion=None):
    """(N,) fused fake-probabilities of raw scores (N, M) (NaN = missing) over the available modalities:
    a fitted ``fusion`` detector (the exercise module's ``FusionHead``), or (None) the exercise's
    equal-weight ``late_fusion``."""
    raw = np.asarray(raw, np.float64)
    if fusion is None:
        return load(EXERCISE).late_fusion(raw, ~np.isnan(raw))
    with torch.inference_mode():
        return torch.sigmoid(fusion(torch.from_numpy(raw))).double().numpy()


def modality_scores(path, frames, indices, fps, track, models, audio, batch_size, precision, seconds, device,
                    locate=None):
    """Raw fake-probability and note of every modality for one video's decoded ``frames`` and main ``track``.

    models: {modality: (model, record)}; audio: ``(samples, rate)``, None (no track) or False (left out).
    A "signals" physio checkpoint (phase 4) reads its own consecutive frames from ``path`` and finds their
    faces with ``locate`` (see :func:`score_video`; a pulse cannot be measured on sampled frames); one
    that finds the clip too short is masked out.
    Returns {modality: {"score": float | None, "note": str}} in the exercise's MODALITIES order.
    """
    from dfkit import registry
    from dfkit.faces.pipeline import crop_faces

    exercise = load(EXERCISE)
    duration = (indices[-1] - indices[0] + 1) / fps
    face = bool(np.any(track.found))
    out = {}
    for modality in exercise.MODALITIES:
        if modality == "audio":
            if audio is False:
                out[modality] = {"score": None, "note": "left out (--no-audio)"}
            elif audio is None:
                out[modality] = {"score": None, "note": "absent (the video has no audio track)"}
            elif not face:
                out[modality] = {"score": None, "note": "no face to read the lips from"}
            else:
                with timed(seconds, "audio", device):
                    sync, lag = audio_sync(audio, fps, indices, crop_faces(frames, track.boxes))
                out[modality] = {"score": (1.0 - sync) / 2, "note": f"sync {sync:.3f}", "sync": sync, "lag": lag}
            continue
        if modality not in models:
            out[modality] = {"score": None, "note": "no checkpoint given"}
            continue
        model, record = models[modality]
        if registry.get(record["name"]).input_kind == "signals":
            from dfkit.drivers.signals import video_report

            try:
                with timed(seconds, modality, device):
                    score, _ = video_report(path, model, record, lambda consecutive: locate(consecutive, None))
                out[modality] = {"score": float(score), "note": record["name"]}
            except DfkitError as err:
                out[modality] = {"score": None, "note": str(err)}
        elif modality == "physio" and duration < exercise.MIN_PULSE_SECONDS:
            out[modality] = {"score": None, "note": f"clip too short for a pulse ({duration:.1f} s < "
                                                    f"{exercise.MIN_PULSE_SECONDS:g} s)"}
        else:
            with timed(seconds, modality, device):
                _, score = score_track(model, record, frames, indices, track, "mean", batch_size, precision)
            out[modality] = {"score": float(score), "note": record["name"]}
    return out


def score_video(path, num_frames, models, locate, audio, batch_size, precision, seconds, device):
    """Decode ``path`` once, find its main face once, score every modality: ``(scores, indices, track, info)``.

    locate(frames, indices) -> (boxes (T, 4), found (T,)): the face path (MTCNN tracking) or, for a
    synthetic dataset, its sidecar's true boxes (indices None = consecutive frames from 0). audio: True
    (read the track) or False (left out). ``seconds`` gets "decode", "face_detection" and each modality's time.
    """
    from dfkit.faces.tracks import FaceTrack
    from dfkit.video import probe, read_audio, read_frames

    with timed(seconds, "decode", device):
        info = probe(path)
        frames, indices = read_frames(path, num_frames=num_frames)
        samples = read_audio(path) if audio else False
    with timed(seconds, "face_detection", device):
        boxes, found = locate(frames, indices)
        track = FaceTrack(np.asarray(boxes), np.asarray(found, bool), np.ones(len(frames)))
    scores = modality_scores(path, frames, indices, info.fps, track, models, samples, batch_size, precision,
                             seconds, device, locate)
    return scores, indices, track, info


def load_models(paths, device):
    """{modality: (model in eval mode, record)} of the checkpoint ``paths`` {modality: path}."""
    from dfkit import registry

    models = {}
    for modality, path in paths.items():
        model, record, _ = load_detector(path, device=device)
        if registry.get(record["name"]).input_kind == "multi":
            raise DfkitError(f"--{modality}-model {path} is a fusion checkpoint: pass it as --fusion")
        models[modality] = (channels_last_model(model), record)  # faster 2-D convolutions, as detect_video
    return models


def raw_scores(scores):
    """(M,) raw fake-probabilities of a :func:`modality_scores` dict, NaN where a modality is missing."""
    return np.array([np.nan if s["score"] is None else s["score"] for s in scores.values()])


def fit_training_set(args, kwargs, config, record):
    """The train driver's closed-form path for ``--model fusion``: every non-test video of ``--data-root``
    scored by the modality checkpoints named in ``kwargs`` (``--model-arg visual=...``) and its audio
    sync, then the fusion fitted on those scores (:func:`dfkit.drivers.signals.fit_and_save`)."""
    from tqdm import tqdm

    from dfkit.datasets import load_records
    from dfkit.drivers.signals import default_detector, fit_and_save
    from dfkit.drivers.sources import check_both_classes
    from dfkit.preprocess import PreprocessOptions
    from dfkit.preprocess.pipeline import FaceLocator

    if args.data_root is None:
        raise DfkitError("--model fusion is fitted on videos with audio: give --data-root (e.g. a dataset "
                         "written by python -m dfkit.synthetic --speech)")
    device = checked_device(args.device)
    models = load_models({m: p for m, p in kwargs.items() if p}, device)
    records = [r for r in load_records(args.dataset, args.data_root, methods=args.methods,
                                       compression=args.compression) if r.split != "test"]
    locator = FaceLocator(PreprocessOptions(detector=default_detector(args.dataset, args.detector), device=device))
    rows, labels = [], []
    for video in tqdm(records, desc="modality scores", disable=args.quiet, unit="video"):
        def locate(frames, indices, video=video):
            boxes, found, _ = locator(video, frames, np.arange(len(frames)) if indices is None else indices)
            return boxes, found

        scores, *_ = score_video(video.path, args.frames_per_video, models, locate, True, CPU_BATCH, "fp32",
                                 {}, device)
        rows.append(raw_scores(scores))
        labels.append(video.label)
    labels = np.asarray(labels)
    check_both_classes(labels, "the training set")
    write_json(Path(args.output) / "config.json", {"args": vars(args), "train_config": config})
    return fit_and_save(args.model, kwargs, np.stack(rows).astype(np.float32), labels, args.output, config, record)


def main(argv=None, prog="multi_modal_detect.py"):
    args = build_parser(prog).parse_args(argv)
    output = checked_output_file(args.output)
    device = checked_device(args.device)
    paths = {m: getattr(args, f"{m}_model") for m in CHECKPOINT_MODALITIES if getattr(args, f"{m}_model")}
    if not paths and not args.fusion and args.no_audio:
        raise DfkitError("nothing to score: give at least one of --visual-model, --temporal-model, "
                         "--frequency-model, --physio-model, or keep the audio modality")
    use_impl(args.impl)
    from dfkit.faces.pipeline import FaceTracker
    from dfkit.video import probe

    started = time.perf_counter()
    seconds = {}
    with exercises_reported():
        with timed(seconds, "setup", device):
            probe(args.input)  # fail fast on a bad video, before loading any model
            fusion = None
            if args.fusion:
                fusion, fusion_record, _ = load_detector(args.fusion, arch="fusion", device="cpu")
                paths = {m: p for m, p in fusion_record["kwargs"].items() if p} | paths  # flags win
            models = load_models(paths, device)
            precision = model_precision(args.precision, device)
            batch_size = args.batch_size or (CPU_BATCH if device.type == "cpu" else GPU_BATCH)
            tracker = FaceTracker(device=device, detect_size=DETECT_SIZE, min_face=MIN_FACE)
        scores, indices, track, info = score_video(args.input, args.frames, models, lambda frames, _: tracker(frames),
                                                   not args.no_audio, batch_size, precision, seconds, device)
        raw = raw_scores(scores)
        if np.isnan(raw).all():
            raise DfkitError(f"no modality could score {args.input}: "
                             + "; ".join(f"{m}: {s['note']}" for m, s in scores.items()))
        fused = float(fuse(raw[None], fusion)[0])
    verdict = "fake" if fused >= args.threshold else "real"
    seconds["total"] = time.perf_counter() - started
    report = {
        "input": str(Path(args.input).resolve()),
        "video": {"fps": info.fps, "num_frames": info.num_frames, "width": info.width, "height": info.height,
                  "duration_s": info.duration_s, "audio": "not read (--no-audio)" if args.no_audio
                  else "absent" if scores["audio"]["note"].startswith("absent") else "present"},
        "modalities": scores,
        "available": [m for m, s in scores.items() if s["score"] is not None],
        "fusion": (str(Path(args.fusion).resolve()) if args.fusion
                   else "late fusion (equal weights, uncalibrated scores)"),
        "fused_score": fused,
        "threshold": args.threshold,
        "verdict": verdict,
        "frames": {"indices": [int(i) for i in indices], "face_found": [bool(f) for f in track.found]},
        "timing_s": {stage: round(t, 4) for stage, t in seconds.items()},
    }
    write_json(output, report)
    lines = [f"{args.input}: {verdict} (fused score {fused:.3f}, threshold {args.threshold}; "
             f"{seconds['total']:.1f} s) -> {output}"]
    lines += [f"  {m}: " + (f"{s['score']:.3f} ({s['note']})" if s["score"] is not None else s["note"])
              for m, s in scores.items()]
    print("\n".join(lines), file=sys.stdout)
    return 0
