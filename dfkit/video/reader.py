"""Read sampled frames from a video with PyAV, streaming: memory grows with the frames asked for only.

Frame index ``i`` is the frame shown at time ``i / fps`` from the stream start; it is computed from each
decoded frame's presentation timestamp (never from a running counter), so it stays exact after seeks.
Every failure to open or decode a file becomes one :class:`~dfkit.errors.VideoReadError`.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from dfkit.errors import VideoReadError

# Without a keyframe index, seek only when the next wanted frame is at least this many frames ahead.
_UNINDEXED_SEEK_GAP = 64
# With one, seek only past a keyframe at least this many frames ahead: a seek restarts the threaded decoder,
# which costs about as much as decoding ~15 1080p frames (32 of 250 frames with a keyframe every 25: seeking
# at every keyframe 0.63 s, decoding straight through 0.47 s).
_MIN_FRAMES_SKIPPED = 32


@dataclass(frozen=True)
class VideoInfo:
    """Basic facts about a video stream. ``duration_s`` is in seconds."""

    fps: float
    num_frames: int
    width: int
    height: int
    duration_s: float


def _check_file(path):
    """Raise VideoReadError for a path that is not an existing, non-empty file."""
    if not path.exists():
        raise VideoReadError(f"video file not found: '{path}'")
    if not path.is_file():
        raise VideoReadError(f"expected a video file, got a directory or special file: '{path}'")
    if path.stat().st_size == 0:
        raise VideoReadError(f"video file is empty (0 bytes): '{path}'")


@contextmanager
def _open_video(path):
    """Open ``path`` and yield (container, video stream); PyAV errors become VideoReadError."""
    path = Path(path)
    _check_file(path)
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise VideoReadError(f"cannot open video '{path}': {reason.lower()} "
                             f"(the file is truncated, corrupt or not a video)") from None
    try:
        if "_pipe" in container.format.name or container.format.name == "image2":
            raise VideoReadError(f"expected a video, got a still image ({container.format.name}): '{path}'")
        if not container.streams.video:
            raise VideoReadError(f"no video stream in '{path}' (container format {container.format.name})")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        yield container, stream
    except av.FFmpegError as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise VideoReadError(f"cannot decode video '{path}': {reason.lower()} "
                             f"(the file is truncated or corrupt)") from None
    finally:
        container.close()


def _frame_rate(stream, path):
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0:
        raise VideoReadError(f"cannot tell the frame rate of '{path}'")
    return rate


def _frame_count(container, stream):
    """Frames in ``stream``: the container's count, else a count of its packets (read, not decoded)."""
    if stream.frames > 0:
        return int(stream.frames)
    return sum(1 for packet in container.demux(stream) if packet.size > 0)


def probe(path):
    """Return :class:`VideoInfo` (fps, frame count, size, duration) for the video at ``path``."""
    with _open_video(path) as (container, stream):
        rate = _frame_rate(stream, path)
        count = _frame_count(container, stream)
        if count <= 0:
            raise VideoReadError(f"video has no frames: '{path}'")
        if stream.duration is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = count / float(rate)
        return VideoInfo(fps=float(rate), num_frames=count, width=stream.codec_context.width,
                         height=stream.codec_context.height, duration_s=duration)


class _FrameSeeker:
    """Decode the frames of one open stream at increasing indices, seeking only when it saves work.

    The frame returned for index ``i`` is the one on screen at time ``i / fps``: the frame with that
    index, or (when timestamps skip it) the last frame before it.
    """

    def __init__(self, container, stream, rate):
        self.container, self.stream, self.rate = container, stream, rate
        self.tick = 1 / (stream.time_base * rate)  # stream time_base units per frame
        self.start = stream.start_time or 0
        self.keyframes = np.array([entry.timestamp for entry in stream.index_entries if entry.is_keyframe],
                                  dtype=np.int64)  # decode timestamps of keyframes; empty when unindexed
        self._restart()
        self.last_index = -1  # index of the last decoded frame

    def _restart(self):
        """Start decoding at the container's current position."""
        self.frames = self._decode()
        self.previous = None  # last frame decoded in this run, before the wanted one
        self.pending = None   # a frame decoded past the wanted one, kept for the next request

    def _decode(self):
        for packet in self.container.demux(self.stream):
            yield from packet.decode()

    def _next_frame(self):
        if self.pending is not None:
            frame, self.pending = self.pending, None
            return frame
        return next(self.frames, None)

    def index_of(self, frame):
        pts = frame.pts if frame.pts is not None else frame.dts
        return int(round((pts - self.start) / self.tick))

    def timestamp_of(self, index):
        return int(self.start + index * self.tick)

    def _should_seek(self, index):
        if index - self.last_index <= 1:
            return False
        if len(self.keyframes) == 0:
            return index - self.last_index >= _UNINDEXED_SEEK_GAP
        # Packet timestamps are decode times, a little before display times (codec delay);
        # seek only when a keyframe lies between _MIN_FRAMES_SKIPPED frames ahead and the wanted frame.
        skipped, wanted = self.timestamp_of(self.last_index + _MIN_FRAMES_SKIPPED), self.timestamp_of(index)
        return bool(((self.keyframes >= skipped) & (self.keyframes <= wanted - 2 * self.tick)).any())

    def _seek(self, index):
        self.container.seek(self.timestamp_of(max(index, 0)), stream=self.stream, backward=True)
        self._restart()

    def get(self, index):
        """Return the av.VideoFrame for ``index`` (>= every index asked before), or None past the end."""
        if self._should_seek(index):
            self._seek(index - 2)  # aim a little early to cover the B-frame delay
        backs = [2 * int(self.rate), 16 * int(self.rate), index]  # then from the start
        while True:
            frame = self._next_frame()
            if frame is None:
                return None
            self.last_index = self.index_of(frame)
            if self.last_index < index:
                self.previous = frame
            elif self.last_index == index:
                self.previous = frame
                return frame
            elif self.previous is not None:  # timestamps skip ``index``: the earlier frame is on screen
                self.pending = frame
                return self.previous
            elif backs:  # a seek landed after ``index``: step further back and decode forward
                self._seek(index - backs.pop(0))
            else:
                return frame  # no frame before ``index`` exists: the first frame is on screen


