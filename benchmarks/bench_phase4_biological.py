"""Benchmark: phase 4's biological signals on synthetic clips, on CPU.

    python benchmarks/bench_phase4_biological.py [--parts blinks pulse detector] [--clips 20] [--size 128]
        [--train-ids 40] [--test-ids 20] [--photo astronaut]

Prints, with the machine (CPU model, SIMD / matrix flags, threads):

1. Blink events with dlib's landmarks (boxes by the one face path, MTCNN), adaptive threshold and a
   2-frame minimum, against the generator's blinks within +-2 frames: precision, recall, F1 (target
   F1 >= 0.95) on a real face (the astronaut photo mode) and on the drawn faces, and landmarks + EAR
   frames/s; whether dlib follows the painted lids: its EAR at the frames where the generator's lids
   are shut (closure >= 0.8) over its open-eye EAR, beside the generator's landmarks' ratio.
2. Heart-rate MAE of GREEN, CHROM and POS on ``--clips`` 10-second clips written with H.264 at CRF 23
   and decoded, skin regions from dlib's landmarks (target: CHROM / POS <= 2 bpm).
3. The physio_logreg / physio_gbm detectors (features from decoded CRF 23 clips, fitted on
   ``--train-ids`` identities' real clips and their no_blink / no_pulse / pose_mismatch fakes, tested on
   ``--test-ids`` other identities): held-out AUC per fake type and on blend face swaps (expected near
   chance), with dlib's landmarks and, to separate the classifier from the landmark error, with the
   generator's; and the held-out AUC of the single feature that separates each fake type best on the
   training set. Drawn faces by default; ``--photo astronaut`` animates a real face, on which dlib's
   landmarks are far less noisy (parts 2 and 3).
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from machine import machine  # this folder: the scripts run as files
from dfkit.curriculum import load
from dfkit.faces.pipeline import FaceTracker
from dfkit.signals import video_landmarks
from dfkit.synthetic import make_clip
from dfkit.synthetic.physiology import eyelid_closure
from dfkit.video import read_frames, write_video

PHASE = "phase4_biological_signals"
blink = load(f"{PHASE}.template_blink_detection")
pulse = load(f"{PHASE}.template_pulse_detection")
faces = load(f"{PHASE}.template_face_consistency")
PHYSIO = ("no_blink", "no_pulse", "pose_mismatch")


def decoded(clip, folder, name):
    """The clip's frames after H.264 at CRF 23 (write, decode)."""
    frames, _ = read_frames(write_video(Path(folder) / f"{name}.mp4", clip.frames, clip.fps, crf=23))
    return frames


def blinks(args, tracker):
    print("1. blinks, dlib landmarks in MTCNN boxes, adaptive threshold, +-2 frames:")
    for photo in ("astronaut", None):
        counts, frames_done, seconds, shut = np.zeros(3, int), 0, 0.0, {"dlib": [], "generator": []}
        for seed in range(args.clips):
            clip = make_clip(seed=seed, num_frames=125, size=args.size, photo=photo, blink_rate_hz=0.4)
            boxes, _ = tracker(clip.frames)
            start = time.perf_counter()
            ear = blink.ear_series(video_landmarks(clip.frames, boxes))
            seconds += time.perf_counter() - start
            frames_done += len(ear)
            counts += blink.match_blinks(blink.detect_blinks(ear), clip.blinks, 2)
            closed = eyelid_closure(clip.blinks, len(ear)) >= 0.8
            for name, series in (("dlib", ear), ("generator", blink.ear_series(clip.landmarks))):
                shut[name] += list(series[closed] / np.median(series))
        tp, fp, fn = counts
        precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        face = "astronaut photo (real face)" if photo else "drawn faces"
        print(f"   {face}, {args.clips} clips of 5 s at {args.size} px: {tp + fn} true blinks, precision "
              f"{precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}; "
              f"landmarks + EAR {frames_done / seconds:.0f} frames/s; EAR with the lids shut / open EAR: "
              f"dlib {np.mean(shut['dlib']):.2f}, generator's landmarks {np.mean(shut['generator']):.2f}")


