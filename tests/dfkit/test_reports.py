"""Plots are valid images of sensible size; the JSON report round-trips."""
import json

import numpy as np
from PIL import Image

from dfkit.metrics import cross_matrix, summarize
from dfkit.reports import plot_cross_matrix, plot_pr, plot_roc, plot_score_histogram, write_report
from dfkit.training import TrainConfig


def scored_frames(n=120, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    scores = np.clip(0.5 + 0.3 * (labels - 0.5) + rng.normal(0, 0.2, n), 0, 1)
    return labels, scores


def assert_png(path):
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert min(image.size) > 100, f"expected a real plot, got an image of {image.size}"


def test_plots_are_valid_pngs(tmp_path):
    labels, scores = scored_frames()
    rows, cols, values = cross_matrix({("FF++", "FF++"): 0.98, ("FF++", "CelebDF"): 0.66, ("CelebDF", "FF++"): 0.7})
    paths = [
        plot_roc(labels, scores, tmp_path / "roc.png"),
        plot_pr(labels, scores, tmp_path / "pr.png"),
        plot_score_histogram(labels, scores, tmp_path / "hist.png", threshold=0.5),
        plot_cross_matrix(rows, cols, values, tmp_path / "cross.png"),
    ]
    for path in paths:
        assert_png(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cross.png", "hist.png", "pr.png", "roc.png"]


def test_report_round_trips(tmp_path):
    labels, scores = scored_frames()
    video_ids = [f"v{i // 4}" for i in range(len(labels))]
    labels = np.array([int(v[1:]) % 2 for v in video_ids])
    summary = summarize(labels, scores, video_ids)
    config = TrainConfig(epochs=3, arch="meso4")
    path = write_report(tmp_path / "report.json", summary, config, checkpoint=tmp_path / "best.pt")
    loaded = json.loads(path.read_text())
    assert loaded["metrics"] == summary
    assert loaded["config"] == config.to_dict()
    assert TrainConfig.from_dict(loaded["config"]) == config
    assert loaded["checkpoint"] == str(tmp_path / "best.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left behind
