"""Benchmark phase 2 on this CPU: temporal-only fakes, Farneback speed, our R3D-18 against torchvision's.

1. Per-frame vs temporal detectors on the temporal-only fake ``relight`` (every frame a plausible face,
   colour re-drawn per frame): phase 1's Meso4 (frames, video score = mean) against the reference
   LSTM and C3D-small (clips), each trained on the same seeded clips and scored on held-out ones
   (other seeds). Targets: temporal models video AUC >= 0.95 within 60 s of training; Meso4 <= 0.65.
2. ``cv2.calcOpticalFlowFarneback`` (the phase's settings) in frame pairs per second on 128 and
   256 px face crops.
3. The reference R3D-18 loaded with torchvision ``r3d_18``'s weights: max |output difference| and
   forward time of both on one 16 x 112 x 112 clip.

    python benchmarks/bench_phase2_temporal.py [--train-videos 96] [--test-videos 48] [--frames 16]
        [--models meso4 lstm c3d_small] [--skip-speed] [--threads 1]

Prints the machine (CPU model and AVX2 / AVX-512 / AMX flags) first: figures hold for it only.
"""
import argparse
import tempfile
import time

import cv2
import torch

from machine import machine  # this folder: the scripts run as files
from dfkit import registry
from dfkit.curriculum import load
from dfkit.data import SyntheticFaces
from dfkit.drivers.inputs import face_dataset
from dfkit.drivers.train import training_loss
from dfkit.metrics import summarize
from dfkit.synthetic import make_clip, make_clips
from dfkit.training import TrainConfig, Trainer

# detector -> (epochs, learning rate, batch size, input side px, clip length or None for frames)
RUNS = {"meso4": (4, 2e-3, 16, 256, None), "lstm": (8, 3e-3, 8, 64, 8), "c3d_small": (12, 3e-3, 8, 64, 8)}


def train_and_score(name, train_clips, test_clips, epochs, lr, batch_size, size, clip_len, seed):
    """(training seconds, held-out video AUC) of detector ``name`` trained on ``train_clips``."""
    spec = registry.input_spec(name, image_size=size, clip_len=clip_len if clip_len else None)
    kind = registry.get(name).input_kind
    train_set = face_dataset(kind, SyntheticFaces(train_clips), spec)
    test_set = face_dataset(kind, SyntheticFaces(test_clips), spec)
    with tempfile.TemporaryDirectory() as output:
        config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, output_dir=output, arch=name,
                             device="cpu", progress=False, warmup_epochs=0)
        torch.manual_seed(seed)
        trainer = Trainer(registry.build_detector(name), train_set, None, config, loss=training_loss(name))
        started = time.perf_counter()
        trainer.fit()
        seconds = time.perf_counter() - started
        predicted = trainer.predict(test_set)
    return seconds, summarize(predicted["labels"], predicted["scores"], predicted["video_ids"])["video"]["auc"]


def relight_clips(args, frames):
    """(training clips, held-out clips) of ``frames`` frames: real / relight pairs, held-out seeds apart."""
    clip_args = dict(num_frames=frames, size=args.size, manipulations=("relight",))
    return (make_clips(args.train_videos, seed=args.seed, **clip_args),
            make_clips(args.test_videos, seed=args.seed + 1000, **clip_args))


def detectors_on_relight(args):
    print(f"1. relight fakes: {args.train_videos} training / {args.test_videos} held-out clips of {args.size} px; "
          f"{args.frames} frames for clip detectors, {args.frame_detector_frames} for frame detectors (at 256 px "
          f"Meso4 costs 16x an LSTM step per frame)")
    for name in args.models:
        epochs, lr, batch, size, clip_len = RUNS[name]
        train_clips, test_clips = relight_clips(args, args.frames if clip_len else args.frame_detector_frames)
        seconds, auc = train_and_score(name, train_clips, test_clips, epochs, lr, batch, size, clip_len, args.seed)
        unit = f"clips of {clip_len}" if clip_len else "frames"
        print(f"   {name:10s} {size:3d} px {unit:12s} {epochs:2d} epochs {seconds:5.1f} s   held-out video AUC {auc:.3f}")


def farneback_speed(repeats=20):
    flow = load("phase2_temporal_analysis.template_optical_flow")
    clip = make_clip(seed=0, num_frames=2, size=256)
    print("2. Farneback optical flow (dense_flow) on face crops:")
    for side in (128, 256):
        a, b = (cv2.resize(f, (side, side), interpolation=cv2.INTER_AREA) for f in clip.frames)
        flow.dense_flow(a, b)
        started = time.perf_counter()
        for _ in range(repeats):
            flow.dense_flow(a, b)
        print(f"   {side} px: {repeats / (time.perf_counter() - started):6.1f} frame pairs/s")


def r3d_against_torchvision(repeats=3):
    from torchvision.models.video import r3d_18

    ours_module = load("phase2_temporal_analysis.template_3dcnn")
    torch.manual_seed(0)
    theirs = r3d_18(num_classes=1).eval()
    ours = ours_module.VideoResNet18().eval()
    ours.load_state_dict(theirs.state_dict())
    clip = torch.randn(1, 16, 3, 112, 112)
    timings = {}
    with torch.no_grad():
        for label, model, x in (("torchvision", theirs, clip.permute(0, 2, 1, 3, 4)), ("ours", ours, clip)):
            model(x)
            started = time.perf_counter()
            for _ in range(repeats):
                out = model(x).flatten()
            timings[label] = ((time.perf_counter() - started) / repeats, out)
    diff = float((timings["ours"][1] - timings["torchvision"][1]).abs().max())
    print(f"3. R3D-18 on a 16x112x112 clip: max |ours - torchvision| = {diff:.3g}; forward "
          f"{timings['ours'][0]:.2f} s (ours) vs {timings['torchvision'][0]:.2f} s (torchvision)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-videos", type=int, default=96)
    parser.add_argument("--test-videos", type=int, default=48)
    parser.add_argument("--frames", type=int, default=16, help="frames per synthetic clip")
    parser.add_argument("--frame-detector-frames", type=int, default=4, help="frames per clip for Meso4")
    parser.add_argument("--size", type=int, default=96, help="synthetic frame side (px)")
    parser.add_argument("--threads", type=int, default=1, help="torch and OpenCV threads (1: steady on a shared CPU)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="*", choices=tuple(RUNS), default=list(RUNS),
                        help="detectors to train on relight fakes (none: only the speed figures 2 and 3)")
    parser.add_argument("--skip-speed", action="store_true", help="only the detectors (figure 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    print(f"machine: {machine()}")
    if args.models:
        detectors_on_relight(args)
    if not args.skip_speed:
        farneback_speed()
        r3d_against_torchvision()


if __name__ == "__main__":
    main()
