"""Detection metrics on scores (probability of fake) and labels (1 = fake, 0 = real).

Conventions shared by every function here:

* ``labels``: 1-D, values 0/1 (bool, int or float). ``scores``: 1-D finite floats, same length.
* A sample is predicted fake when ``score >= threshold`` (the same rule as scikit-learn's ``roc_curve``).
* Degenerate input **raises ValueError** with the reason: empty arrays, mismatched lengths,
  NaN/inf scores, labels other than 0/1, and -- for every metric that compares the two classes
  (AUC, AP, EER, thresholds, TPR at FPR, balanced accuracy) -- only one class present.
  No metric ever returns NaN.

Pooling frame scores into a video score and choosing a threshold are phase-1 exercises
(``aggregate_video_score`` and ``choose_threshold``); this module reaches them through the
implementation switch, so those operations have one owner and ``DFD_IMPL=templates`` uses yours.
"""
import numpy as np
from scipy.stats import rankdata

from dfkit.curriculum import load

FPR_TARGETS = (0.01, 0.05, 0.1)
VIDEO_AGGREGATIONS = ("mean", "median", "max", "topk")
TOPK_FRACTION = 0.25  # "topk" pools the highest quarter of a video's frame scores (at least one)
SCORING_EXERCISE = "phase1_cnn_detection.template_classifier"


def _check(labels, scores, both_classes=True):
    """Validate and return ``(labels int64, scores float64)`` as 1-D arrays."""
    labels = np.asarray(labels).reshape(-1)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if labels.size == 0:
        raise ValueError("metrics need at least one sample, got empty labels")
    if labels.size != scores.size:
        raise ValueError(f"labels and scores differ in length: {labels.size} labels vs {scores.size} scores")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"scores contain {int(np.sum(~np.isfinite(scores)))} NaN/inf values")
    if not np.all((labels == 0) | (labels == 1)):
        raise ValueError(f"labels must be 0 (real) or 1 (fake), got values {np.unique(labels)[:5].tolist()}")
    labels = labels.astype(np.int64)
    n_fake = int(labels.sum())
    if both_classes and n_fake in (0, labels.size):
        only = "fake" if n_fake else "real"
        raise ValueError(f"this metric needs both classes, but all {labels.size} samples are {only}")
    return labels, scores


def roc_points(labels, scores):
    """ROC vertices, one per distinct score, highest threshold first.

    Returns ``(fpr, tpr, thresholds)``, each of length ``n_distinct + 1``; the first point is
    ``(0, 0)`` at threshold ``+inf`` and the last is ``(1, 1)`` at the lowest score.
    """
    labels, scores = _check(labels, scores)
    tps, fps, thresholds = _cumulative_counts(labels, scores)
    fpr = np.concatenate([[0.0], fps / fps[-1]])
    tpr = np.concatenate([[0.0], tps / tps[-1]])
    return fpr, tpr, np.concatenate([[np.inf], thresholds])


def precision_recall_points(labels, scores):
    """Precision and recall at each distinct score threshold, highest threshold first.

    Returns ``(precision, recall, thresholds)`` of length ``n_distinct``.
    """
    labels, scores = _check(labels, scores)
    tps, fps, thresholds = _cumulative_counts(labels, scores)
    return tps / (tps + fps), tps / tps[-1], thresholds


def _cumulative_counts(labels, scores):
    """True/false positive counts when thresholding at each distinct score (descending)."""
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    last_of_each_value = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tps = np.cumsum(labels)[last_of_each_value].astype(np.float64)
    fps = last_of_each_value + 1 - tps
    return tps, fps, scores[last_of_each_value]


def roc_auc(labels, scores):
    """Area under the ROC curve: P(score_fake > score_real) + 0.5 P(tie) (Mann-Whitney U)."""
    labels, scores = _check(labels, scores)
    ranks = rankdata(scores)  # ties get their average rank
    n_fake = labels.sum()
    n_real = labels.size - n_fake
    u_statistic = ranks[labels == 1].sum() - n_fake * (n_fake + 1) / 2
    return float(u_statistic / (n_fake * n_real))


def average_precision(labels, scores):
    """Average precision: sum over thresholds of (recall step) x precision (no interpolation)."""
    precision, recall, _ = precision_recall_points(labels, scores)
    recall_steps = np.diff(np.r_[0.0, recall])
    return float(np.sum(recall_steps * precision))


def accuracy_at(labels, scores, threshold=0.5):
    """Fraction of samples classified correctly with ``score >= threshold`` meaning fake."""
    labels, scores = _check(labels, scores, both_classes=False)
    return float(np.mean((scores >= threshold) == labels))


def balanced_accuracy_at(labels, scores, threshold=0.5):
    """Mean of the real-class and fake-class recalls at ``threshold`` (needs both classes)."""
    labels, scores = _check(labels, scores)
    predicted = scores >= threshold
    tpr = np.mean(predicted[labels == 1])
    tnr = np.mean(~predicted[labels == 0])
    return float((tpr + tnr) / 2)


def equal_error_rate(labels, scores):
    """Equal error rate and an operating threshold for it.

    The ROC curve is linear between its vertices; the EER is where that curve crosses
    ``FNR = FPR`` (linear interpolation between the two vertices that bracket the crossing).
    The returned threshold is the score where |FPR - FNR| is smallest (the highest on ties), from the
    exercise ``choose_threshold(..., criterion="eer")``.

    Returns ``(eer, threshold)``, eer in [0, 1].
    """
    fpr, tpr, thresholds = roc_points(labels, scores)
    gap = (1.0 - tpr) - fpr  # FNR - FPR: +1 at the first vertex, -1 at the last, non-increasing
    i = int(np.argmax(gap <= 0))
    if gap[i] == 0:
        return float(fpr[i]), _choose_threshold(labels, scores, "eer")
    step = gap[i - 1] / (gap[i - 1] - gap[i])  # in (0, 1]: where the segment crosses zero
    eer = fpr[i - 1] + step * (fpr[i] - fpr[i - 1])
    return float(eer), _choose_threshold(labels, scores, "eer")


