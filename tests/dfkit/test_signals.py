"""dfkit.signals: dlib's box convention, per-video signals and their .npz cache."""
import numpy as np

from dfkit.signals import (DLIB_BOX_HEIGHT, DLIB_BOX_SHIFT, DLIB_BOX_WIDTH, VideoSignals, cache_path, dlib_boxes,
                           load_signals, read_signal_frames, save_signals)
from dfkit.synthetic import make_clip
from dfkit.video import write_video


def test_dlib_boxes_move_down_and_resize_about_the_centre():
    got = dlib_boxes(np.array([[10.0, 20.0, 50.0, 100.0]]))[0]          # w 40, h 80, centre (30, 60)
    cy = 60 + DLIB_BOX_SHIFT * 80
    expected = [30 - 20 * DLIB_BOX_WIDTH, cy - 40 * DLIB_BOX_HEIGHT,
                30 + 20 * DLIB_BOX_WIDTH, cy + 40 * DLIB_BOX_HEIGHT]
    np.testing.assert_allclose(got, expected)


def test_signals_survive_the_cache_and_the_cache_separates_implementations(tmp_path):
    signals = VideoSignals(25.0, np.random.rand(6, 68, 2).astype(np.float32), np.random.rand(6, 3), np.ones((6, 4)),
                           np.array([True] * 5 + [False]), (64, 96))
    path = cache_path(tmp_path, "NoPulse/000_001", "templates")
    assert path != cache_path(tmp_path, "NoPulse/000_001", "solutions")
    save_signals(path, signals)
    loaded = load_signals(path)
    np.testing.assert_array_equal(loaded.landmarks, signals.landmarks)
    np.testing.assert_array_equal(loaded.found, signals.found)
    assert loaded.fps == 25.0 and loaded.frame_size == (64, 96)


def test_signal_frames_are_consecutive_from_the_start(tmp_path):
    clip = make_clip(seed=0, num_frames=30, size=64)
    path = write_video(tmp_path / "clip.mp4", clip.frames, 25.0, crf=0)
    frames, fps = read_signal_frames(path, max_seconds=0.4)
    assert fps == 25.0 and len(frames) == 10
    assert np.abs(frames.astype(int) - clip.frames[:10].astype(int)).mean() < 3
