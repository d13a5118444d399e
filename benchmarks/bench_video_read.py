"""Benchmark: read 32 evenly spaced frames with dfkit.video.read_frames vs OpenCV decoding every frame.

Makes 10 s H.264 videos at 720p and 1080p (25 fps; a photo moving over a textured background), times
``read_frames(num_frames=32)`` against ``cv2.VideoCapture`` reading all frames and keeping the same 32,
then measures the peak memory of ``read_frames(num_frames=32)`` on a 10-minute 1080p video (the 10 s one
copied 60 times, packets only) in a fresh process, so nothing else counts towards it.
Run: ``python benchmarks/bench_video_read.py [--skip-long]``.
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np
from skimage import data

from dfkit.video import VideoWriter, iter_frames, probe, read_frames, sample_indices

FPS = 25


def moving_photo_frames(num_frames, height, width, chunk=25):
    """Yield chunks of (<= chunk, H, W, 3) frames: the astronaut sliding over a drifting texture."""
    rng = np.random.default_rng(0)
    texture = cv2.resize(rng.integers(0, 256, (height // 8, width // 4, 3), dtype=np.uint8),
                         (width * 2, height), interpolation=cv2.INTER_LINEAR)
    photo = cv2.resize(data.astronaut(), (height // 2, height // 2))
    for start in range(0, num_frames, chunk):
        frames = []
        for t in range(start, min(start + chunk, num_frames)):
            frame = np.ascontiguousarray(texture[:, t % width:t % width + width])
            x = int((width - photo.shape[1]) * (0.5 + 0.5 * np.sin(t / 40)))
            y = int((height - photo.shape[0]) * (0.5 + 0.5 * np.cos(t / 55)))
            frame[y:y + photo.shape[0], x:x + photo.shape[1]] = photo
            frames.append(frame)
        yield np.stack(frames)


def repeat_video(source, target, times):
    """Write ``source`` ``times`` times over into ``target`` by copying packets (no re-encoding); every
    copy starts with a keyframe, so frame ``i`` of the result shows frame ``i % len(source)``."""
    with av.open(str(source)) as reader, av.open(str(target), mode="w", format="mp4") as writer:
        stream_in = reader.streams.video[0]
        stream_out = writer.add_stream_from_template(stream_in)
        packets = [packet for packet in reader.demux(stream_in) if packet.size]
        for copy in range(times):
            shift = copy * stream_in.duration
            for packet in packets:
                out = av.Packet(bytes(packet))
                out.pts, out.dts = packet.pts + shift, packet.dts + shift
                out.is_keyframe, out.time_base, out.stream = packet.is_keyframe, packet.time_base, stream_out
                writer.mux(out)


def make_video(path, chunks, **options):
    started = time.perf_counter()
    with VideoWriter(path, FPS, **options) as out:
        for frames in chunks:
            out.write(frames)
    return time.perf_counter() - started


def read_with_opencv(path, wanted):
    """Decode every frame with cv2.VideoCapture, keep those in ``wanted`` (RGB)."""
    wanted, kept = set(int(i) for i in wanted), []
    capture = cv2.VideoCapture(str(path))
    index = 0
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        if index in wanted:
            kept.append(bgr[..., ::-1])
        index += 1
    capture.release()
    return np.stack(kept)


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


MEMORY_PROBE = """
import re, sys, time
import numpy as np
from dfkit.video import read_frames
def peak_mib():  # high-water mark of this process's resident memory
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
before = peak_mib()
started = time.perf_counter()
frames, indices = read_frames(sys.argv[1], num_frames=32)
elapsed = time.perf_counter() - started
np.save(sys.argv[2], frames)
print(before, peak_mib(), elapsed, frames.nbytes / 2**20, indices[-1])
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-long", action="store_true", help="skip the 10-minute memory test")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(2)
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'video':<24} {'frames':>6} {'read_frames ms':>14} {'cv2 all ms':>10} {'speed-up':>8} "
              f"{'same pixels':>11}")
        for name, (height, width), gop in [("720p gop 250", (720, 1280), None),
                                           ("1080p gop 25", (1080, 1920), 25),
                                           ("1080p gop 250", (1080, 1920), None)]:
            path = Path(folder) / f"{name.replace(' ', '_')}.mp4"
            make_video(path, moving_photo_frames(10 * FPS, height, width), preset="veryfast", gop=gop)
            info = probe(path)
            wanted = sample_indices(info.num_frames, num_frames=32)
            ours_s, (ours, _) = best_of(args.repeats, lambda: read_frames(path, num_frames=32))
            cv_s, theirs = best_of(args.repeats, lambda: read_with_opencv(path, wanted))
            same = np.abs(ours.astype(np.int16) - theirs).mean()
            cv_all_1080p_s = cv_s
            print(f"{name:<24} {info.num_frames:>6} {ours_s * 1e3:>14.0f} {cv_s * 1e3:>10.0f} "
                  f"{cv_s / ours_s:>7.1f}x {same:>9.2f}")
        if args.skip_long:
            return
        segment, path = Path(folder) / "1080p_gop_250.mp4", Path(folder) / "ten_minutes_1080p.mp4"
        repeat_video(segment, path, times=60)
        info = probe(path)
        print(f"\n10-minute 1080p video: {info.num_frames} frames, {path.stat().st_size / 2**20:.0f} MiB "
              f"(the 10 s 1080p video repeated 60 times); cv2 decoding it all would take about "
              f"{60 * cv_all_1080p_s:.0f} s at the rate above")
        saved = Path(folder) / "frames.npy"
        result = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(path), str(saved)],
                                capture_output=True, text=True, check=True)
        before_mb, peak_mb, elapsed, frames_mb, last = map(float, result.stdout.split())
        print(f"read_frames(num_frames=32): {elapsed * 1e3:.0f} ms, last index {last:.0f}, "
              f"frames {frames_mb:.0f} MiB, peak RSS {peak_mb:.0f} MiB (after imports {before_mb:.0f} MiB)")
        print("peak under 1 GB:", "yes" if peak_mb < 1000 else "NO")
        indices = sample_indices(info.num_frames, num_frames=32)
        source = dict(iter_frames(segment, indices % 250))
        same = all(np.array_equal(got, source[i % 250]) for got, i in zip(np.load(saved), indices))
        print("frames equal the 10 s video's frames i % 250:", same)


if __name__ == "__main__":
    main()
