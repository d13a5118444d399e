"""Video IO: frames that encode their own index survive write_video -> read_frames exactly.

Ground truth: the index painted into each frame as 9 black/white blocks (binary), the sampling
formula from the spec, and OpenCV's independent decoder.
"""
import os

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from dfkit.errors import VideoReadError
from dfkit.video import VideoInfo, VideoWriter, iter_frames, probe, read_frames, write_video

BITS, BLOCK = 9, 14  # 9 blocks of 14 px encode indices 0..511


def indexed_clip(num_frames, height=64, width=128, seed=0):
    """(T, H, W, 3) frames: top 16 rows = binary index blocks, bottom half = moving noise."""
    rng = np.random.default_rng(seed)
    frames = np.zeros((num_frames, height, width, 3), np.uint8)
    frames[:, height // 2:] = rng.integers(0, 256, (num_frames, height - height // 2, width, 3))
    for t in range(num_frames):
        for bit in range(BITS):
            if (t >> bit) & 1:
                frames[t, :16, bit * BLOCK:(bit + 1) * BLOCK] = 255
    return frames


def decode_index(frames):
    """Read the painted index back from (N, H, W, 3) frames."""
    blocks = frames[:, 2:14, :BITS * BLOCK].reshape(len(frames), 12, BITS, BLOCK, 3)
    bits = blocks[:, :, :, 2:-2].mean(axis=(1, 3, 4)) > 127
    return (bits * (1 << np.arange(BITS))).sum(axis=1)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Two 150-frame clips (crf 0 and 23, keyframe every 12 frames) and their source frames."""
    folder = tmp_path_factory.mktemp("video")
    frames = indexed_clip(150)
    paths = {crf: write_video(folder / f"clip_crf{crf}.mp4", frames, fps=25, crf=crf, gop=12)
             for crf in (0, 23)}
    return frames, paths


@pytest.mark.parametrize("crf", [0, 23])
def test_probe_reports_what_was_written(clips, crf):
    _, paths = clips
    info = probe(paths[crf])
    assert info == VideoInfo(fps=25.0, num_frames=150, width=128, height=64, duration_s=6.0), info


@pytest.mark.parametrize("crf", [0, 23])
@pytest.mark.parametrize("num_frames", [1, 7, 32, 150])
def test_num_frames_returns_exactly_the_evenly_spaced_frames(clips, crf, num_frames):
    _, paths = clips
    frames, indices = read_frames(paths[crf], num_frames=num_frames)
    expected = np.round(np.linspace(0, 149, num_frames)).astype(int)
    assert indices.tolist() == expected.tolist()
    assert frames.shape == (num_frames, 64, 128, 3) and frames.dtype == np.uint8
    assert decode_index(frames).tolist() == expected.tolist(), "pixels show other frames than the indices say"


def test_every_and_max_frames(clips):
    _, paths = clips
    frames, indices = read_frames(paths[23], every=20)
    assert indices.tolist() == list(range(0, 150, 20))
    assert decode_index(frames).tolist() == indices.tolist()
    frames, indices = read_frames(paths[23], every=3, max_frames=5)
    assert indices.tolist() == [0, 3, 6, 9, 12] and decode_index(frames).tolist() == [0, 3, 6, 9, 12]


def test_all_frames_and_more_than_available(clips):
    _, paths = clips
    frames, indices = read_frames(paths[23])
    assert indices.tolist() == list(range(150)) and decode_index(frames).tolist() == list(range(150))
    frames, indices = read_frames(paths[23], num_frames=200)  # more than exist: indices repeat
    assert len(frames) == 200 and decode_index(frames).tolist() == indices.tolist()


def test_iter_frames_with_seeks_returns_the_asked_frames(clips):
    _, paths = clips
    wanted = [149, 0, 13, 14, 60, 61, 100, 137, 60]  # unordered, repeated: returned sorted, unique
    got = list(iter_frames(paths[23], wanted))
    assert [index for index, _ in got] == sorted(set(wanted))
    assert decode_index(np.stack([frame for _, frame in got])).tolist() == sorted(set(wanted))


def test_lossless_crf0_is_closer_to_source_than_crf23(clips):
    source, paths = clips
    top = slice(0, 32)  # the index blocks: flat areas that H.264 at crf 0 keeps almost exactly
    error = {crf: np.abs(read_frames(paths[crf])[0][:, top].astype(int) - source[:, top]).mean()
             for crf in (0, 23)}
    assert error[0] < 1.0 and error[0] <= error[23], error


def test_decoded_frames_match_opencv(clips):
    _, paths = clips
    ours, _ = read_frames(paths[23])
    capture = cv2.VideoCapture(str(paths[23]))
    theirs = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        theirs.append(bgr[..., ::-1])
    capture.release()
    assert len(theirs) == len(ours)
    assert np.abs(np.stack(theirs).astype(int) - ours).mean() < 2.0


def test_ntsc_frame_rate_and_odd_size_are_handled(tmp_path):
    frames = indexed_clip(40, height=63, width=129)
    path = write_video(tmp_path / "odd.mp4", frames, fps=30000 / 1001)
    info = probe(path)
    assert (info.width, info.height, info.num_frames) == (130, 64, 40)  # padded to even sizes
    assert info.fps == pytest.approx(29.97, abs=0.01)
    got, indices = read_frames(path, num_frames=9)
    expected = np.round(np.linspace(0, 39, 9)).astype(int).tolist()
    assert decode_index(got).tolist() == indices.tolist() == expected


def test_write_is_atomic_and_validates_input(tmp_path):
    write_video(tmp_path / "a.mp4", indexed_clip(5), fps=10)
    assert os.listdir(tmp_path) == ["a.mp4"], "a temporary file was left behind"
    with pytest.raises(ValueError, match="uint8"):
        write_video(tmp_path / "b.mp4", np.zeros((5, 16, 16, 3), np.float32), fps=10)
    with pytest.raises(ValueError, match="crf"):
        write_video(tmp_path / "b.mp4", indexed_clip(5), fps=10, crf=60)
    assert os.listdir(tmp_path) == ["a.mp4"]


def _bad_files(folder, good):
    data = good.read_bytes()
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "half.mp4").write_bytes(data[:len(data) // 2])
    (folder / "notes.txt").write_text("not a video\n" * 20)
    Image.fromarray(indexed_clip(1)[0]).save(folder / "still.png")
    with av.open(str(folder / "no_frames.mp4"), mode="w") as container:  # header, zero frames
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        container.start_encoding()
    return {"no_frames.mp4": "no video stream", "missing.mp4": "not found", "empty.mp4": "empty",
            "half.mp4": "truncated", "notes.txt": "not a video", "still.png": "image"}


def test_bad_files_raise_one_clear_error(clips, tmp_path):
    _, paths = clips
    for name, reason in _bad_files(tmp_path, paths[23]).items():
        for read in (probe, lambda p: read_frames(p, num_frames=4)):
            with pytest.raises(VideoReadError) as error:
                read(tmp_path / name)
            message = str(error.value)
            assert name in message and reason in message, f"expected '{reason}' and the name in: {message}"


def test_streaming_writer_equals_one_shot_and_cleans_up_on_error(tmp_path):
    frames = indexed_clip(30)
    with VideoWriter(tmp_path / "chunks.mp4", fps=25, crf=0) as out:
        for start in range(0, 30, 7):
            out.write(frames[start:start + 7])
    got, indices = read_frames(tmp_path / "chunks.mp4")
    assert decode_index(got).tolist() == indices.tolist() == list(range(30))
    with pytest.raises(RuntimeError):
        with VideoWriter(tmp_path / "broken.mp4", fps=25) as out:
            out.write(frames[:5])
            raise RuntimeError("interrupted")
    with pytest.raises(ValueError, match="no frames"):
        with VideoWriter(tmp_path / "nothing.mp4", fps=25):
            pass
    assert sorted(os.listdir(tmp_path)) == ["chunks.mp4"], "partial or temporary files were left behind"
