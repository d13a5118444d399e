"""The temporal-only fake ("relight"): every frame a plausible face, only the sequence inconsistent."""
import numpy as np
import pytest

from dfkit.synthetic import make_clip
from dfkit.synthetic.manipulations import RELIGHT_GAIN_SD

T, SIZE, SEED = 32, 96, 5


@pytest.fixture(scope="module")
def twins():
    real = make_clip(seed=SEED, num_frames=T, size=SIZE)
    fake = make_clip(seed=SEED, num_frames=T, size=SIZE, fake=True, manipulations=("relight",))
    return real, fake


def test_relight_changes_the_face_only(twins):
    real, fake = twins
    diff = np.abs(real.frames.astype(np.float32) - fake.frames.astype(np.float32)).mean(-1)
    assert fake.label == 1 and fake.method == "Relight"
    assert diff[fake.masks < 0.01].max() <= 1.0, "expected the background untouched (rounding only)"
    assert diff[fake.masks > 0.99].mean() > 2.0, "expected the face's colour to change"


def test_relight_is_one_gain_per_frame_and_channel_with_the_documented_spread(twins):
    real, fake = twins
    face = fake.masks > 0.99
    ratios = np.array([[fake.frames[t][face[t]][:, c].astype(float).mean() / real.frames[t][face[t]][:, c].mean()
                        for c in range(3)] for t in range(T)])  # (T, 3): the gain of each frame and channel
    spread = ratios.std()
    assert 0.5 * RELIGHT_GAIN_SD < spread < 1.6 * RELIGHT_GAIN_SD, (
        f"expected per-frame gains with standard deviation about {RELIGHT_GAIN_SD}, got {spread:.3f}")
    lag1 = np.corrcoef(ratios[:-1].ravel(), ratios[1:].ravel())[0, 1]
    assert abs(lag1) < 0.4, f"expected gains independent from frame to frame, got lag-1 correlation {lag1:.2f}"


def test_each_relit_frame_keeps_the_real_frames_geometry(twins):
    """Same landmarks, boxes, blinks and pulse as the real twin: nothing but colour changes."""
    real, fake = twins
    np.testing.assert_array_equal(real.landmarks, fake.landmarks)
    np.testing.assert_array_equal(real.boxes, fake.boxes)
    assert real.blinks == fake.blinks and real.pulse_bpm == fake.pulse_bpm
