"""Evaluation plots (ROC, precision-recall, score histogram, cross-set heatmap, AUC under perturbations)
and the JSON report.

Figures are built with matplotlib's object API (no pyplot, no global backend: works headless).
Every file is written atomically (dfkit.atomic); the image format follows the file suffix
(.png by default). Labels: 1 = fake, 0 = real; scores: probability of fake.
"""
import dataclasses
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from dfkit.atomic import atomic_path, write_json
from dfkit.metrics import average_precision, precision_recall_points, roc_auc, roc_points


def save_figure(figure, path):
    """Write a matplotlib ``figure`` to ``path`` atomically (format from the suffix); returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=120, bbox_inches="tight")
    return path


def plot_roc(labels, scores, path, title="ROC curve"):
    """ROC curve with its AUC in the legend; returns the path."""
    fpr, tpr, _ = roc_points(labels, scores)
    figure = Figure(figsize=(4.5, 4.5))
    axes = figure.subplots()
    axes.plot(fpr, tpr, label=f"AUC = {roc_auc(labels, scores):.4f}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    axes.set(xlabel="false positive rate (reals called fake)", ylabel="true positive rate (fakes caught)",
             title=title, xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="lower right")
    return save_figure(figure, path)


def plot_pr(labels, scores, path, title="Precision-recall curve"):
    """Precision-recall curve (fake = positive) with its AP; returns the path."""
    precision, recall, _ = precision_recall_points(labels, scores)
    figure = Figure(figsize=(4.5, 4.5))
    axes = figure.subplots()
    axes.step(np.r_[0.0, recall], np.r_[precision[0], precision], where="post",
              label=f"AP = {average_precision(labels, scores):.4f}")
    axes.set(xlabel="recall", ylabel="precision", title=title, xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="lower left")
    return save_figure(figure, path)


def plot_score_histogram(labels, scores, path, bins=40, threshold=None, title="Score distribution"):
    """Overlaid histograms of real and fake scores (optionally a threshold line); returns the path."""
    labels, scores = np.asarray(labels).reshape(-1), np.asarray(scores, dtype=float).reshape(-1)
    figure = Figure(figsize=(5, 3.5))
    axes = figure.subplots()
    edges = np.linspace(min(0.0, scores.min()), max(1.0, scores.max()), bins + 1)
    axes.hist(scores[labels == 0], bins=edges, alpha=0.6, label=f"real (n={int((labels == 0).sum())})")
    axes.hist(scores[labels == 1], bins=edges, alpha=0.6, label=f"fake (n={int((labels == 1).sum())})")
    if threshold is not None:
        axes.axvline(threshold, color="black", linestyle="--", linewidth=0.8, label=f"threshold {threshold:.3g}")
    axes.set(xlabel="score (probability of fake)", ylabel="count", title=title)
    axes.legend()
    return save_figure(figure, path)


def plot_cross_matrix(rows, cols, values, path, title="AUC: train set (rows) vs test set (columns)"):
    """Heatmap of a :func:`dfkit.metrics.cross_matrix` result; NaN cells are shown blank."""
    values = np.asarray(values, dtype=float)
    figure = Figure(figsize=(1.2 * len(cols) + 2, 0.9 * len(rows) + 1.5))
    axes = figure.subplots()
    image = axes.imshow(np.ma.masked_invalid(values), vmin=0.5, vmax=1.0, cmap="viridis")
    for (i, j), value in np.ndenumerate(values):
        if not math.isnan(value):
            axes.text(j, i, f"{value:.3f}", ha="center", va="center", color="white" if value < 0.8 else "black")
    axes.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    axes.set_yticks(range(len(rows)), rows)
    axes.set(xlabel="test set", ylabel="train set", title=title)
    figure.colorbar(image, ax=axes, label="AUC")
    return save_figure(figure, path)


def plot_robustness(curves, clean_auc, path, title="Video AUC under perturbations"):
    """AUC vs severity, one panel per perturbation: ``curves`` {name: [(level, auc), ...] mildest first};
    each panel starts at the unperturbed ``clean_auc``; a dashed line marks chance (0.5)."""
    figure = Figure(figsize=(3.2 * len(curves), 3.2))
    panels = figure.subplots(1, len(curves), sharey=True, squeeze=False)[0]
    for axes, (name, points) in zip(panels, curves.items()):
        labels = ["clean"] + [f"{level:g}" for level, _ in points]
        axes.plot(range(len(labels)), [clean_auc] + [auc for _, auc in points], marker="o")
        axes.axhline(0.5, color="grey", linestyle="--", linewidth=0.8)
        axes.set_xticks(range(len(labels)), labels)
        axes.set(title=name, xlabel="level (more severe to the right)", ylim=(0, 1.02))
    panels[0].set_ylabel("video AUC")
    figure.suptitle(title, y=1.04)  # above the panel titles
    return save_figure(figure, path)


def _plain(value):
    """Convert numpy scalars/arrays, dataclasses and paths into JSON types."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def write_report(path, summary, config=None, **extra):
    """Atomically write ``{"metrics": summary, "config": config, **extra}`` as JSON; returns the path.

    ``config`` may be a TrainConfig (any dataclass) or a dict.
    """
    report = {"metrics": _plain(summary), "config": _plain(config or {})}
    report.update(_plain(extra))
    write_json(path, report)
    return Path(path)
