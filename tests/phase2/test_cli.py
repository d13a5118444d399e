"""Phase 2's detectors through the shared CLIs (not graded): train an LSTM on a synthetic FF++-layout set,
evaluate it, score a video with detect_video.py; C3D-small through train and evaluate; the registry
entries; the InceptionResnetV1 encoder loaded from a local file (never downloaded)."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from dfkit import registry
from dfkit.cli import run
from dfkit.curriculum.switch import ROOT
from dfkit.drivers import detect, evaluate
from dfkit.synthetic import make_clip, write_dataset
from dfkit.video import write_video

FRAMES, CLIP_LEN = 8, 4


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """12 synthetic FF++-layout videos (6 real, 6 relit; no split files) and a real-photo face video for detect_video."""
    root = tmp_path_factory.mktemp("phase2_cli")
    write_dataset(root / "ffpp", 6, num_frames=FRAMES, size=64, seed=0, manipulations=("relight",), progress=False)
    shutil.rmtree(root / "ffpp" / "splits")  # evaluate.py then scores every video
    clip = make_clip(photo="astronaut", size=(256, 256), num_frames=FRAMES, seed=0)
    write_video(root / "astronaut.mp4", clip.frames, fps=25)
    return root


CLIP_LENGTHS = {"lstm": 8, "gru": 8, "r3d18": 16, "r2plus1d18": 16, "c3d_small": 8, "tall": 4, "vivit_small": 8}


def test_phase2_registers_its_clip_detectors_and_each_scores_its_own_clips():
    assert set(registry.names("phase2_temporal_analysis")) == set(CLIP_LENGTHS)
    for name, clip_len in CLIP_LENGTHS.items():
        assert registry.get(name).input_kind == "face_clips"
        assert registry.input_spec(name).clip_len == clip_len
        if name in ("r3d18", "r2plus1d18"):
            continue  # 33 M parameters: tests/phase2/test_3dcnn.py runs them at 32 px
        with torch.no_grad():
            assert registry.build_detector(name).eval()(torch.rand(1, clip_len, 3, 64, 64)).shape == (1,), name
    model = registry.build_detector("gru", hidden_size=5)
    assert isinstance(model.rnn, torch.nn.GRU) and model.rnn.hidden_size == 5


@pytest.mark.slow
def test_lstm_trains_evaluates_and_scores_a_video_through_the_phase_clis(data, tmp_path):
    out = tmp_path / "lstm"
    proc = subprocess.run(
        [sys.executable, "phase2_temporal_analysis/train.py", "--model", "lstm", "--clip-len", str(CLIP_LEN),
         "--model-arg", "hidden_size=16", "--dataset", "synthetic", "--data-root", str(data / "ffpp"),
         "--frames-per-video", str(FRAMES), "--epochs", "1", "--batch-size", "4", "--val-fraction", "0.35",
         "--output", str(out), "--quiet", "--device", "cpu"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = torch.load(out / "best.pt", weights_only=True)["detector"]
    assert record["name"] == "lstm" and record["kwargs"]["hidden_size"] == 16
    assert record["input"]["clip_len"] == CLIP_LEN

    assert run(evaluate.main, ["--checkpoint", str(out / "best.pt"), "--test-data", str(data / "ffpp"),
                               "--output", str(tmp_path / "eval"), "--quiet", "--device", "cpu"]) == 0
    report = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert report["items"] == 12 * FRAMES // CLIP_LEN, "each 8-frame video gives two clips of 4"

    assert run(detect.main, ["--input", str(data / "astronaut.mp4"), "--model", str(out / "best.pt"),
                             "--output", str(tmp_path / "report.json"), "--frames", str(FRAMES), "--device", "cpu",
                             "--precision", "fp32"]) == 0
    detected = json.loads((tmp_path / "report.json").read_text())
    assert detected["model"]["arch"] == "lstm" and detected["model"]["clip_len"] == CLIP_LEN
    scores = [frame["score"] for frame in detected["frames"]]
    assert len(set(scores[:CLIP_LEN])) == 1 and len(set(scores[CLIP_LEN:])) == 1, f"one score per clip: {scores}"
    assert detected["video_score"] == pytest.approx(np.mean([scores[0], scores[CLIP_LEN]]), abs=1e-6)


def test_c3d_small_trains_and_evaluates_through_the_shared_drivers(data, tmp_path):
    from dfkit.drivers import train

    out = tmp_path / "c3d"
    assert run(train.main, ["--model", "c3d_small", "--model-arg", "width=4", "--image-size", "32", "--clip-len",
                            str(CLIP_LEN), "--dataset", "synthetic", "--data-root", str(data / "ffpp"),
                            "--frames-per-video", str(FRAMES), "--epochs", "1", "--batch-size", "4",
                            "--val-fraction", "0.35", "--output", str(out), "--quiet", "--device", "cpu"],
               phase="phase2_temporal_analysis") == 0
    record = torch.load(out / "best.pt", weights_only=True)["detector"]
    assert (record["name"], record["kwargs"]["width"], record["input"]["size"]) == ("c3d_small", 4, 32)
    assert run(evaluate.main, ["--checkpoint", str(out / "best.pt"), "--test-data", str(data / "ffpp"),
                               "--output", str(tmp_path / "eval"), "--quiet", "--device", "cpu"]) == 0
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["items"] == 12 * FRAMES // CLIP_LEN


def test_inception_resnet_encoder_loads_a_local_weights_file_and_never_downloads(tmp_path):
    from facenet_pytorch import InceptionResnetV1

    torch.manual_seed(0)
    saved = InceptionResnetV1(pretrained=None, classify=True, num_classes=3)  # a head the encoder drops
    torch.save(saved.state_dict(), tmp_path / "vggface2.pt")
    model = registry.build_detector("lstm", backbone="inception_resnet_v1",
                                    backbone_weights=str(tmp_path / "vggface2.pt")).eval()
    assert torch.equal(model.encoder.conv2d_1a.conv.weight, saved.conv2d_1a.conv.weight)
    assert model.rnn.input_size == 2 * 512, "512-d embeddings and their differences"
    with torch.no_grad():
        assert model(torch.rand(1, 2, 3, 96, 96)).shape == (1,)
