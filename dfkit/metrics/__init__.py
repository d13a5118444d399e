"""Deepfake-detection metrics: frame/video AUC, AP, EER, thresholds, per-method and cross-set.

Degenerate inputs raise ValueError (see :mod:`dfkit.metrics.scores`); no metric returns NaN.
"""
from dfkit.metrics.accumulate import ScoreAccumulator
from dfkit.metrics.cross import cross_matrix
from dfkit.metrics.scores import (
    accuracy_at,
    aggregate_video_scores,
    average_precision,
    balanced_accuracy_at,
    binary_metrics,
    equal_error_rate,
    precision_recall_points,
    roc_auc,
    roc_points,
    summarize,
    tpr_at_fpr,
    youden_threshold,
)

__all__ = [
    "ScoreAccumulator", "accuracy_at", "aggregate_video_scores", "average_precision",
    "balanced_accuracy_at", "binary_metrics", "cross_matrix", "equal_error_rate",
    "precision_recall_points", "roc_auc", "roc_points", "summarize", "tpr_at_fpr",
    "youden_threshold",
]
