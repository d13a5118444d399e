"""The drivers' "signals" input kind and closed-form fitting (used by train, evaluate and detect).

A "signals" detector scores one feature vector per video (:mod:`dfkit.signals`: consecutive frames
at the native frame rate -> boxes -> dlib landmarks -> skin trace -> the builder module's
``physio_features``), cached per video. A detector whose recipe names ``fit``
(``Recipe(fit="<phase>.<module>:<fn>")``) is not trained by gradient descent: the train driver extracts
the training set's inputs once and :func:`fit_and_save` calls ``fn(inputs (N, F) float32 ndarray,
labels (N,) int ndarray, **constructor kwargs) -> nn.Module`` and saves the module's state_dict as an
ordinary training checkpoint (``best.pt`` = ``last.pt``), so evaluate and detect_video load it like any
other detector. :func:`fit_training_set` does this for "signals" detectors; phase 5's fusion
(:mod:`dfkit.drivers.multi_modal`) reads its own inputs and calls :func:`fit_and_save` too.
"""
import sys
from pathlib import Path

import numpy as np
import torch

from dfkit import registry
from dfkit.atomic import write_json
from dfkit.errors import DfkitError

SIGNAL_CLIP_FRAMES = 200  # in-memory synthetic clips for signals detectors: 8 s at 25 fps ...
SIGNAL_MIN_FRAMES = 130   # ... unless --frames-per-video asks for at least 5.2 s


def fit_and_save(name, kwargs, x, y, output, config, record):
    """Fit detector ``name`` on ``x`` (N, F), ``y`` (N,) with its recipe's ``fit``; write best.pt and last.pt.

    config: the TrainConfig dict recorded in the checkpoint; record: its detector record. Returns the model.
    """
    from sklearn.metrics import roc_auc_score

    from dfkit.training.checkpoint import save_checkpoint

    model = registry.fit_function(name)(x, y, **kwargs)
    with torch.no_grad():
        scores = torch.sigmoid(model(torch.from_numpy(x))).numpy()
    auc = float(roc_auc_score(y, scores)) if len(set(y.tolist())) == 2 else float("nan")
    for file in ("best.pt", "last.pt"):
        save_checkpoint(Path(output) / file, model, arch=name, detector=record, epoch=0, config=config,
                        metrics={"epoch": 0, "train_auc": auc})
    print(f"{name}: fitted on {len(y)} videos ({int(y.sum())} fake), training AUC {auc:.4f}", file=sys.stderr)
    return model


def clip_signals(clip, module):
    """:class:`dfkit.signals.VideoSignals` of an in-memory synthetic clip (its true boxes)."""
    from dfkit.signals import extract_signals

    return extract_signals(clip.frames, clip.fps, clip.boxes, np.ones(len(clip.frames), bool), module)


def record_signals(record, module, cache_dir, detector, device=None, impl="solutions"):
    """Signals of a dataset video (cached in ``cache_dir``): boxes from the synthetic sidecar
    (``detector="groundtruth"``) or the one face path (MTCNN)."""
    from dfkit.preprocess import PreprocessOptions
    from dfkit.preprocess.pipeline import FaceLocator
    from dfkit.signals import cache_path, extract_signals, load_signals, read_signal_frames, save_signals

    path = cache_path(cache_dir, record.uid, impl)
    if path.is_file():
        return load_signals(path)
    frames, fps = read_signal_frames(record.path)
    boxes, found, _ = FaceLocator(PreprocessOptions(detector=detector, device=device))(record, frames,
                                                                                       np.arange(len(frames)))
    signals = extract_signals(frames, fps, boxes, found, module)
    save_signals(path, signals)
    return signals


def features(signals, module):
    """(F,) float32 feature vector of ``signals`` by the builder module's ``physio_features``."""
    return np.asarray(module.physio_features(signals.landmarks, signals.rgb, signals.fps, signals.frame_size),
                      np.float32)


def dataset_features(records, name, cache_dir, detector, device=None, progress=True):
    """``(features (N, F) float32, labels (N,), uids)`` of dataset ``records`` for detector ``name``."""
    from tqdm import tqdm

    from dfkit.curriculum import resolve_impl

    module = registry.builder_module(name)
    rows, labels, uids = [], [], []
    for record in tqdm(records, desc="signals", disable=not progress, unit="video"):
        signals = record_signals(record, module, cache_dir, detector, device, resolve_impl())
        rows.append(features(signals, module))
        labels.append(record.label)
        uids.append(record.uid)
    return np.stack(rows), np.asarray(labels), uids


