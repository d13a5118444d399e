"""Phase 5's capsule and attention detectors through the course's CLIs: train.py (one epoch on a tiny
synthetic FF++ set), evaluate.py and detect_video.py with the checkpoint. Not graded."""
import json

import numpy as np
import pytest
import torch

from dfkit import registry
from dfkit.cli import run
from dfkit.drivers import detect, evaluate, train
from dfkit.synthetic import make_clip, write_dataset
from dfkit.video import write_video

PHASE = "phase5_advanced_methods"
MODELS = ["capsule_forensics", "attention_cnn"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """6 real synthetic videos and their blend fakes (64 px, 2 frames each) and an astronaut photo video."""
    root = tmp_path_factory.mktemp("phase5_cli")
    write_dataset(root / "ffpp", 6, num_frames=2, size=64, seed=0, manipulations=("blend",), progress=False)
    clip = make_clip(photo="astronaut", size=(256, 256), num_frames=4, seed=0, fake=True)
    write_video(root / "astronaut.mp4", clip.frames, fps=25)
    return root


@pytest.mark.slow
@pytest.mark.parametrize("model", MODELS, ids=MODELS)
def test_a_phase_5_detector_trains_evaluates_and_scores_a_video(data, tmp_path, model):
    torch.set_num_threads(1)
    out = tmp_path / "run"
    assert run(train.main, ["--model", model, "--dataset", "synthetic", "--data-root", str(data / "ffpp"),
                            "--frames-per-video", "2", "--epochs", "1", "--batch-size", "4",
                            "--image-size", "32", "--output", str(out), "--quiet"], phase=PHASE) == 0
    assert model in registry.names(PHASE)
    record = torch.load(out / "best.pt", weights_only=True)["detector"]
    assert record["name"] == model and record["input"]["size"] == 32

    assert run(evaluate.main, ["--checkpoint", str(out / "best.pt"), "--test-data", str(data / "ffpp"),
                               "--output", str(tmp_path / "eval"), "--quiet"]) == 0
    predictions = json.loads((tmp_path / "eval" / "predictions.json").read_text())
    assert np.all(np.isfinite(predictions["scores"])) and len(predictions["scores"]) > 0

    assert run(detect.main, ["--input", str(data / "astronaut.mp4"), "--model", str(out / "best.pt"),
                             "--output", str(tmp_path / "report.json"), "--frames", "2", "--device", "cpu",
                             "--precision", "fp32"]) == 0
    detected = json.loads((tmp_path / "report.json").read_text())
    assert detected["model"]["arch"] == model and len(detected["frames"]) == 2 and 0 <= detected["video_score"] <= 1
