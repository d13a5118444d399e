"""Graded tests for phase5_advanced_methods/template_multi_modal.py.

Ground truth: scikit-learn's ``LogisticRegression`` (same objective as ``fit_logistic``, temperature
and Platt scaling), hand-computed calibration errors and fusions, NaN in missing slots (a masked
value must not leak), PyTorch layers with hand-set weights, NumPy's ``corrcoef`` on hand-made
shifts, and the synthetic generator's speech ground truth: ``mouth_open``, the audio it rendered
and each ``av_offset`` fake's known shift in frames.
"""
import math

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn

from dfkit.synthetic import make_clip

pytestmark = pytest.mark.exercise("phase5_advanced_methods.template_multi_modal")
torch.set_num_threads(1)


def _data(seed=0, n=200):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = (x @ [1.5, -2.0, 0.5] + rng.normal(size=n) > 0).astype(int)
    return x, y


def _sk(C=np.inf, intercept=True):
    return LogisticRegression(C=C, fit_intercept=intercept, tol=1e-12, max_iter=10000)


# ---------------------------------------------------------------- calibration
@pytest.mark.points(2)
@pytest.mark.parametrize("l2", [0.0, 1.0, 10.0], ids=["no-penalty", "l2-one", "l2-ten"])
def test_fit_logistic_equals_sklearn(exercise, agrees_with_reference, l2):
    x, y = _data()
    w, b = exercise.fit_logistic(x, y, l2=l2)
    oracle = _sk(C=1 / l2 if l2 else np.inf).fit(x, y)
    assert np.allclose(w, oracle.coef_[0], atol=1e-5) and b == pytest.approx(oracle.intercept_[0], abs=1e-5), (
        f"expected sklearn LogisticRegression(C={1 / l2 if l2 else 'inf'}) w={oracle.coef_[0]}, "
        f"b={oracle.intercept_[0]:.6f}; got w={np.asarray(w)}, b={b:.6f} (is the bias penalised?)")
    agrees_with_reference(np.asarray(w), lambda ref: ref.fit_logistic(x, y, l2=l2)[0], atol=1e-6)


@pytest.mark.points(1)
def test_fit_logistic_without_intercept_and_bad_labels(exercise):
    x, y = _data(1)
    w, b = exercise.fit_logistic(x, y, fit_intercept=False)
    oracle = _sk(intercept=False).fit(x, y)
    assert b == 0 and np.allclose(w, oracle.coef_[0], atol=1e-5), f"expected {oracle.coef_[0]}, got {w}"
    with pytest.raises(ValueError):
        exercise.fit_logistic(x, y * 2)


@pytest.mark.points(2)
def test_temperature_recovers_an_overconfident_detector(exercise, agrees_with_reference):
    rng = np.random.default_rng(2)
    z = rng.normal(0, 3, 2000)
    labels = (rng.random(2000) < 1 / (1 + np.exp(-z / 2.5))).astype(int)  # true temperature 2.5
    t = exercise.temperature_scale(z, labels)
    oracle = 1 / _sk(intercept=False).fit(z[:, None], labels).coef_[0, 0]
    assert t == pytest.approx(oracle, rel=1e-5), f"expected T = 1 / sklearn weight = {oracle:.5f}, got {t}"
    assert 2.0 < t < 3.1, f"the detector's logits are 2.5x over-confident; got T = {t:.3f}"
    agrees_with_reference(t, lambda ref: ref.temperature_scale(z, labels))


@pytest.mark.points(2)
def test_platt_scaling_equals_sklearn_and_lowers_ece(exercise, agrees_with_reference):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 1000)
    scores = rng.normal(labels * 2.0, 1.0) * 5 + 40  # a detector on its own scale, not a probability
    a, b = exercise.platt_scale(scores, labels)
    oracle = _sk().fit(scores[:, None], labels)
    assert a == pytest.approx(oracle.coef_[0, 0], rel=1e-4) and b == pytest.approx(oracle.intercept_[0], rel=1e-4), (
        f"expected sklearn's (a, b) = ({oracle.coef_[0, 0]:.5f}, {oracle.intercept_[0]:.5f}), got ({a:.5f}, {b:.5f})")
    agrees_with_reference(np.array([a, b]), lambda ref: np.array(ref.platt_scale(scores, labels)))


def _ece_by_hand(p, y, bins):
    total = 0.0
    for k in range(bins):
        inside = (p >= k / bins) & ((p < (k + 1) / bins) | ((k == bins - 1) & (p == 1)))
        if inside.any():
            total += inside.sum() / len(p) * abs(p[inside].mean() - y[inside].mean())
    return total