def clips_features(clips, name):
    """``(features (N, F), labels (N,), uids)`` of in-memory synthetic clips for detector ``name``."""
    module = registry.builder_module(name)
    rows = [features(clip_signals(clip, module), module) for clip in clips]
    return (np.stack(rows), np.array([c.label for c in clips]),
            [f"{c.method}/{i:03d}" for i, c in enumerate(clips)])


def video_report(path, model, record, tracker):
    """Score one video with a "signals" checkpoint: ``(video score, signal summary dict)``.

    Reads up to :data:`dfkit.signals.MAX_SECONDS` of consecutive frames. Raises NoFaceError without a
    face and DfkitError for a clip too short for a heart rate.
    """
    from dfkit.signals import extract_signals, read_signal_frames

    module = registry.builder_module(record["name"])
    frames, fps = read_signal_frames(path)
    if len(frames) < module.MIN_PULSE_S * fps:
        raise DfkitError(f"{path} lasts {len(frames) / fps:.1f} s: a heart rate needs at least "
                         f"{module.MIN_PULSE_S:g} s of video, so this detector cannot score it")
    boxes, found = tracker(frames)
    signals = extract_signals(frames, fps, boxes, found, module)
    vector = features(signals, module)
    with torch.inference_mode():
        score = float(torch.sigmoid(model(torch.from_numpy(vector)[None]))[0])
    named = dict(zip(module.FEATURE_NAMES, vector.tolist()))
    summary = {"blink_rate_per_min": named["blink_rate_per_min"], "heart_rate_bpm": named["hr_pos_bpm"],
               "pulse_snr_db": named["snr_pos_db"], "pose_inconsistency_deg": named["pose_gap_mean_deg"],
               "features": named, "fps": fps, "frames_analysed": len(frames),
               "face_found_frames": int(np.sum(found))}
    return score, summary


def default_detector(dataset, detector=None):
    """Face boxes for ``dataset``: ``detector`` if given, else the synthetic sidecar's or MTCNN."""
    return detector or ("groundtruth" if dataset == "synthetic" else "mtcnn")


def fit_training_set(args, kwargs, config, record):
    """The train driver's fit path for "signals" detectors: features of every non-test video (validation
    included), fitted once (:func:`fit_and_save`); also writes ``config.json``."""
    from dfkit.drivers.sources import check_both_classes

    if args.data_root is None:
        from dfkit.synthetic import make_clips

        frames = args.frames_per_video if args.frames_per_video >= SIGNAL_MIN_FRAMES else SIGNAL_CLIP_FRAMES
        clips = make_clips(args.num_videos, num_frames=frames, size=args.clip_size, seed=args.seed)
        x, y, _ = clips_features(clips, args.model)
    else:
        from dfkit.datasets import load_records

        records = [r for r in load_records(args.dataset, args.data_root, methods=args.methods,
                                           compression=args.compression) if r.split != "test"]
        cache = Path(args.faces_dir or Path(args.output) / "faces") / "signals"
        x, y, _ = dataset_features(records, args.model, cache, default_detector(args.dataset, args.detector),
                                   args.device, progress=not args.quiet)
    check_both_classes(y, "the training set")
    write_json(Path(args.output) / "config.json", {"args": vars(args), "train_config": config})
    return fit_and_save(args.model, kwargs, x, y, args.output, config, record)


def predict_signals(model, name, records, dataset, cache_dir, detector=None, device=None, progress=True):
    """The evaluate driver's signals path: ``(labels (N,), scores (N,), video ids)``, one item per video."""
    from dfkit.drivers.sources import check_both_classes

    x, y, uids = dataset_features(records, name, cache_dir, default_detector(dataset, detector), device, progress)
    check_both_classes(y, "evaluation")
    with torch.inference_mode():
        scores = torch.sigmoid(model(torch.from_numpy(x))).numpy().astype(np.float32)
    return y.astype(np.int64), scores, uids
