"""Phase 3's detectors through the course's CLIs: train.py (one epoch on a tiny synthetic FF++ set of
up-sampling fakes), evaluate.py and detect_video.py with the checkpoint. Not graded."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dfkit import registry
from dfkit.cli import run
from dfkit.drivers import detect, evaluate, train
from dfkit.synthetic import make_clip, write_dataset
from dfkit.video import write_video

ROOT = Path(__file__).resolve().parents[2]
PHASE = "phase3_frequency_analysis"
FRAMES = 4
MODELS = ["spectrum_logreg", "spectrum_svm", "dct_cnn", "fad_cnn"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """6 real synthetic videos and their 2x up-sampled twins (64 px, H.264 CRF 23), and an astronaut
    photo video for detect_video (MTCNN finds a real face there)."""
    root = tmp_path_factory.mktemp("phase3_cli")
    write_dataset(root / "ffpp", 6, num_frames=FRAMES, size=64, seed=0, manipulations=("upsample",), progress=False)
    clip = make_clip(photo="astronaut", size=(256, 256), num_frames=8, seed=0, fake=True, manipulations=("upsample",))
    write_video(root / "astronaut.mp4", clip.frames, fps=25)
    return root


def test_train_py_offers_the_phase_3_detectors():
    proc = subprocess.run([sys.executable, f"{PHASE}/train.py", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in registry.names(PHASE):
        assert name in proc.stdout, f"--model should offer {name}: {proc.stdout}"


@pytest.mark.parametrize("model", MODELS, ids=MODELS)
def test_a_frequency_detector_trains_evaluates_and_scores_a_video(data, tmp_path, model):
    out = tmp_path / "run"
    assert run(train.main, ["--model", model, "--dataset", "synthetic", "--data-root", str(data / "ffpp"),
                            "--frames-per-video", str(FRAMES), "--epochs", "1", "--batch-size", "4",
                            "--augment", "none", "--image-size", "64", "--output", str(out), "--quiet"],
               phase=PHASE) == 0
    record = torch.load(out / "best.pt", weights_only=True)["detector"]
    assert record["name"] == model and record["input"]["size"] == 64 and record["input"]["mean"] == [0, 0, 0]

    assert run(evaluate.main, ["--checkpoint", str(out / "best.pt"), "--test-data", str(data / "ffpp"),
                               "--output", str(tmp_path / "eval"), "--quiet"]) == 0
    report = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    predictions = json.loads((tmp_path / "eval" / "predictions.json").read_text())
    assert np.all(np.isfinite(predictions["scores"])) and report["items"] == len(predictions["scores"]) > 0

    assert run(detect.main, ["--input", str(data / "astronaut.mp4"), "--model", str(out / "best.pt"),
                             "--output", str(tmp_path / "report.json"), "--frames", "4", "--device", "cpu",
                             "--precision", "fp32"]) == 0
    detected = json.loads((tmp_path / "report.json").read_text())
    assert detected["model"]["input_kind"] == "face_crops" and len(detected["frames"]) == 4
    assert 0 <= detected["video_score"] <= 1