@pytest.mark.points(2)
def test_expected_calibration_error_by_hand(exercise, agrees_with_reference):
    got = exercise.expected_calibration_error([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1])
    assert got == pytest.approx(0.25), f"docstring example: expected 0.5 * 0.3 + 0.5 * 0.2 = 0.25, got {got}"
    assert exercise.expected_calibration_error([1.0, 1.0, 0.0], [1, 1, 0]) == pytest.approx(0.0), (
        "p = 1 belongs in the last bin; a perfectly confident, correct detector has ECE 0")
    rng = np.random.default_rng(4)
    p, y = rng.random(500), rng.integers(0, 2, 500)
    got = exercise.expected_calibration_error(p, y, n_bins=7)
    assert got == pytest.approx(_ece_by_hand(p, y, 7), rel=1e-9)
    agrees_with_reference(got, lambda ref: ref.expected_calibration_error(p, y, n_bins=7))


# ---------------------------------------------------------------- fusion
@pytest.mark.points(1)
def test_availability_masks_missing_modalities(exercise):
    short, enough = exercise.MIN_PULSE_SECONDS - 0.5, exercise.MIN_PULSE_SECONDS  # phase 4's limit
    got = exercise.availability([True, True, False, True], [enough, short, 10.0, 10.0], [True, True, True, False])
    expected = np.array([[1, 1, 1, 1, 1],   # everything (exactly the pulse limit is enough)
                         [1, 1, 1, 0, 1],   # too short for a pulse
                         [0, 0, 0, 0, 0],   # no face: nothing can be scored
                         [1, 1, 1, 1, 0]],  # no audio track
                        bool)
    assert np.array_equal(np.asarray(got, bool), expected), f"expected\n{expected.astype(int)}\ngot\n{np.asarray(got).astype(int)}"


@pytest.mark.points(2)
def test_late_fusion_by_hand_and_masked_nan(exercise, agrees_with_reference):
    probs = np.array([[0.9, 0.5, 0.2], [0.8, np.nan, 0.6], [np.nan, 0.7, np.nan]])
    mask = ~np.isnan(probs)
    weights = np.array([2.0, 1.0, 1.0])
    got = np.asarray(exercise.late_fusion(probs, mask, weights))
    lg = lambda p: math.log(p / (1 - p))
    sg = lambda z: 1 / (1 + math.exp(-z))
    expected = [sg((2 * lg(0.9) + 0 + lg(0.2)) / 4), sg((2 * lg(0.8) + lg(0.6)) / 3), 0.7]
    assert np.all(np.isfinite(got)), f"a missing (NaN) modality leaked into the fused score: {got}"
    assert np.allclose(got, expected, atol=1e-9), f"expected {expected}, got {got}"
    agrees_with_reference(got, lambda ref: ref.late_fusion(probs, mask, weights))


@pytest.mark.points(1)
def test_late_fusion_refuses_rows_without_any_modality(exercise):
    with pytest.raises(ValueError, match="1"):
        exercise.late_fusion(np.full((2, 2), 0.5), np.array([[True, False], [False, False]]))


@pytest.mark.points(2)
def test_stacking_on_masked_scores_equals_sklearn(exercise, agrees_with_reference):
    rng = np.random.default_rng(5)
    n = 400
    labels = rng.integers(0, 2, n)
    probs = 1 / (1 + np.exp(-rng.normal(np.outer(labels, [2.0, 0.5, 1.0]) - [1.0, 0.25, 0.5], 1.0)))
    mask = rng.random((n, 3)) > 0.2
    probs[~mask] = np.nan
    x = exercise.stacking_features(probs, mask)
    z = np.log(np.clip(probs, 1e-6, 1 - 1e-6) / (1 - np.clip(probs, 1e-6, 1 - 1e-6)))
    expected = np.hstack([np.where(mask, z, 0.0), mask])
    assert np.asarray(x).shape == (n, 6) and np.allclose(x, expected), "expected [masked logits (0 where missing), mask]"
    w, b = exercise.fit_logistic(x, labels, l2=1.0)
    oracle = _sk(C=1.0).fit(expected, labels)
    assert np.allclose(w, oracle.coef_[0], atol=1e-5), f"expected sklearn weights {oracle.coef_[0]}, got {w}"
    agrees_with_reference(np.asarray(x), lambda ref: ref.stacking_features(probs, mask))


@pytest.mark.points(2)
def test_feature_fusion_layers_and_masked_average(exercise):
    torch.manual_seed(0)
    model = exercise.FeatureFusion([4, 6], hidden=3)
    assert isinstance(model.project, nn.ModuleList) and [tuple(l.weight.shape) for l in model.project] == [(3, 4), (3, 6)]
    assert tuple(model.head.weight.shape) == (1, 3)
    assert sum(p.numel() for p in model.parameters()) == (4 * 3 + 3) + (6 * 3 + 3) + (3 + 1)
    e0, e1 = torch.randn(2, 4), torch.randn(2, 6)
    available = torch.tensor([[True, True], [True, False]])
    e1_missing = e1.clone()
    e1_missing[1] = float("nan")
    got = model([e0, e1_missing], available)
    with torch.no_grad():
        h0 = torch.relu(model.project[0](e0))
        h1 = torch.relu(model.project[1](e1))
        expected = torch.stack([model.head((h0[0] + h1[0]) / 2), model.head(h0[1])]).squeeze(-1)
    assert got.shape == (2,), f"expected (B,) logits, got {tuple(got.shape)}"
    assert torch.isfinite(got).all(), "a missing (NaN) embedding leaked into the output"
    assert torch.allclose(got, expected, atol=1e-6), f"expected {expected.tolist()}, got {got.tolist()}"


