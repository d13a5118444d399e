"""make_clip / make_clips: determinism, shapes, bookkeeping, argument checks."""
import json

import numpy as np
import pytest

from dfkit.synthetic import MANIPULATIONS, METHOD_NAMES, Clip, make_clip, make_clips

SIDECAR_KEYS = {"label", "manipulations", "method", "fps", "num_frames", "boxes", "landmarks", "blinks",
                "pulse_bpm", "seed", "strength", "size"}


def test_same_seed_gives_identical_clips_and_other_seeds_differ():
    a, b = make_clip(seed=7, num_frames=8, size=64), make_clip(seed=7, num_frames=8, size=64)
    assert np.array_equal(a.frames, b.frames), "same seed must give identical frames"
    assert np.array_equal(a.landmarks, b.landmarks) and a.blinks == b.blinks and a.pulse_bpm == b.pulse_bpm
    c = make_clip(seed=8, num_frames=8, size=64)
    assert np.abs(a.frames.astype(int) - c.frames).mean() > 5, "different seeds gave near-identical frames"
    f1 = make_clip(seed=7, num_frames=8, size=64, fake=True, manipulations=("flicker", "blend"))
    f2 = make_clip(seed=7, num_frames=8, size=64, fake=True, manipulations=("flicker", "blend"))
    assert np.array_equal(f1.frames, f2.frames) and np.array_equal(f1.masks, f2.masks)


@pytest.mark.parametrize("size,shape", [(64, (64, 64)), ((48, 80), (48, 80))])
def test_shapes_and_dtypes(size, shape):
    clip = make_clip(seed=1, num_frames=5, size=size, fake=True)
    h, w = shape
    assert isinstance(clip, Clip)
    assert clip.frames.shape == (5, h, w, 3) and clip.frames.dtype == np.uint8
    assert clip.boxes.shape == (5, 4) and clip.boxes.dtype == np.float32
    assert clip.landmarks.shape == (5, 68, 2) and clip.landmarks.dtype == np.float32
    assert clip.masks.shape == (5, h, w) and clip.masks.dtype == np.float32
    assert 0 <= clip.masks.min() and clip.masks.max() <= 1
    x0, y0, x1, y1 = clip.boxes.T
    assert np.all((0 <= x0) & (x0 < x1) & (x1 <= w) & (0 <= y0) & (y0 < y1) & (y1 <= h)), clip.boxes


def test_landmarks_lie_in_the_face_box_in_ibug_order():
    clip = make_clip(seed=2, num_frames=4, size=128)
    lm, box = clip.landmarks, clip.boxes[:, None]
    assert np.all((lm >= box[..., :2] - 1) & (lm <= box[..., 2:] + 1)), "landmarks outside the face box"
    # iBUG order: point 0 (jaw start) is image-left of 16, brows above eyes above nose tip above mouth.
    assert np.all(lm[:, 0, 0] < lm[:, 16, 0]) and np.all(lm[:, 36, 0] < lm[:, 45, 0])
    assert np.all(lm[:, 19, 1] < lm[:, 37, 1]) and np.all(lm[:, 37, 1] < lm[:, 30, 1])
    assert np.all(lm[:, 30, 1] < lm[:, 51, 1]) and np.all(lm[:, 51, 1] < lm[:, 8, 1])


def test_real_and_fake_bookkeeping():
    real = make_clip(seed=3, num_frames=4, size=64)
    assert (real.label, real.manipulations, real.method) == (0, (), "real")
    assert real.masks.max() == 0, "a real clip must have an all-zero mask"
    default_fake = make_clip(seed=3, num_frames=4, size=64, fake=True)
    assert (default_fake.label, default_fake.manipulations, default_fake.method) == (1, ("blend",), "BlendSwap")
    combo = make_clip(seed=3, num_frames=4, size=64, fake=True, manipulations=["upsample", "no_pulse"])
    assert combo.manipulations == ("upsample", "no_pulse") and combo.method == "Upsample+NoPulse"
    assert combo.pulse_bpm is None and real.pulse_bpm is not None
    assert set(METHOD_NAMES) == set(MANIPULATIONS)


def test_sidecar_is_json_and_matches_the_clip():
    clip = make_clip(seed=4, num_frames=6, size=64, fake=True, manipulations=("flicker",), strength=0.5)
    side = json.loads(json.dumps(clip.sidecar()))
    assert SIDECAR_KEYS <= set(side), f"missing keys {SIDECAR_KEYS - set(side)}"
    assert "masks" not in side
    assert side["label"] == 1 and side["manipulations"] == ["flicker"] and side["method"] == "Flicker"
    assert side["num_frames"] == 6 and side["size"] == [64, 64] and side["seed"] == 4 and side["strength"] == 0.5
    np.testing.assert_allclose(side["boxes"], clip.boxes, atol=0.01)
    np.testing.assert_allclose(side["landmarks"], clip.landmarks, atol=0.01)


def test_pulse_and_blink_parameters_are_honoured():
    clip = make_clip(seed=5, num_frames=8, size=64, pulse_bpm=72.0, blink_rate_hz=0.0)
    assert clip.pulse_bpm == 72.0 and clip.blinks == []


def test_make_clips_pairs_each_real_clip_with_its_fake():
    clips = make_clips(5, seed=1, num_frames=4, size=64, manipulations=("upsample",))
    assert [c.label for c in clips] == [0, 1, 0, 1, 0]
    assert [c.manipulations for c in clips] == [(), ("upsample",), (), ("upsample",), ()]
    assert [c.seed == clips[i - i % 2].seed for i, c in enumerate(clips)] == [True] * 5, "a fake shares its real's seed"
    assert len({c.seed for c in clips}) == 3, "each pair has its own base seed"
    for real, fake in ((clips[0], clips[1]), (clips[2], clips[3])):
        # Same base clip: outside the manipulated region the frames agree exactly.
        outside = fake.masks == 0
        np.testing.assert_array_equal(real.frames[outside], fake.frames[outside])
        np.testing.assert_array_equal(real.boxes, fake.boxes)
        assert not np.array_equal(real.frames, fake.frames)
    again = make_clips(5, seed=1, num_frames=4, size=64, manipulations=("upsample",))
    assert all(np.array_equal(a.frames, b.frames) for a, b in zip(clips, again))


@pytest.mark.parametrize("kwargs", [
    dict(manipulations=("blend",)),                 # manipulations on a real clip
    dict(fake=True, manipulations=("warp",)),       # unknown manipulation
    dict(fake=True, manipulations=()),              # fake with nothing to do
    dict(strength=0.0), dict(strength=1.5), dict(num_frames=0), dict(size=16), dict(seed=-1),
    dict(pulse_bpm=400.0), dict(photo="mona_lisa"), dict(photo=np.zeros((10, 10), np.uint8)),
])
def test_bad_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        make_clip(**{"num_frames": 2, "size": 64, **kwargs})
