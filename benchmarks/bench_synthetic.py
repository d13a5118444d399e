"""Synthetic clip generation speed: clips/s for 32 frames at 128 px (drawn face and photo mode).

    python benchmarks/bench_synthetic.py [--clips 40] [--frames 32] [--size 128]
"""
import argparse
import time

import cv2

from dfkit.synthetic import MANIPULATIONS, make_clip


def clips_per_second(num_clips, **kwargs):
    """(wall-clock clips/s, clips per CPU-second of this process); the latter ignores other load."""
    make_clip(seed=0, **kwargs)  # warm up: imports, dlib model, noise bank
    wall, cpu = time.perf_counter(), time.process_time()
    for seed in range(num_clips):
        make_clip(seed=seed, **kwargs)
    return num_clips / (time.perf_counter() - wall), num_clips / (time.process_time() - cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    common = dict(num_frames=args.frames, size=args.size)
    cases = [
        ("drawn real", dict()),
        ("drawn fake blend", dict(fake=True)),
        ("drawn fake flicker", dict(fake=True, manipulations=("flicker",))),
        ("drawn fake upsample", dict(fake=True, manipulations=("upsample",))),
        ("drawn fake no_blink+no_pulse", dict(fake=True, manipulations=("no_blink", "no_pulse"))),
        ("drawn fake all five", dict(fake=True, manipulations=MANIPULATIONS)),
        ("photo real", dict(photo="astronaut")),
        ("photo fake blend", dict(photo="astronaut", fake=True)),
    ]
    print(f"{args.frames} frames at {args.size} px, {args.clips} clips per case, 1 OpenCV thread")
    print(f"{'case':32s} {'clips/s':>8s} {'frames/s':>9s} {'clips/CPU-s':>12s}")
    for name, kwargs in cases:
        rate, cpu_rate = clips_per_second(args.clips, **common, **kwargs)
        print(f"{name:32s} {rate:8.1f} {rate * args.frames:9.0f} {cpu_rate:12.1f}")
    rate, cpu_rate = clips_per_second(2, num_frames=8, size=(1080, 1920), photo="astronaut")
    print(f"{'photo real 1080x1920, 8 frames':32s} {rate:8.2f} {rate * 8:9.1f} {cpu_rate:12.2f}")


if __name__ == "__main__":
    main()
