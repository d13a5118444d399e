"""dfkit.metrics against scikit-learn, brute force and analytic values."""
import math

import numpy as np
import pytest
from scipy.stats import norm
from sklearn import metrics as skm

from dfkit.metrics import (
    ScoreAccumulator,
    accuracy_at,
    aggregate_video_scores,
    average_precision,
    balanced_accuracy_at,
    cross_matrix,
    equal_error_rate,
    roc_auc,
    roc_points,
    summarize,
    tpr_at_fpr,
    youden_threshold,
)


def random_case(seed, n=200, decimals=None):
    """Labels with ~40% fakes and noisy scores correlated with them; ``decimals`` creates ties."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.4).astype(int)
    labels[:2] = [0, 1]
    scores = 1 / (1 + np.exp(-(labels * 1.2 + rng.normal(size=n))))
    if decimals is not None:
        scores = np.round(scores, decimals)
    return labels, scores


CASES = [random_case(seed, decimals=d) for seed in range(4) for d in (None, 1)] + [
    (np.array([0, 0, 1, 1]), np.array([0.5, 0.5, 0.5, 0.5])),          # all equal
    (np.array([0, 0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.8, 0.9])),  # perfectly separated
    (np.array([1, 1, 0, 0]), np.array([0.1, 0.2, 0.8, 0.9])),          # perfectly inverted
    (np.array([0, 1, 0, 1, 0, 1]), np.array([0.3, 0.3, 0.7, 0.7, 0.5, 0.5])),  # ties across classes
]


def brute_force_rates(labels, scores):
    """(threshold, fpr, fnr) for +inf and every distinct score, counted directly, highest threshold first."""
    real, fake = scores[labels == 0], scores[labels == 1]
    thresholds = np.r_[np.inf, np.sort(np.unique(scores))[::-1]]
    return [(t, np.mean(real >= t), np.mean(fake < t)) for t in thresholds]


def brute_force_eer(labels, scores):
    """EER by direct counting: where FNR - FPR changes sign, interpolated along the ROC segment."""
    rates = brute_force_rates(labels, scores)
    for (t0, fpr0, fnr0), (t1, fpr1, fnr1) in zip(rates, rates[1:]):
        if fnr1 - fpr1 <= 0 < fnr0 - fpr0:
            if fnr1 == fpr1:
                return fpr1
            step = (fnr0 - fpr0) / ((fnr0 - fpr0) - (fnr1 - fpr1))
            return fpr0 + step * (fpr1 - fpr0)
    raise AssertionError("FNR - FPR never changed sign")


@pytest.mark.parametrize("labels,scores", CASES)
def test_ranking_metrics_match_sklearn(labels, scores):
    assert roc_auc(labels, scores) == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    assert average_precision(labels, scores) == pytest.approx(skm.average_precision_score(labels, scores), abs=1e-12)
    fpr, tpr, thresholds = roc_points(labels, scores)
    sk_fpr, sk_tpr, sk_thresholds = skm.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_allclose(thresholds[1:], sk_thresholds[1:])


@pytest.mark.parametrize("labels,scores", CASES)
def test_threshold_metrics_match_sklearn(labels, scores):
    for threshold in (0.3, 0.5, 0.75):
        predicted = (scores >= threshold).astype(int)
        assert accuracy_at(labels, scores, threshold) == pytest.approx(skm.accuracy_score(labels, predicted))
        assert balanced_accuracy_at(labels, scores, threshold) == pytest.approx(
            skm.balanced_accuracy_score(labels, predicted))


@pytest.mark.parametrize("labels,scores", CASES)
def test_youden_and_tpr_at_fpr_match_sklearn_curve(labels, scores):
    sk_fpr, sk_tpr, sk_thresholds = skm.roc_curve(labels, scores, drop_intermediate=False)
    j = (sk_tpr - sk_fpr)[1:]
    assert youden_threshold(labels, scores) == pytest.approx(sk_thresholds[1:][np.argmax(j)])
    for target in (0.0, 0.01, 0.1, 0.5):
        assert tpr_at_fpr(labels, scores, target) == pytest.approx(sk_tpr[sk_fpr <= target].max())


@pytest.mark.parametrize("labels,scores", CASES)
def test_eer_matches_brute_force(labels, scores):
    eer, threshold = equal_error_rate(labels, scores)
    assert eer == pytest.approx(brute_force_eer(labels, scores), abs=1e-12)
    rates = {t: (fpr, fnr) for t, fpr, fnr in brute_force_rates(labels, scores)}
    fpr, fnr = rates[threshold]  # the threshold is a real operating point ...
    # ... the one where FNR and FPR are closest (DeepfakeBench's argmin |FNR - FPR| rule)
    assert abs(fnr - fpr) == pytest.approx(min(abs(b - a) for a, b in rates.values()), abs=1e-12)


def test_edge_case_values_are_analytic():
    assert roc_auc([0, 0, 1, 1], [0.5] * 4) == 0.5
    assert equal_error_rate([0, 0, 1, 1], [0.5] * 4) == (0.5, 0.5)
    eer, threshold = equal_error_rate([0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9])
    assert (eer, threshold) == (0.0, 0.8)
    assert roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert equal_error_rate([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])[0] == 1.0


def test_eer_of_two_gaussians_is_analytic():
    rng = np.random.default_rng(0)
    n, separation = 20000, 2.0
    labels = np.r_[np.zeros(n), np.ones(n)]
    scores = np.r_[rng.normal(0, 1, n), rng.normal(separation, 1, n)]
    eer, threshold = equal_error_rate(labels, scores)
    assert eer == pytest.approx(norm.cdf(-separation / 2), abs=0.01)
    assert threshold == pytest.approx(separation / 2, abs=0.05)
    assert roc_auc(labels, scores) == pytest.approx(norm.cdf(separation / math.sqrt(2)), abs=0.01)


@pytest.mark.parametrize("labels,scores,message", [
    ([], [], "empty"),
    ([0, 1, 1], [0.2, 0.4], "differ in length"),
    ([0, 1, 1], [0.2, np.nan, 0.3], "NaN"),
    ([0, 2, 1], [0.2, 0.4, 0.3], "0 \\(real\\) or 1"),
    ([1, 1, 1], [0.2, 0.4, 0.3], "both classes.*fake"),
    ([0, 0], [0.2, 0.4], "both classes.*real"),
])
def test_degenerate_inputs_raise(labels, scores, message):
    for metric in (roc_auc, average_precision, balanced_accuracy_at, youden_threshold, tpr_at_fpr,
                   equal_error_rate, summarize):
        with pytest.raises(ValueError, match=message):
            metric(labels, scores)


def test_accuracy_works_with_one_class():
    assert accuracy_at([1, 1, 1], [0.2, 0.6, 0.9]) == pytest.approx(2 / 3)


def test_video_aggregation_by_hand():
    scores = np.array([0.1, 0.3, 0.8, 0.9, 0.2, 0.4, 0.6])
    ids = ["b", "b", "a", "a", "a", "c", "c"]
    labels = [0, 0, 1, 1, 1, 0, 0]
    expected = {"mean": [(0.8 + 0.9 + 0.2) / 3, 0.2, 0.5], "median": [0.8, 0.2, 0.5],
                "max": [0.9, 0.3, 0.6], "topk": [0.9, 0.3, 0.6]}  # top quarter: ceil(0.75) = ceil(0.5) = 1 frame
    for how, values in expected.items():
        video_ids, video_scores, video_labels = aggregate_video_scores(scores, ids, labels, how=how)
        assert list(video_ids) == ["b", "a", "c"]
        np.testing.assert_allclose(video_scores, [values[1], values[0], values[2]])
        assert video_labels.tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="mixes real and fake"):
        aggregate_video_scores(scores, ids, [0, 1, 1, 1, 1, 0, 0])
    with pytest.raises(ValueError, match="unknown video aggregation"):
        aggregate_video_scores(scores, ids, labels, how="mode")


def frames_of_videos(seed=0, videos=40, frames=6):
    rng = np.random.default_rng(seed)
    video_labels = np.arange(videos) % 2
    fake_methods = np.array(["Deepfakes", "FaceSwap"])[np.arange(videos) // 2 % 2]
    methods_of_video = np.where(video_labels == 1, fake_methods, "real")
    labels = np.repeat(video_labels, frames)
    ids = np.repeat([f"v{i:03d}" for i in range(videos)], frames)
    methods = np.repeat(methods_of_video, frames)
    scores = np.clip(0.5 + 0.2 * (labels - 0.5) + rng.normal(0, 0.2, labels.size), 0, 1)
    return labels, scores, ids, methods


def test_summarize_video_and_per_method_match_sklearn():
    labels, scores, ids, methods = frames_of_videos()
    summary = summarize(labels, scores, ids, methods)
    assert summary["frame"]["auc"] == pytest.approx(skm.roc_auc_score(labels, scores))
    video_scores = np.array([scores[ids == v].mean() for v in np.unique(ids)])
    video_labels = np.array([labels[ids == v][0] for v in np.unique(ids)])
    assert summary["video"]["auc"] == pytest.approx(skm.roc_auc_score(video_labels, video_scores))
    assert summary["video"]["n"] == 40
    assert sorted(summary["per_method"]) == ["Deepfakes", "FaceSwap"]
    for method in ("Deepfakes", "FaceSwap"):
        keep = (labels == 0) | (methods == method)
        got = summary["per_method"][method]
        assert got["frame"]["auc"] == pytest.approx(skm.roc_auc_score(labels[keep], scores[keep]))
        assert got["frame"]["n_real"] == (labels == 0).sum()
        assert got["frame"]["n_fake"] == (methods == method).sum()
        keep_videos = [v for v in np.unique(ids[keep])]
        v_scores = [scores[ids == v].mean() for v in keep_videos]
        v_labels = [labels[ids == v][0] for v in keep_videos]
        assert got["video"]["auc"] == pytest.approx(skm.roc_auc_score(v_labels, v_scores))


def test_accumulator_many_updates_equal_one_shot():
    labels, scores, ids, methods = frames_of_videos(seed=3)
    accumulator = ScoreAccumulator()
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(np.arange(1, labels.size), size=30, replace=False))
    for part in np.split(np.arange(labels.size), cuts):
        accumulator.update(scores[part], labels[part], ids[part], methods[part])
    assert len(accumulator) == labels.size
    stored_scores = accumulator.arrays()[0]
    assert stored_scores.dtype == np.float32
    one_shot = summarize(labels, scores.astype(np.float32), ids, methods)
    assert accumulator.compute() == one_shot
    assert accumulator.gather().compute() == one_shot  # no process group: same data


def test_accumulator_rejects_inconsistent_updates():
    accumulator = ScoreAccumulator()
    accumulator.update([0.1, 0.9], [0, 1], video_ids=["a", "b"])
    with pytest.raises(ValueError, match="video_ids must be given on every update"):
        accumulator.update([0.1], [0])
    with pytest.raises(ValueError, match="2 scores but 3 labels"):
        ScoreAccumulator().update([0.1, 0.2], [0, 1, 1])


def test_cross_matrix_layout():
    results = {("FF++", "FF++"): 0.99, ("FF++", "CelebDF"): 0.65, ("CelebDF", "CelebDF"): 0.97}
    rows, cols, values = cross_matrix(results)
    assert rows == ["FF++", "CelebDF"] and cols == ["FF++", "CelebDF"]
    np.testing.assert_array_equal(values, [[0.99, 0.65], [np.nan, 0.97]])
    rows, cols, values = cross_matrix(results, rows=["CelebDF", "FF++"], cols=["CelebDF", "FF++", "DFDC"])
    np.testing.assert_array_equal(values, [[0.97, np.nan, np.nan], [0.65, 0.99, np.nan]])
    with pytest.raises(ValueError, match="outside rows"):
        cross_matrix({("A", "B"): 0.5}, rows=["A"], cols=["C"])
