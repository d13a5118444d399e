"""Graded tests for phase4_biological_signals/template_blink_detection.py.

Ground truth: hand-computed eye aspect ratios and event lists, NumPy's median, and the synthetic
generator's blinks (``clip.blinks``, the eyelid closure it painted) with landmarks from the
generator and from dlib's 68-point predictor on a real face (the astronaut photo mode).
"""
import numpy as np
import pytest

from dfkit.landmarks import Dlib68Predictor
from dfkit.signals import video_landmarks
from dfkit.synthetic import make_clip

pytestmark = pytest.mark.exercise("phase4_biological_signals.template_blink_detection")
OPEN_EYE = np.array([[0, 0], [1, -1], [2, -1], [3, 0], [2, 1], [1, 1]], np.float64)  # EAR 4 / 6


def _rotated(points, degrees, scale, shift):
    a = np.deg2rad(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return scale * points @ rot.T + shift


@pytest.mark.points(1)
def test_eye_aspect_ratio_is_hand_computed_and_ignores_size_and_rotation(exercise, agrees_with_reference):
    eyes = np.stack([OPEN_EYE, _rotated(OPEN_EYE, 30, 7.5, [40, 12]), OPEN_EYE * [1, 0.25]])
    got = np.asarray(exercise.eye_aspect_ratio(eyes))
    expected = np.array([4 / 6, 4 / 6, 1 / 6])          # (|p2-p6| + |p3-p5|) / (2 |p1-p4|)
    assert got.shape == (3,), f"expected one EAR per eye (3,), got shape {got.shape}"
    np.testing.assert_allclose(got, expected, atol=1e-9, err_msg="expected (|p2-p6| + |p3-p5|) / (2 |p1-p4|)")
    agrees_with_reference(got, lambda ref: ref.eye_aspect_ratio(eyes))


@pytest.mark.points(1)
def test_ear_series_drops_inside_the_generators_blinks(exercise, agrees_with_reference):
    clip = make_clip(seed=2, num_frames=60, size=96, blink_rate_hz=0.5)
    ear = np.asarray(exercise.ear_series(clip.landmarks))
    assert ear.shape == (60,), f"expected (T,) = (60,), got {ear.shape}"
    inside = np.zeros(60, bool)
    for start, end in clip.blinks:
        inside[start:end + 1] = True
    assert ear[inside].min() < 0.3 * np.median(ear[~inside]), (
        f"at the deepest point of a blink the EAR should fall below 30 % of the open eye's; got "
        f"{ear[inside].min():.3f} vs open {np.median(ear[~inside]):.3f}")
    assert np.ptp(ear[~inside]) < 1e-4 * np.median(ear), "with perfect landmarks an open eye's EAR does not change"
    agrees_with_reference(ear, lambda ref: ref.ear_series(clip.landmarks))


@pytest.mark.points(1)
def test_adaptive_threshold_is_a_fraction_of_the_median(exercise, agrees_with_reference):
    ear = np.array([0.30, 0.31, 0.05, 0.29, 0.32, 0.30, 0.28])
    got = exercise.adaptive_threshold(ear, ratio=0.7)
    assert got == pytest.approx(0.7 * np.median(ear)), f"expected 0.7 x median = {0.7 * np.median(ear):.4f}, got {got}"
    agrees_with_reference(got, lambda ref: ref.adaptive_threshold(ear, ratio=0.7))


DETECT_CASES = {
    "one-blink": ([0.3, 0.1, 0.1, 0.3, 0.3], 0.2, 2, [(1, 2)]),
    "one-frame-dip-is-noise": ([0.3, 0.1, 0.3, 0.1, 0.1, 0.1, 0.3], 0.2, 2, [(3, 5)]),
    "blink-at-both-ends": ([0.1, 0.1, 0.3, 0.3, 0.1, 0.1], 0.2, 2, [(0, 1), (4, 5)]),
    "min-frames-one": ([0.3, 0.1, 0.3], 0.2, 1, [(1, 1)]),
    "never-closed": ([0.3, 0.3, 0.3], 0.2, 2, []),
}


@pytest.mark.points(2)
@pytest.mark.parametrize("case", list(DETECT_CASES), ids=list(DETECT_CASES))
def test_detect_blinks_on_hand_written_series(exercise, case):
    ear, threshold, min_frames, expected = DETECT_CASES[case]
    got = exercise.detect_blinks(np.array(ear), threshold=threshold, min_frames=min_frames)
    assert [tuple(map(int, b)) for b in got] == expected, (
        f"EAR {ear}, threshold {threshold}: expected {expected}, got {got}")


@pytest.mark.points(1)
def test_blink_rate_per_minute(exercise):
    got = exercise.blink_rate([(3, 5), (40, 44), (90, 93)], num_frames=250, fps=25.0)
    assert got == pytest.approx(18.0), f"3 blinks in 10 s are 18 per minute, got {got}"


MATCH_CASES = {
    "exact": ([(10, 14)], [(10, 14)], 2, (1, 0, 0)),
    "two-frames-late": ([(16, 18)], [(10, 14)], 2, (1, 0, 0)),
    "three-frames-late": ([(17, 19)], [(10, 14)], 2, (0, 1, 1)),
    "one-prediction-for-two-truths": ([(10, 30)], [(10, 14), (26, 30)], 2, (1, 0, 1)),
    "extra-prediction": ([(10, 14), (50, 52)], [(10, 14)], 2, (1, 1, 0)),
}


@pytest.mark.points(1)
@pytest.mark.parametrize("case", list(MATCH_CASES), ids=list(MATCH_CASES))
def test_match_blinks_counts_hits_within_the_tolerance(exercise, case):
    predicted, truth, tolerance, expected = MATCH_CASES[case]
    got = tuple(int(v) for v in exercise.match_blinks(predicted, truth, tolerance))
    assert got == expected, (
        f"predicted {predicted} vs true {truth} (+-{tolerance}): expected (tp, fp, fn) = {expected}, got {got}")


@pytest.mark.points(2)
@pytest.mark.parametrize("landmarks", ["generator", "dlib"],
                         ids=["generator-landmarks", "dlib-landmarks-on-a-real-face"])
def test_blinks_of_synthetic_clips_are_found_within_two_frames(exercise, landmarks):
    """Adaptive threshold + minimum length on the generator's blinks; dlib's landmarks on the astronaut
    photo (a real face) are noisy enough that single-frame dips would be false blinks."""
    hits = false = missed = 0
    predictor = Dlib68Predictor() if landmarks == "dlib" else None
    for seed in range(4):
        clip = make_clip(seed=seed, num_frames=100, size=96, blink_rate_hz=0.5, photo="astronaut")
        points = clip.landmarks if predictor is None else video_landmarks(clip.frames, clip.boxes, predictor)
        events = exercise.detect_blinks(exercise.ear_series(points))
        tp, fp, fn = exercise.match_blinks(events, clip.blinks, 2)
        hits, false, missed = hits + tp, false + fp, missed + fn
    f1 = 2 * hits / max(2 * hits + false + missed, 1)
    assert f1 >= 0.95, (f"expected blink F1 >= 0.95 within +-2 frames of the generator's blinks with {landmarks} "
                        f"landmarks; "
                        f"got {f1:.3f} ({hits} found, {false} false, {missed} missed)")


@pytest.mark.points(1)
def test_a_no_blink_fake_has_no_blink_events(exercise):
    clip = make_clip(seed=1, num_frames=100, size=96, fake=True, manipulations=("no_blink",), blink_rate_hz=0.5)
    got = exercise.detect_blinks(exercise.ear_series(clip.landmarks))
    assert list(got) == [], f"a no_blink fake never closes its eyes; got events {got}"


@pytest.mark.points(1)
def test_blink_features_are_hand_computed(exercise, agrees_with_reference):
    ear = np.array([0.3] * 10 + [0.1, 0.05, 0.1] + [0.3] * 7)       # 20 frames, one 3-frame blink
    got = np.asarray(exercise.blink_features(ear, [(10, 12)], fps=10.0))
    expected = [60 * 1 / 2.0, 0.3, 0.3, 0.05 / 0.3, 3 / 20]          # rate, length s, open, min/open, closed share
    np.testing.assert_allclose(got, expected, rtol=1e-9, err_msg=f"expected {expected} (see BLINK_FEATURES)")
    agrees_with_reference(got, lambda ref: ref.blink_features(ear, [(10, 12)], fps=10.0))
