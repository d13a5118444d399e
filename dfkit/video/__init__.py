"""Video IO: probe, read sampled frames (streaming, bounded memory) and audio, write H.264 MP4s (+ AAC)."""
from dfkit.video.reader import VideoInfo, iter_frames, probe, read_audio, read_frames, sample_indices
from dfkit.video.writer import VideoWriter, write_video

__all__ = ["VideoInfo", "VideoWriter", "iter_frames", "probe", "read_audio", "read_frames", "sample_indices", "write_video"]
