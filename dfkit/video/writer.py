"""Write RGB frames to an H.264 MP4 file (libx264, yuv420p) with PyAV, atomically; optionally a mono
AAC audio track beside them.

:func:`write_video` writes an array at once; :class:`VideoWriter` streams frames in chunks, for videos
too long to hold in memory. Either way the file appears only once it is complete.
"""
import sys
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from dfkit.atomic import atomic_path


def _pad_to_even(frames):
    """Pad (T, H, W, 3) frames at the bottom/right by edge replication so H and W are even."""
    pad_h, pad_w = frames.shape[1] % 2, frames.shape[2] % 2
    if pad_h or pad_w:
        frames = np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    return frames


class VideoWriter:
    """Stream frames into an H.264 MP4: ``with VideoWriter(path, fps) as out: out.write(frames)``.

    ``crf`` is libx264's constant rate factor, 0 (lossless luma) .. 51 (worst). ``preset`` trades speed
    for size ("ultrafast" .. "veryslow"); ``gop`` is the keyframe interval in frames (libx264's default,
    250, when None). yuv420p needs even sizes: an odd height or width is padded by one replicated
    row/column at the bottom/right. ``audio``: ``(samples (N,) float in [-1, 1], rate Hz)``, written
    as mono AAC starting with the first frame (None: no audio stream). If the block raises, no file
    is left behind.
    """

    def __init__(self, path, fps, crf=23, preset="medium", gop=None, audio=None):
        if not 0 <= int(crf) <= 51:
            raise ValueError(f"crf must be in 0..51, got {crf}")
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.path = Path(path)
        self.rate = Fraction(fps).limit_denominator(1001)
        self.options = {"crf": str(int(crf)), "preset": preset}
        self.gop = gop
        self.audio = None if audio is None else _check_audio(*audio)
        self.stream = None
        self.frames_written = 0

    def __enter__(self):
        self._exits = ExitStack()
        temp = self._exits.enter_context(atomic_path(self.path))
        self.container = self._exits.enter_context(av.open(str(temp), mode="w", format="mp4"))
        return self

    def _open_stream(self, height, width):
        self.stream = self.container.add_stream("libx264", rate=self.rate)
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = self.options
        if self.gop is not None:
            self.stream.codec_context.gop_size = int(self.gop)
        if self.audio is not None:  # every stream must exist before the first packet is muxed
            self.audio_stream = self.container.add_stream("aac", rate=self.audio[1])
            self.audio_stream.layout = "mono"

    def write(self, frames):
        """Append ``frames`` (T, H, W, 3) or one (H, W, 3) frame, uint8 RGB, all of the same size."""
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(f"expected (T, H, W, 3) uint8 RGB frames, got shape {frames.shape} "
                             f"dtype {frames.dtype}")
        frames = _pad_to_even(frames)
        if self.stream is None:
            self._open_stream(*frames.shape[1:3])
        elif frames.shape[1:3] != (self.stream.height, self.stream.width):
            raise ValueError(f"frame size changed from {self.stream.height}x{self.stream.width} "
                             f"to {frames.shape[1]}x{frames.shape[2]} (after padding to even)")
        for k, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = self.frames_written + k  # explicit presentation timestamps, in frames
            self.container.mux(self.stream.encode(frame))
        self.frames_written += len(frames)

    def __exit__(self, error_type, error, traceback):
        try:
            if error_type is None:
                if self.stream is None:
                    raise ValueError(f"no frames were written to '{self.path}'")
                self.container.mux(self.stream.encode())  # flush the encoder
                if self.audio is not None:
                    self._write_audio()
        except BaseException:
            self._exits.__exit__(*sys.exc_info())  # closes and deletes the temporary file
            raise
        return self._exits.__exit__(error_type, error, traceback)

    def _write_audio(self):
        samples, rate = self.audio
        frame = av.AudioFrame.from_ndarray(samples[None], format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, 0
        self.container.mux(self.audio_stream.encode(frame))
        self.container.mux(self.audio_stream.encode())  # flush


def _check_audio(samples, rate):
    """``(samples, rate)`` as (float32 (N,) in [-1, 1], int); ValueError for anything else."""
    samples = np.asarray(samples)
    if samples.ndim != 1 or len(samples) == 0 or not np.issubdtype(samples.dtype, np.floating):
        raise ValueError(f"audio must be non-empty mono float samples (N,), got shape {samples.shape} "
                         f"dtype {samples.dtype}")
    if int(rate) != rate or rate <= 0:
        raise ValueError(f"audio rate must be a positive integer (Hz), got {rate}")
    return np.clip(samples, -1, 1).astype(np.float32), int(rate)


def write_video(path, frames, fps, crf=23, preset="medium", gop=None, audio=None):
    """Encode ``frames`` (T, H, W, 3) uint8 RGB as H.264 in an MP4 at ``path``; return the Path.

    Options as :class:`VideoWriter` (``audio=(samples, rate)`` adds a mono AAC track). The file
    appears only once fully written.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or len(frames) == 0:
        raise ValueError(f"write_video expects non-empty (T, H, W, 3) uint8 RGB frames, "
                         f"got shape {frames.shape}")
    with VideoWriter(path, fps, crf=crf, preset=preset, gop=gop, audio=audio) as writer:
        writer.write(frames)
    return writer.path
