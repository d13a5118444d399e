"""Speech in synthetic clips: a moving mouth, audio whose loudness follows it, audio fakes, AAC IO."""
import json

import numpy as np
import pytest

from dfkit.synthetic import make_clip, make_clips, write_dataset
from dfkit.synthetic.speech import AUDIO_RATE, MAX_GAP
from dfkit.video import read_audio, write_video


def frame_rms(audio, rate, fps, num_frames):
    """RMS of the samples within half a frame of each frame's time (written here, not imported)."""
    spf = rate / fps
    return np.array([np.sqrt(np.mean(audio[max(0, int((t - 0.5) * spf)):int((t + 0.5) * spf)] ** 2))
                     for t in range(num_frames)])


@pytest.fixture(scope="module")
def talking():
    return make_clip(seed=5, num_frames=50, size=96, speech=True)


def test_silent_clips_have_no_speech_fields():
    clip = make_clip(seed=5, num_frames=4, size=64)
    assert (clip.audio, clip.audio_rate, clip.mouth_open, clip.av_offset) == (None, None, None, None)
    assert "audio_rate" not in clip.sidecar()


def test_speech_keeps_everything_but_the_mouth(talking):
    silent = make_clip(seed=5, num_frames=50, size=96)
    assert np.array_equal(np.delete(talking.landmarks, np.s_[48:68], axis=1),
                          np.delete(silent.landmarks, np.s_[48:68], axis=1))
    assert np.array_equal(talking.boxes, silent.boxes) and talking.blinks == silent.blinks
    closed = talking.mouth_open == 0
    assert closed.any() and np.array_equal(talking.frames[closed], silent.frames[closed])


def test_inner_lip_gap_follows_mouth_open(talking):
    lm = talking.landmarks
    gap = np.linalg.norm(lm[:, 66] - lm[:, 62], axis=1)
    width = np.linalg.norm(lm[:, 54] - lm[:, 48], axis=1)
    closed_gap = np.linalg.norm(make_clip(seed=5, num_frames=1, size=96).landmarks[0, 66]
                                - make_clip(seed=5, num_frames=1, size=96).landmarks[0, 62])
    expected = closed_gap + 1.2 * MAX_GAP * width * talking.mouth_open  # lower 1.0 + upper 0.2 at the middle
    assert np.abs(gap - expected).max() < 0.05 * width.mean(), "inner-lip gap should grow with mouth_open"
    assert talking.mouth_open.max() > 0.5 and talking.mouth_open.min() == 0


def test_open_mouth_is_dark_inside(talking):
    t = int(np.argmax(talking.mouth_open))
    inner = talking.landmarks[t, 60:68].mean(0).round().astype(int)
    centre = talking.frames[t, inner[1] - 1:inner[1] + 2, inner[0] - 1:inner[0] + 2].mean()
    face = talking.frames[t, int(talking.landmarks[t, 30, 1]), int(talking.landmarks[t, 30, 0]) + 4].mean()
    assert centre < 0.6 * face, f"open mouth interior {centre:.0f} should be darker than the cheek {face:.0f}"


def test_audio_loudness_follows_the_mouth(talking):
    assert talking.audio.dtype == np.float32 and talking.audio_rate == AUDIO_RATE
    assert len(talking.audio) == AUDIO_RATE * 2 and np.abs(talking.audio).max() <= 1
    rms = frame_rms(talking.audio, AUDIO_RATE, talking.fps, 50)
    assert np.corrcoef(rms, talking.mouth_open)[0, 1] > 0.9


@pytest.mark.parametrize("seed", [1, 2, 3], ids=["seed-one", "seed-two", "seed-three"])
def test_av_offset_shifts_the_audio_by_its_frames(seed):
    real = make_clip(seed=seed, num_frames=40, size=48, speech=True)
    fake = make_clip(seed=seed, num_frames=40, size=48, fake=True, manipulations=("av_offset",))
    k = fake.av_offset
    assert real.av_offset == 0 and 3 <= abs(k) <= 8 and fake.label == 1
    assert np.array_equal(real.frames, fake.frames) and not fake.masks.any()
    loud_fake, loud_real = frame_rms(fake.audio, AUDIO_RATE, 25.0, 40), frame_rms(real.audio, AUDIO_RATE, 25.0, 40)
    a, b = (loud_fake[k:], loud_real[:-k]) if k > 0 else (loud_fake[:k], loud_real[-k:])
    assert np.corrcoef(a, b)[0, 1] > 0.95, "the fake's loudness should be the real one's shifted by av_offset frames"
    assert np.corrcoef(loud_fake, loud_real)[0, 1] < 0.7


def test_lip_mismatch_speaks_another_utterance():
    real = make_clip(seed=4, num_frames=50, size=48, speech=True)
    fake = make_clip(seed=4, num_frames=50, size=48, fake=True, manipulations=("lip_mismatch",))
    assert np.array_equal(real.frames, fake.frames) and fake.av_offset == 0
    rms = frame_rms(fake.audio, AUDIO_RATE, 25.0, 50)
    assert np.corrcoef(rms, fake.mouth_open)[0, 1] < 0.5


def test_audio_fakes_need_speech():
    with pytest.raises(ValueError, match="need speech=True"):
        make_clip(seed=1, num_frames=4, size=48, fake=True, manipulations=("av_offset",), speech=False)
    real, fake = make_clips(2, num_frames=4, size=48, manipulations=("av_offset",))
    assert real.audio is not None and np.array_equal(real.mouth_open, fake.mouth_open)


def test_aac_round_trip_and_silent_video(tmp_path, talking):
    path = write_video(tmp_path / "talk.mp4", talking.frames, talking.fps, audio=(talking.audio, talking.audio_rate))
    samples, rate = read_audio(path)
    assert rate == AUDIO_RATE and len(samples) == len(talking.audio)
    lag = np.argmax(np.correlate(samples[:4000], talking.audio[:4000], "full")) - 3999
    assert lag == 0 and np.corrcoef(samples, talking.audio)[0, 1] > 0.99
    assert read_audio(write_video(tmp_path / "silent.mp4", talking.frames, talking.fps)) is None


def test_dataset_writer_writes_speech(tmp_path):
    write_dataset(tmp_path, 2, num_frames=8, size=48, manipulations=("av_offset",), speech=True, progress=False)
    video = next((tmp_path / "manipulated_sequences" / "AVOffset" / "c23" / "videos").glob("*.mp4"))
    side = json.loads(video.with_suffix(".json").read_text())
    assert side["audio_rate"] == AUDIO_RATE and side["av_offset"] != 0 and len(side["mouth_open"]) == 8
    assert read_audio(video) is not None
    with pytest.raises(ValueError, match="need speech=True"):
        write_dataset(tmp_path / "x", 2, num_frames=4, size=48, manipulations=("av_offset",), progress=False)
