"""Phase 4's physiological detectors through the course's CLIs: train.py (fitted in one pass on in-memory
synthetic clips), evaluate.py on a written no_pulse dataset, detect_video.py reporting blink rate, heart
rate, SNR and pose inconsistency, and its one-line refusals (too short for a heart rate, no face). Not graded."""
import json

import numpy as np
import pytest
import torch

from dfkit.cli import run
from dfkit.drivers import detect, evaluate, train
from dfkit.synthetic import make_clip, write_dataset
from dfkit.video import write_video

PHASE = "phase4_biological_signals"
FRAMES = 130  # 5.2 s at 25 fps: just long enough for a heart rate


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("phase4_cli")
    write_dataset(root / "ffpp", 2, num_frames=FRAMES, size=64, seed=0, manipulations=("no_pulse",), progress=False)
    write_video(root / "short.mp4", make_clip(seed=1, num_frames=40, size=64).frames, fps=25)
    write_video(root / "empty.mp4", np.full((FRAMES, 64, 64, 3), 90, np.uint8), fps=25)
    return root


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("phase4_fit") / "logreg"
    assert run(train.main, ["--model", "physio_logreg", "--num-videos", "6", "--clip-size", "64",
                            "--frames-per-video", str(FRAMES), "--output", str(out), "--quiet"], phase=PHASE) == 0
    return out / "best.pt"


def test_physio_gbm_is_fitted_in_one_pass_into_an_ordinary_checkpoint(tmp_path):
    model, out = "physio_gbm", tmp_path / "gbm"
    assert run(train.main, ["--model", model, "--num-videos", "4", "--clip-size", "64",
                            "--frames-per-video", str(FRAMES), "--output", str(out), "--quiet"], phase=PHASE) == 0
    saved = torch.load(out / "best.pt", weights_only=True)
    assert saved["detector"]["name"] == model and (out / "last.pt").is_file() and (out / "config.json").is_file()
    assert all(isinstance(v, torch.Tensor) for v in saved["model"].values()), "weights are plain tensors (no pickles)"


def test_evaluate_scores_one_feature_vector_per_video(data, checkpoint, tmp_path):
    assert run(evaluate.main, ["--checkpoint", str(checkpoint), "--dataset", "synthetic", "--test-data",
                               str(data / "ffpp"), "--output", str(tmp_path / "eval"), "--quiet"]) == 0
    predictions = json.loads((tmp_path / "eval" / "predictions.json").read_text())
    assert len(predictions["video_ids"]) == len(set(predictions["video_ids"])) > 0, "one item per video"
    assert np.all(np.isfinite(predictions["scores"]))


def test_detect_video_reports_blinks_pulse_and_pose_beside_the_score(data, checkpoint, tmp_path, capsys):
    video = data / "ffpp" / "original_sequences" / "youtube" / "c23" / "videos" / "000.mp4"
    assert run(detect.main, ["--input", str(video), "--model", str(checkpoint), "--output",
                             str(tmp_path / "report.json"), "--device", "cpu"]) == 0
    signals = json.loads((tmp_path / "report.json").read_text())["signals"]
    assert signals["frames_analysed"] == FRAMES and 30 < signals["heart_rate_bpm"] < 250
    assert {"blink_rate_per_min", "pulse_snr_db", "pose_inconsistency_deg"} <= set(signals)
    assert "heart rate" in capsys.readouterr().out


@pytest.mark.parametrize("video, message", [("short.mp4", "at least 5 s"), ("empty.mp4", "face")],
                         ids=["too-short-for-a-heart-rate", "no-face"])
def test_detect_video_refuses_with_one_line(data, checkpoint, tmp_path, capsys, video, message):
    report = tmp_path / "report.json"
    with pytest.raises(SystemExit) as exit_status:
        run(detect.main, ["--input", str(data / video), "--model", str(checkpoint), "--output", str(report),
                          "--device", "cpu"])
    assert exit_status.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0], err
    assert not report.exists()