def youden_threshold(labels, scores):
    """Threshold maximising Youden's J = TPR - FPR (the highest such threshold on ties)."""
    labels, scores = _check(labels, scores)
    return _choose_threshold(labels, scores, "youden")


def _choose_threshold(labels, scores, criterion):
    """The exercise ``choose_threshold`` (through the switch) on checked arrays."""
    return float(load(SCORING_EXERCISE).choose_threshold(scores, labels, criterion=criterion))


def tpr_at_fpr(labels, scores, fpr=0.01):
    """Highest TPR reachable with a threshold whose FPR does not exceed ``fpr`` (0 <= fpr <= 1)."""
    if not 0.0 <= fpr <= 1.0:
        raise ValueError(f"fpr must lie in [0, 1], got {fpr}")
    curve_fpr, curve_tpr, _ = roc_points(labels, scores)
    return float(curve_tpr[curve_fpr <= fpr].max())


def aggregate_video_scores(scores, video_ids, labels, how="mean"):
    """Pool frame scores into one score per video.

    scores, labels: (N,) per frame; video_ids: (N,) hashable ids. ``how``: "mean", "median",
    "max" or "topk" (mean of the highest ``ceil(TOPK_FRACTION * n)`` of a video's ``n`` frame
    scores), pooled by the exercise ``aggregate_video_score``. Every frame of a video must carry the same label (else ValueError).

    Returns ``(video_ids, video_scores (V,) float64, video_labels (V,) int64)`` in order of first
    appearance.
    """
    if how not in VIDEO_AGGREGATIONS:
        raise ValueError(f"unknown video aggregation {how!r}; expected one of {VIDEO_AGGREGATIONS}")
    labels, scores = _check(labels, scores, both_classes=False)
    video_ids = np.asarray(video_ids, dtype=object).reshape(-1)
    if video_ids.size != scores.size:
        raise ValueError(f"video_ids and scores differ in length: {video_ids.size} vs {scores.size}")
    unique_ids, first_index, inverse = np.unique(video_ids.astype(str), return_index=True, return_inverse=True)
    order = np.argsort(first_index)
    pool = load(SCORING_EXERCISE).aggregate_video_score
    pooled, pooled_labels = [], []
    for video in order:
        in_video = inverse == video
        video_labels = np.unique(labels[in_video])
        if video_labels.size > 1:
            raise ValueError(f"video {video_ids[first_index[video]]!r} mixes real and fake frame labels")
        pooled.append(pool(scores[in_video], how))
        pooled_labels.append(video_labels[0])
    ids = [video_ids[first_index[video]] for video in order]
    return ids, np.asarray(pooled, dtype=np.float64), np.asarray(pooled_labels, dtype=np.int64)


def binary_metrics(labels, scores, threshold=0.5):
    """Every scalar metric of this module as a dict (raises ValueError if a class is missing)."""
    labels, scores = _check(labels, scores)
    eer, eer_threshold = equal_error_rate(labels, scores)
    result = {
        "n": int(labels.size),
        "n_real": int((labels == 0).sum()),
        "n_fake": int(labels.sum()),
        "auc": roc_auc(labels, scores),
        "ap": average_precision(labels, scores),
        "threshold": float(threshold),
        "accuracy": accuracy_at(labels, scores, threshold),
        "balanced_accuracy": balanced_accuracy_at(labels, scores, threshold),
        "eer": eer,
        "eer_threshold": eer_threshold,
        "youden_threshold": youden_threshold(labels, scores),
    }
    for target in FPR_TARGETS:
        result[f"tpr_at_fpr_{target:g}"] = tpr_at_fpr(labels, scores, target)
    return result


def summarize(labels, scores, video_ids=None, methods=None, threshold=0.5, how="mean"):
    """Frame-level, video-level and per-manipulation metrics.

    labels, scores: (N,) per frame. video_ids: optional (N,) ids; video scores pool frames with
    ``how`` (see :func:`aggregate_video_scores`). methods: optional (N,) manipulation name per
    frame; for each method seen on a fake frame, "per_method" holds the metrics of that
    method's fakes against *all* reals (DeepfakeBench's protocol); the method of real frames is
    ignored.

    Returns ``{"frame": {...}, "video": {...} (if video_ids), "per_method": {name: {"frame",
    "video"}} (if methods)}``, each inner dict from :func:`binary_metrics`. Raises ValueError on
    degenerate input (see the module docstring).
    """
    labels, scores = _check(labels, scores)
    summary = {"frame": binary_metrics(labels, scores, threshold)}
    if video_ids is not None:
        _, video_scores, video_labels = aggregate_video_scores(scores, video_ids, labels, how)
        summary["video"] = binary_metrics(video_labels, video_scores, threshold)
    if methods is not None:
        methods = np.asarray(methods, dtype=object).reshape(-1)
        if methods.size != labels.size:
            raise ValueError(f"methods and scores differ in length: {methods.size} vs {labels.size}")
        ids = None if video_ids is None else np.asarray(video_ids, dtype=object).reshape(-1)
        summary["per_method"] = {}
        for method in sorted({str(m) for m in methods[labels == 1]}):
            keep = (labels == 0) | (methods.astype(str) == method)
            sub = summarize(labels[keep], scores[keep], None if ids is None else ids[keep],
                            threshold=threshold, how=how)
            summary["per_method"][method] = sub
    return summary
