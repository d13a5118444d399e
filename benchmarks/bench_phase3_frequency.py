"""Benchmark: phase 3's frequency detectors on synthetic up-sampling fakes, on CPU.

    python benchmarks/bench_phase3_frequency.py [--strength 1.0] [--videos 64] [--frames 8] [--size 128]
        [--model dct_cnn] [--epochs 2] [--threads 2]

Prints, with the machine (CPU model, SIMD / matrix flags, threads):

1. Durall features + scikit-learn's logistic regression, up-sampled fakes vs their real twins (crops
   at their natural size; 5 frames of each of 80 clips), trained on 20 and 200 images per class,
   tested on 400 crops of 80 other clips: test AUC and fit time (targets: AUC >= 0.98 at 200 per class, fit < 5 s).
2. A frequency CNN (``--model``, default dct_cnn) trained with dfkit's Trainer on a FaceForensics++-layout
   set written by the dataset writer at H.264 CRF 23 and at CRF 40 (c23, c40), each trained and tested
   on its own compression: video AUC on the test split and training time (target: >= 0.95 within 60 s at c23).
3. Feature throughput at 256 px, batch of 64: Durall features, log block-DCT maps and the F3-Net band
   decomposition (images/s, vectorised over the batch).
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from machine import machine  # this folder: the scripts run as files
from dfkit import registry
from dfkit.curriculum import load
from dfkit.data import PreprocessedFaces
from dfkit.datasets import load_records
from dfkit.drivers.inputs import face_dataset
from dfkit.drivers.sources import cache_faces
from dfkit.faces import crop_face
from dfkit.metrics import summarize
from dfkit.synthetic import make_clips, write_dataset
from dfkit.training import TrainConfig, Trainer

PHASE = "phase3_frequency_analysis"


def durall_of(clips, fft):
    """(features (N, 64), labels (N,)) of every frame of ``clips``, crops at their natural size."""
    features, labels = [], []
    for clip in clips:
        side = crop_face(clip.frames[0], clip.boxes[0]).shape[0]
        crops = np.stack([crop_face(f, b, size=side) for f, b in zip(clip.frames, clip.boxes)])
        images = torch.from_numpy(crops).permute(0, 3, 1, 2).double() / 255
        features.append(fft.durall_features(images).numpy())
        labels.append(np.full(len(crops), clip.label))
    return np.concatenate(features), np.concatenate(labels)


def durall_logistic_regression(strength, seed):
    fft = load(f"{PHASE}.template_fft_analysis")
    started = time.perf_counter()
    clip_args = dict(num_frames=5, size=128, manipulations=("upsample",), strength=strength)
    x_train, y_train = durall_of(make_clips(80, seed=seed, **clip_args), fft)          # 200 crops per class
    x_test, y_test = durall_of(make_clips(80, seed=seed + 1000, **clip_args), fft)
    print(f"1. Durall + logistic regression (strength {strength}): 160 clips made and the features of their "
          f"{len(x_train) + len(x_test)} crops computed in {time.perf_counter() - started:.1f} s")
    rng = np.random.default_rng(seed)
    for per_class in (20, 200):
        chosen = np.concatenate([rng.choice(np.flatnonzero(y_train == c), per_class, replace=False) for c in (0, 1)])
        started = time.perf_counter()
        model = LogisticRegression(C=10.0, max_iter=5000).fit(x_train[chosen], y_train[chosen])
        fit_seconds = time.perf_counter() - started
        auc = roc_auc_score(y_test, model.decision_function(x_test))
        print(f"   {per_class:3d} training images per class: test AUC {auc:.4f} on {len(y_test)} crops, "
              f"fit {fit_seconds * 1000:.0f} ms")


def frequency_cnn(args):
    spec = registry.input_spec(args.model, image_size=args.image_size)
    kind = registry.get(args.model).input_kind
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "ffpp"
        started = time.perf_counter()
        write_dataset(root, args.videos, num_frames=args.frames, size=args.size, seed=args.seed, crfs=(23, 40),
                      manipulations=("upsample",), strength=args.strength, progress=False)
        print(f"2. {args.model} at {spec.size} px: {args.videos} real + {args.videos} up-sampled videos "
              f"({args.frames} frames, {args.size} px, strength {args.strength}) written at CRF 23 and 40 in "
              f"{time.perf_counter() - started:.1f} s")
        for crf in (23, 40):
            faces = Path(folder) / f"faces_c{crf}"
            cache_faces(load_records("synthetic", root, compression=f"c{crf}"), faces, "synthetic", args.frames,
                        progress=False)
            train_set = face_dataset(kind, [v for split in ("train", "val") for v in PreprocessedFaces(faces, split)],
                                     spec)
            test_set = face_dataset(kind, PreprocessedFaces(faces, "test"), spec)
            config = TrainConfig(epochs=args.epochs, batch_size=16, lr=registry.get(args.model).recipe.lr,
                                 seed=args.seed, warmup_epochs=0, output_dir=str(Path(folder) / f"run_c{crf}"),
                                 arch=args.model, device="cpu", progress=False)
            torch.manual_seed(args.seed)
            trainer = Trainer(registry.build_detector(args.model), train_set, None, config)
            started = time.perf_counter()
            trainer.fit()
            seconds = time.perf_counter() - started
            predicted = trainer.predict(test_set)
            summary = summarize(predicted["labels"], predicted["scores"], predicted["video_ids"])
            print(f"   c{crf}: trained on {len(train_set)} crops in {seconds:.1f} s ({args.epochs} epochs); "
                  f"test video AUC {summary['video']['auc']:.4f} ({len(set(predicted['video_ids']))} videos), "
                  f"frame AUC {summary['frame']['auc']:.4f}")


def throughput(repeats=5):
    fft = load(f"{PHASE}.template_fft_analysis")
    dct = load(f"{PHASE}.template_dct_analysis")
    spectral = load(f"{PHASE}.template_spectral_features")
    images = torch.rand(64, 3, 256, 256)
    features = {"Durall features (FFT, rings)": lambda x: fft.durall_features(x),
                "log block-DCT maps": lambda x: dct.log_dct_features(fft.rgb_to_grey(x) * 255),
                "F3-Net band decomposition": lambda x: spectral.band_decomposition(fft.rgb_to_grey(x))}
    print("3. feature throughput at 256 px, batch of 64, float32:")
    for name, feature in features.items():
        feature(images)  # warm-up
        started = time.perf_counter()
        for _ in range(repeats):
            feature(images)
        rate = repeats * len(images) / (time.perf_counter() - started)
        print(f"   {name}: {rate:.0f} images/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strength", type=float, default=1.0, help="artifact strength of the fakes, (0, 1]")
    parser.add_argument("--videos", type=int, default=64, help="real videos (as many up-sampled fakes)")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", type=int, default=128, help="frame side (px)")
    parser.add_argument("--model", default="dct_cnn", choices=registry.names(PHASE))
    parser.add_argument("--image-size", type=int, default=None, help="model input side (default: the detector's)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", nargs="*", default=(), choices=("durall", "cnn", "throughput"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print("machine:", machine())
    if "durall" not in args.skip:
        durall_logistic_regression(args.strength, args.seed)
    if "cnn" not in args.skip:
        frequency_cnn(args)
    if "throughput" not in args.skip:
        throughput()


if __name__ == "__main__":
    main()
