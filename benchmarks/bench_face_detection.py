"""Benchmark: MTCNN FaceDetector frames/s at 720p full resolution vs downscaled (detect_size), and box error.

Frames are photo-mode-like: the astronaut (512 x 512, face at [181, 62, 268, 172]) pasted on a
1280 x 720 textured canvas at a few positions, so the true box is known. Reports frames/s and the mean /
max box error (px, full-resolution coordinates) against the true box and between the two settings.
Run: ``python benchmarks/bench_face_detection.py [--frames 16] [--threads 2] [--select confident]``.
"""
import argparse
import time

import cv2
import numpy as np
import torch
from skimage import data

from dfkit.faces import FaceDetector

ASTRONAUT_BOX = np.array([181.0, 62.0, 268.0, 172.0])


def photo_frames(num_frames, height=720, width=1280):
    """(N, H, W, 3) frames with the astronaut at varying positions, and the true face boxes (N, 4)."""
    rng = np.random.default_rng(0)
    blocks = rng.integers(60, 200, (height // 16, width // 16, 3), dtype=np.uint8)
    texture = cv2.resize(blocks, (width, height))
    photo = data.astronaut()
    frames, boxes = [], []
    for t in range(num_frames):
        x = int((width - 512) * t / max(num_frames - 1, 1))
        y = int((height - 512) * (0.5 + 0.5 * np.sin(t)))
        frame = texture.copy()
        frame[y:y + 512, x:x + 512] = photo
        frames.append(frame)
        boxes.append(ASTRONAUT_BOX + [x, y, x, y])
    return np.stack(frames), np.stack(boxes)


def run(detector, frames):
    detector.detect(frames[:2])  # warm-up
    started = time.perf_counter()
    detections = detector.detect(frames)
    elapsed = time.perf_counter() - started
    boxes = np.array([d.box if d is not None else [np.nan] * 4 for d in detections])
    return len(frames) / elapsed, boxes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--detect-sizes", type=int, nargs="+", default=[360, 480])
    parser.add_argument("--select", default="largest", choices=["largest", "confident"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    frames, truth = photo_frames(args.frames)
    full_fps, full_boxes = run(FaceDetector(device=args.device, batch_size=8, select=args.select), frames)
    device = FaceDetector(device=args.device).device
    print(f"{args.frames} frames 1280x720 on {device} ({args.threads} CPU threads), select={args.select}")
    print(f"{'setting':<18} {'frames/s':>8} {'missed':>6} {'err vs truth px':>16} {'err vs full-res px':>19}")

    def report(name, fps, boxes):
        vs_truth = np.abs(boxes - truth).max(axis=1)
        vs_full = np.abs(boxes - full_boxes).max(axis=1)
        missed = int(np.isnan(boxes[:, 0]).sum())
        print(f"{name:<18} {fps:>8.2f} {missed:>6} {np.nanmean(vs_truth):>7.1f} "
              f"(max {np.nanmax(vs_truth):4.1f}) {np.nanmean(vs_full):>9.1f} (max {np.nanmax(vs_full):4.1f})")

    report("full resolution", full_fps, full_boxes)
    for size in args.detect_sizes:
        detector = FaceDetector(device=args.device, detect_size=size, batch_size=8, select=args.select)
        fps, boxes = run(detector, frames)
        report(f"detect_size={size}", fps, boxes)


if __name__ == "__main__":
    main()
