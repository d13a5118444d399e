"""Benchmark: detect_video.py's pipeline vs the blueprint's naive loop on a 10 s 1080p H.264 clip.

Clip: photo-mode astronaut, 1920x1080, 25 fps, 250 frames (a 50-frame synthetic take played
forward and back), CRF 23. Model: Xception at 299 px (random weights: speed does not depend on
them), CPU, ``--threads`` torch threads, 32 evenly spaced frames.

* pipeline: detect_video.main -- seek-decode only the 32 frames (PyAV), MTCNN on all of them in
  batches at ``--detect-size`` px ignoring faces under 10 % of the frame height, crops scored in
  batches of 16, once in fp32 and once with ``--precision auto`` (bf16 where the CPU has it);
* naive loop (blueprint seed): cv2.VideoCapture reads every frame, MTCNN at full resolution on
  each sampled frame, one crop per forward pass.

Prints seconds per video split into decode / face detection / model (each run ``--repeats`` times,
the fastest kept), the pipeline's speed-up over the naive loop (target >= 5x) and the largest box
and score differences between them (target: boxes within a few px).

    python benchmarks/bench_detect_video.py [--frames 32] [--detect-size 640] [--threads 2]
"""
import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench_video_read import read_with_opencv  # this folder: the scripts run as files
from dfkit import registry
from dfkit.cli import run
from dfkit.curriculum import load
from dfkit.drivers import detect
from dfkit.faces import FACE_MARGIN
from dfkit.synthetic import make_clip
from dfkit.training import save_checkpoint
from dfkit.video import sample_indices, write_video

FPS, SECONDS, TAKE = 25, 10, 50


def write_clip(path):
    """The 10 s 1080p clip; returns the generator's face boxes (250, 4)."""
    clip = make_clip(photo="astronaut", size=(1080, 1920), num_frames=TAKE, seed=0, fps=FPS)
    order = np.resize(np.r_[np.arange(TAKE), np.arange(TAKE)[::-1]], FPS * SECONDS)
    write_video(path, clip.frames[order], fps=FPS, crf=23)
    return clip.boxes[order]


def naive_loop(video, model, features, indices, size, mean, std):
    """The blueprint's loop; returns (seconds per stage, boxes (N, 4), scores (N,))."""
    from facenet_pytorch import MTCNN

    seconds = {}
    start = time.perf_counter()
    frames = read_with_opencv(video, indices)
    seconds["decode"] = time.perf_counter() - start

    start = time.perf_counter()
    mtcnn = MTCNN(device="cpu")
    boxes = []
    for frame in frames:
        found, _ = mtcnn.detect(frame)
        boxes.append(found[0])
    seconds["face_detection"] = time.perf_counter() - start

    start = time.perf_counter()
    scores = []
    model.eval()
    with torch.no_grad():
        for frame, box in zip(frames, boxes):
            face = features.normalize(features.crop_face(frame, box, FACE_MARGIN, size)[None], mean, std)
            scores.append(torch.sigmoid(model(face)).item())
    seconds["model"] = time.perf_counter() - start
    return seconds, np.array(boxes), np.array(scores)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--detect-size", type=int, default=640)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each; the fastest is reported")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    features = load("phase1_cnn_detection.template_feature_extraction")
    spec = registry.input_spec("xceptionnet")
    size, mean, std = spec.size, spec.mean, spec.std

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        started = time.perf_counter()
        truth = write_clip(folder / "clip.mp4")
        print(f"clip: {len(truth)} frames 1920x1080 H.264, {(folder / 'clip.mp4').stat().st_size / 1e6:.1f} MB, "
              f"made in {time.perf_counter() - started:.0f} s")
        torch.manual_seed(0)
        model = registry.build_detector("xceptionnet")
        save_checkpoint(folder / "xception.pt", model, arch="xceptionnet")

        argv = ["--input", str(folder / "clip.mp4"), "--model", str(folder / "xception.pt"),
                "--output", str(folder / "report.json"), "--frames", str(args.frames),
                "--detect-size", str(args.detect_size), "--device", "cpu"]
        pipelines = {}
        for precision in ("fp32", "auto"):
            best = None
            for _ in range(args.repeats):
                run(detect.main, argv + ["--precision", precision])
                report = json.loads((folder / "report.json").read_text())
                timing = {k: report["timing_s"][k] for k in ("decode", "face_detection", "model")}
                best = timing if best is None or sum(timing.values()) < sum(best.values()) else best
            name = f"pipeline {report['model']['precision']}" + (" (auto)" if precision == "auto" else "")
            pipelines[name] = (best, np.array([f["box"] for f in report["frames"]]),
                               np.array([f["score"] for f in report["frames"]]))

        indices = sample_indices(len(truth), args.frames)
        slow = None
        for _ in range(args.repeats):
            timing, slow_boxes, slow_scores = naive_loop(folder / "clip.mp4", model, features, indices, size, mean, std)
            slow = timing if slow is None or sum(timing.values()) < sum(slow.values()) else slow

    print(f"{'naive loop':>22}: {sum(slow.values()):6.2f} s per video ({stages(slow)})")
    for name, (timing, boxes, scores) in pipelines.items():
        print(f"{name:>22}: {sum(timing.values()):6.2f} s per video ({stages(timing)}); speed-up "
              f"{sum(slow.values()) / sum(timing.values()):.1f}x (target >= 5x); max box difference vs naive "
              f"{np.abs(boxes - slow_boxes).max():.1f} px, vs generator {np.abs(boxes - truth[indices]).max():.1f} px; "
              f"max score difference vs naive {np.abs(scores - slow_scores).max():.4f}")
    print(f"naive loop boxes vs generator: {np.abs(slow_boxes - truth[indices]).max():.1f} px; pipeline setup "
          f"(checkpoint + MTCNN load) {report['timing_s']['setup']:.2f} s, not counted above")


def stages(timing):
    """"decode 0.50, face_detection 1.20, model 1.50" from {stage: seconds}."""
    return ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in timing.items())

if __name__ == "__main__":
    main()