def iter_frames(path, indices):
    """Yield ``(index, frame)`` for each wanted frame index, in increasing order, each index once.

    ``frame`` is a (H, W, 3) uint8 RGB array. Raises VideoReadError if the video ends before an index.
    """
    wanted = np.unique(np.asarray(list(indices), dtype=np.int64))
    if len(wanted) and wanted[0] < 0:
        raise ValueError(f"frame indices must be >= 0, got {wanted[0]}")
    with _open_video(path) as (container, stream):
        seeker = _FrameSeeker(container, stream, _frame_rate(stream, path))
        for index in wanted:
            frame = seeker.get(int(index))
            if frame is None:
                raise VideoReadError(f"video '{path}' ended before frame {index} "
                                     f"(last decoded frame {seeker.last_index}; truncated file?)")
            yield int(index), frame.to_ndarray(format="rgb24")


def sample_indices(num_frames_total, num_frames=None, every=None, max_frames=None):
    """Frame indices to read from a video of ``num_frames_total`` frames (see :func:`read_frames`)."""
    if num_frames is not None and every is not None:
        raise ValueError("give num_frames or every, not both")
    if num_frames is not None:
        if num_frames < 1:
            raise ValueError(f"num_frames must be >= 1, got {num_frames}")
        indices = np.round(np.linspace(0, num_frames_total - 1, num_frames)).astype(np.int64)
    elif every is not None:
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        indices = np.arange(0, num_frames_total, every, dtype=np.int64)
    else:
        indices = np.arange(num_frames_total, dtype=np.int64)
    return indices if max_frames is None else indices[:max_frames]


def read_frames(path, num_frames=None, every=None, max_frames=None):
    """Read frames of the video at ``path``; return ``(frames (N, H, W, 3) uint8 RGB, indices (N,) int64)``.

    ``num_frames=N``: N evenly spaced frames, indices ``round(linspace(0, count - 1, N))`` (an index repeats
    when N exceeds the frame count). ``every=k``: frames 0, k, 2k, ... Neither: all frames.
    ``max_frames`` keeps only the first that many. Only the wanted frames are ever held in memory.

    >>> frames, idx = read_frames("clip.mp4", num_frames=8)   # doctest: +SKIP
    """
    info = probe(path)
    indices = sample_indices(info.num_frames, num_frames, every, max_frames)
    frames = None
    for index, image in iter_frames(path, indices):
        if frames is None:
            frames = np.empty((len(indices),) + image.shape, dtype=np.uint8)
        frames[np.searchsorted(indices, index, "left"):np.searchsorted(indices, index, "right")] = image
    if frames is None:
        raise VideoReadError(f"no frames requested from '{path}' (max_frames={max_frames})")
    return frames, indices


def read_audio(path):
    """The audio track of the video at ``path`` as ``(samples (N,) float32 mono in [-1, 1], rate Hz)``, or
    None when it has no audio stream (never silence standing in for it).

    Any layout and sample format is converted with FFmpeg's resampler (channels averaged), at the
    stream's own rate; sample 0 is heard with frame 0 (the encoder's priming samples are dropped by
    the decoder, and the padding after the last frame is cut at the stream's duration).
    """
    with _open_video(path) as (container, _):
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        rate = int(stream.rate or stream.codec_context.sample_rate)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks = []
        for frame in container.decode(stream):
            chunks += [part.to_ndarray().reshape(-1) for part in resampler.resample(frame)]
        chunks += [part.to_ndarray().reshape(-1) for part in resampler.resample(None)]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if stream.duration is not None and stream.time_base is not None:
        samples = samples[:int(round(stream.duration * stream.time_base * rate))]
    if len(samples) == 0:
        raise VideoReadError(f"the audio stream of '{path}' has no samples")
    return np.clip(samples, -1, 1).astype(np.float32), rate
