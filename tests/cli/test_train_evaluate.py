"""phase1_cnn_detection/train.py and evaluate.py, run as a user would (subprocesses from the repo root)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[2]
TINY_MESO4 = ["--model", "meso4", "--batch-size", "8", "--quiet"]


def run_cli(script, *args):
    return subprocess.run([sys.executable, script, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def epochs_logged(output):
    lines = (output / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["epoch"] for line in lines]


def test_train_in_memory_synthetic_then_resume(tmp_path):
    out = tmp_path / "run"
    common = ["--dataset", "synthetic", "--num-videos", "8", "--frames-per-video", "2", "--clip-size", "64",
              "--output", out, *TINY_MESO4]
    first = run_cli("phase1_cnn_detection/train.py", *common, "--epochs", "1")
    assert first.returncode == 0, first.stderr
    assert (out / "best.pt").is_file() and (out / "last.pt").is_file()
    assert epochs_logged(out) == [1], "expected one metrics.jsonl line after 1 epoch"
    checkpoint = torch.load(out / "last.pt", map_location="cpu", weights_only=True)
    assert checkpoint["arch"] == "meso4" and checkpoint["epoch"] == 1
    assert checkpoint["detector"]["name"] == "meso4" and checkpoint["detector"]["input"]["size"] == 256, \
        "the checkpoint should record the detector and its 256 px input"

    resumed = run_cli("phase1_cnn_detection/train.py", *common, "--epochs", "2", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert epochs_logged(out) == [1, 2], "resume should continue at epoch 2, keeping epoch 1's line"
    assert torch.load(out / "last.pt", map_location="cpu", weights_only=True)["epoch"] == 2


@pytest.fixture(scope="module")
def written_dataset(tmp_path_factory):
    """A tiny FaceForensics++-layout synthetic dataset (6 real videos, 6 BlendSwap fakes)."""
    from dfkit.synthetic import write_dataset

    root = tmp_path_factory.mktemp("synthetic_ffpp")
    write_dataset(root, 6, num_frames=4, size=64, seed=0, manipulations=("blend",), progress=False)
    return root


def check_evaluation_report(report_dir):
    """metrics.json agrees with scikit-learn on the saved per-crop predictions; the plots exist."""
    metrics = json.loads((report_dir / "metrics.json").read_text())["metrics"]
    saved = json.loads((report_dir / "predictions.json").read_text())
    labels, scores = np.array(saved["labels"]), np.array(saved["scores"])
    assert metrics["frame"]["auc"] == pytest.approx(roc_auc_score(labels, scores), abs=1e-9)
    videos = sorted(set(saved["video_ids"]))
    ids = np.array(saved["video_ids"])
    video_scores = [scores[ids == v].mean() for v in videos]
    video_labels = [labels[ids == v][0] for v in videos]
    assert metrics["video"]["auc"] == pytest.approx(roc_auc_score(video_labels, video_scores), abs=1e-9)
    assert metrics["video"]["n"] == len(videos)
    assert set(metrics["per_method"]) == {"BlendSwap"}
    for plot in ("roc.png", "pr.png", "score_histogram.png"):
        assert (report_dir / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{plot} is not a PNG"


def test_train_and_evaluate_on_written_dataset_with_seeded_split(written_dataset, tmp_path):
    """No splits/ folder: train.py holds out a seeded share of videos, evaluate.py scores them all."""
    data = tmp_path / "data"
    shutil.copytree(written_dataset, data)
    shutil.rmtree(data / "splits")
    out, faces = tmp_path / "run", tmp_path / "faces"
    trained = run_cli("phase1_cnn_detection/train.py", "--dataset", "synthetic", "--data-root", data,
                      "--frames-per-video", "2", "--epochs", "1", "--output", out, "--faces-dir", faces,
                      "--val-fraction", "0.35", *TINY_MESO4)
    assert trained.returncode == 0, trained.stderr
    assert epochs_logged(out) == [1]
    crops = list((faces / "crops").rglob("*.png"))
    assert len(crops) == 12 * 2, f"expected 2 crops for each of 12 videos, got {len(crops)}"

    report = tmp_path / "report"
    evaluated = run_cli("phase1_cnn_detection/evaluate.py", "--checkpoint", out / "best.pt", "--test-data", data,
                        "--output", report, "--faces-dir", faces, "--quiet")
    assert evaluated.returncode == 0, evaluated.stderr
    check_evaluation_report(report)


def test_train_and_evaluate_on_official_split(written_dataset, tmp_path):
    """splits/{train,val,test}.json decide the videos (FaceForensics++ protocol)."""
    out, faces, report = tmp_path / "run", tmp_path / "faces", tmp_path / "report"
    trained = run_cli("phase1_cnn_detection/train.py", "--dataset", "synthetic", "--data-root", written_dataset,
                      "--frames-per-video", "2", "--epochs", "1", "--output", out, "--faces-dir", faces,
                      *TINY_MESO4)
    assert trained.returncode == 0, trained.stderr
    evaluated = run_cli("phase1_cnn_detection/evaluate.py", "--checkpoint", out / "best.pt",
                        "--test-data", written_dataset, "--output", report, "--faces-dir", faces, "--quiet")
    assert evaluated.returncode == 0, evaluated.stderr
    check_evaluation_report(report)


def test_bad_input_gives_one_error_line(tmp_path):
    not_a_checkpoint = tmp_path / "model.pt"
    not_a_checkpoint.write_text("not a checkpoint")
    result = run_cli("phase1_cnn_detection/evaluate.py", "--checkpoint", not_a_checkpoint,
                     "--test-data", tmp_path, "--output", tmp_path / "report")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert not (tmp_path / "report").exists()


def test_impossible_validation_share_is_refused_before_any_work(tmp_path):
    result = run_cli("phase1_cnn_detection/train.py", "--val-fraction", "1.5", "--output", tmp_path / "run")
    assert result.returncode == 2
    assert result.stderr.startswith("error: argument --val-fraction: expected a fraction between 0 and 1"), \
        result.stderr
    assert not (tmp_path / "run").exists()


def test_training_without_a_terminal_logs_one_line_per_epoch(tmp_path):
    """stderr is a pipe here, as in a log file or CI: no progress bars, but a line per epoch."""
    result = run_cli("phase1_cnn_detection/train.py", "--dataset", "synthetic", "--num-videos", "8",
                     "--frames-per-video", "2", "--clip-size", "64", "--model", "meso4", "--batch-size", "8",
                     "--epochs", "2", "--output", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"], result.stderr
    assert all("train loss" in line and "validation auc" in line and line.endswith(" s)") for line in lines), lines
    assert "\r" not in result.stderr, "no progress-bar redraws in a log"