# ---------------------------------------------------------------- audio-visual synchrony
@pytest.mark.points(2)
def test_audio_envelope_windows_are_centred_on_frames(exercise, agrees_with_reference):
    rate, fps = 100, 10  # 10 samples per frame: frame t covers samples 10 t - 5 .. 10 t + 4
    samples = np.zeros(40)
    samples[15:25] = 2.0  # loud from 0.15 s to 0.25 s: exactly frame 2's window (0.2 s +- half a frame)
    got = np.asarray(exercise.audio_envelope(samples, rate, fps, 4))
    expected = [0.0, 0.0, 2.0, 0.0]
    assert np.allclose(got, expected), (
        f"expected {expected} (window of frame t: samples (t - 0.5) * 10 .. (t + 0.5) * 10), got {got}; "
        "a window starting at frame t gives [0, 1.41, 1.41, 0]")
    clip = make_clip(seed=7, num_frames=40, size=32, speech=True)
    loud = np.asarray(exercise.audio_envelope(clip.audio, clip.audio_rate, clip.fps, 40))
    assert np.corrcoef(loud, clip.mouth_open)[0, 1] > 0.95, "loudness should follow the generator's mouth_open"
    agrees_with_reference(loud, lambda ref: ref.audio_envelope(clip.audio, clip.audio_rate, clip.fps, 40))


@pytest.mark.points(2)
def test_lagged_correlation_against_numpy(exercise, agrees_with_reference):
    rng = np.random.default_rng(6)
    mouth = rng.random(30)
    envelope = rng.random(30)
    got = np.asarray(exercise.lagged_correlation(envelope, mouth, 3))
    expected = [np.corrcoef(envelope[:lag], mouth[-lag:])[0, 1] if lag < 0 else
                np.corrcoef(envelope[lag:], mouth[:30 - lag])[0, 1] for lag in range(-3, 4)]
    assert got.shape == (7,) and np.allclose(got, expected), f"expected {np.round(expected, 4)}, got {np.round(got, 4)}"
    assert np.allclose(exercise.lagged_correlation(np.ones(10), mouth[:10], 1), 0), "a constant side correlates 0"
    agrees_with_reference(got, lambda ref: ref.lagged_correlation(envelope, mouth, 3))


@pytest.mark.points(2)
@pytest.mark.parametrize("shift", [-4, 0, 5], ids=["audio-leads-four", "in-sync", "audio-lags-five"])
def test_av_lag_of_a_hand_shifted_signal(exercise, shift):
    rng = np.random.default_rng(8)
    mouth = rng.random(60)
    envelope = np.roll(mouth, shift)  # envelope[t] = mouth[t - shift]
    got = exercise.av_lag(envelope, mouth, max_lag=8)
    assert got == shift, f"audio shifted by {shift} frames (positive = later): expected lag {shift}, got {got}"


@pytest.mark.points(3)
def test_av_lag_exact_on_the_generators_av_offset_fakes(exercise):
    hits, misses = 0, []
    for seed in range(20):
        clip = make_clip(seed=seed, num_frames=48, size=32, fake=True, manipulations=("av_offset",))
        envelope = exercise.audio_envelope(clip.audio, clip.audio_rate, clip.fps, 48)
        lag = exercise.av_lag(envelope, clip.mouth_open, max_lag=10)
        hits += lag == clip.av_offset
        if lag != clip.av_offset:
            misses.append((seed, clip.av_offset, lag))
    assert hits >= 19, f"expected the exact offset on >= 95 % of 20 av_offset clips, got {hits}; (seed, true, got): {misses}"


@pytest.mark.points(2)
def test_sync_score_separates_real_from_offset_and_dubbed(exercise, agrees_with_reference):
    def score(**kw):
        clip = make_clip(seed=kw.pop("seed"), num_frames=48, size=32, speech=True, **kw)
        return exercise.sync_score(exercise.audio_envelope(clip.audio, clip.audio_rate, clip.fps, 48), clip.mouth_open)
    real = [score(seed=s) for s in range(4)]
    shifted = [score(seed=s, fake=True, manipulations=("av_offset",)) for s in range(4)]
    dubbed = [score(seed=s, fake=True, manipulations=("lip_mismatch",)) for s in range(4)]
    assert min(real) > 0.9, f"real talking faces: expected sync > 0.9, got {np.round(real, 2)}"
    assert max(shifted + dubbed) < 0.6, f"offset / dubbed: expected sync < 0.6, got {np.round(shifted + dubbed, 2)}"
    envelope, mouth = np.random.default_rng(9).random((2, 30))
    got = exercise.sync_score(envelope, mouth)
    assert got == pytest.approx(np.corrcoef(envelope, mouth)[0, 1], abs=1e-9), "sync score = Pearson r at lag 0"
    agrees_with_reference(got, lambda ref: ref.sync_score(envelope, mouth))