def heart_rates(args, tmp):
    face = "astronaut photo" if args.photo else "drawn faces"
    print(f"2. heart rate after H.264 CRF 23, {face}, {args.clips} clips of 10 s at {args.size} px, dlib landmarks:")
    errors = {m: [] for m in pulse.METHODS}
    for seed in range(args.clips):
        clip = make_clip(seed=1000 + seed, num_frames=250, size=args.size, photo=args.photo)
        frames = decoded(clip, tmp, f"hr{seed}")
        rgb = pulse.mean_rgb(frames, video_landmarks(frames, clip.boxes))
        for m in pulse.METHODS:
            errors[m].append(abs(pulse.heart_rate(getattr(pulse, m)(rgb, clip.fps), clip.fps) - clip.pulse_bpm))
    for m, e in errors.items():
        print(f"   {m.upper():6s} MAE {np.mean(e):5.2f} bpm (median {np.median(e):.2f}, max {np.max(e):.1f})")


def features(seeds, manipulations, size, tmp, photo=None):
    """``({"dlib": (N, F), "generator": (N, F)}, labels (N,), kinds (N,))`` of each seed's real clip and fakes."""
    rows, labels, kinds = {"dlib": [], "generator": []}, [], []
    for seed in seeds:
        for m in (None, *manipulations):
            clip = make_clip(seed=seed, num_frames=200, size=size, fake=m is not None,
                             manipulations=None if m is None else (m,), photo=photo)
            frames = decoded(clip, tmp, f"f{seed}_{m}")
            for name, landmarks in (("dlib", video_landmarks(frames, clip.boxes)), ("generator", clip.landmarks)):
                rows[name].append(faces.physio_features(landmarks, pulse.mean_rgb(frames, landmarks), clip.fps,
                                                        (size, size)))
            labels.append(int(m is not None))
            kinds.append(m or "real")
    return {k: np.array(v) for k, v in rows.items()}, np.array(labels), np.array(kinds)


def auc_per_fake(labels, kinds, scores):
    """{fake type: held-out AUC of ``scores`` on that type's clips against the real ones}."""
    out = {}
    for m in PHYSIO + ("blend",):
        keep = (kinds == "real") | (kinds == m)
        out[m] = roc_auc_score(labels[keep], scores[keep])
    return out


def detector(args, tmp):
    face = "astronaut photo" if args.photo else "drawn faces"
    print(f"3. physiological detectors, {face}, 8 s clips at {args.size} px after CRF 23, fitted on "
          f"{args.train_ids} identities (real + {' / '.join(PHYSIO)}), held-out AUC vs {args.test_ids} other reals:")
    start = time.perf_counter()
    x_train, y_train, k_train = features(range(2000, 2000 + args.train_ids), PHYSIO, args.size, tmp, args.photo)
    x_test, y_test, kinds = features(range(3000, 3000 + args.test_ids), PHYSIO + ("blend",), args.size, tmp,
                                     args.photo)
    print(f"   features of {len(y_train) + len(y_test)} clips in {time.perf_counter() - start:.0f} s")
    for landmarks in ("dlib", "generator"):
        for name, fit in (("physio_logreg", faces.fit_logreg), ("physio_gbm", faces.fit_gbm)):
            model = fit(x_train[landmarks], y_train)
            with torch.no_grad():
                scores = torch.sigmoid(model(torch.from_numpy(x_test[landmarks]))).numpy()
            aucs = auc_per_fake(y_test, kinds, scores)
            print(f"   {landmarks} landmarks, {name}: " + ", ".join(f"{m} {a:.3f}" for m, a in aucs.items()))
        best = []
        for m in PHYSIO:  # the feature that best separates this fake type on the training set, held out
            train = (k_train == "real") | (k_train == m)
            single = {k: roc_auc_score(y_train[train], x_train[landmarks][train, k])
                      for k in range(len(faces.FEATURE_NAMES))}
            k = max(single, key=lambda j: abs(single[j] - 0.5))
            sign = 1.0 if single[k] >= 0.5 else -1.0
            auc = auc_per_fake(y_test, kinds, sign * x_test[landmarks][:, k])[m]
            best.append(f"{m} {auc:.3f} ({faces.FEATURE_NAMES[k]})")
        print(f"   {landmarks} landmarks, best single feature: " + ", ".join(best))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", choices=("blinks", "pulse", "detector"),
                        default=["blinks", "pulse", "detector"])
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--train-ids", type=int, default=40, help="identities the detectors are fitted on")
    parser.add_argument("--test-ids", type=int, default=20, help="held-out identities")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--photo", choices=["astronaut"], default=None, help="a real face instead of drawn ones")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        if "blinks" in args.parts:
            blinks(args, FaceTracker(device="cpu"))
        if "pulse" in args.parts:
            heart_rates(args, tmp)
        if "detector" in args.parts:
            detector(args, tmp)


if __name__ == "__main__":
    main()
