"""The platform end to end: a detector added only by registering it, a constructor argument surviving
train -> evaluate -> detect_video, and one face path (detect_video feeds the model the crops training used)."""
import json
import shutil

import numpy as np
import pytest
import torch

from dfkit import registry
from dfkit.cli import run
from dfkit.data import PreprocessedFaces
from dfkit.drivers import detect, evaluate, train
from dfkit.drivers.inputs import face_dataset, video_inputs
from dfkit.drivers.sources import cache_faces
from dfkit.faces import FaceTracker, crop_faces
from dfkit.synthetic import make_clip, write_dataset
from dfkit.video import read_frames, write_video

FRAMES = 8


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A synthetic FF++-layout set (6 real, 6 blended, no split files) and a real-photo face video."""
    root = tmp_path_factory.mktemp("platform")
    write_dataset(root / "ffpp", 6, num_frames=FRAMES, size=64, seed=0, manipulations=("blend",), progress=False)
    shutil.rmtree(root / "ffpp" / "splits")
    clip = make_clip(photo="astronaut", size=(256, 256), num_frames=12, seed=0)
    for label in ("real", "fake"):
        (root / "folder" / label).mkdir(parents=True)
        write_video(root / "folder" / label / "astronaut.mp4", clip.frames, fps=25)
    return root


@pytest.fixture
def tiny_clip_detector():
    """A clip detector the course does not ship, registered for this test only."""
    spec = registry.register(registry.DetectorSpec(
        "tiny_clip", "tests", "face_clips", "tests.platform.toy_detectors:TinyClipNet", kwargs={"width": 4},
        recipe=registry.Recipe(lr=1e-2, warmup_epochs=0, clip_len=4)))
    yield spec
    registry.unregister("tiny_clip")


def test_a_registered_clip_detector_trains_evaluates_and_detects_with_no_cli_change(data, tiny_clip_detector, tmp_path):
    out = tmp_path / "run"
    assert run(train.main, ["--model", "tiny_clip", "--model-arg", "width=6", "--dataset", "synthetic",
                            "--data-root", str(data / "ffpp"), "--frames-per-video", str(FRAMES), "--epochs", "1",
                            "--batch-size", "4", "--val-fraction", "0.35", "--output", str(out), "--quiet"]) == 0
    record = torch.load(out / "best.pt", weights_only=True)["detector"]
    assert (record["name"], record["kwargs"], record["input"]["clip_len"]) == ("tiny_clip", {"width": 6}, 4)

    assert run(evaluate.main, ["--checkpoint", str(out / "best.pt"), "--test-data", str(data / "ffpp"),
                               "--output", str(tmp_path / "eval"), "--quiet"]) == 0
    report = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert report["items"] == 12 * FRAMES // 4, "each video of 8 crops gives two clips of 4"

    assert run(detect.main, ["--input", str(data / "folder" / "real" / "astronaut.mp4"), "--model",
                             str(out / "best.pt"), "--output", str(tmp_path / "report.json"), "--frames", "8",
                             "--device", "cpu", "--precision", "fp32"]) == 0
    detected = json.loads((tmp_path / "report.json").read_text())
    assert detected["model"]["input_kind"] == "face_clips" and detected["model"]["clip_len"] == 4
    scores = [frame["score"] for frame in detected["frames"]]
    assert len(set(scores[:4])) == 1 and len(set(scores[4:])) == 1, f"one score per clip of 4 frames: {scores}"
    assert detected["video_score"] == pytest.approx(np.mean([scores[0], scores[4]]), abs=1e-6)


def test_detect_video_feeds_the_model_exactly_the_crops_training_used(data, tmp_path):
    """Preprocessing (MTCNN boxes, smoothing, crop, PNG cache) then the dataset's ModelInput, against
    detect_video's path on the same sampled frames: the tensors must be equal, not just close."""
    from dfkit.datasets import load_records

    records = load_records("folder", data / "folder")
    cache_faces(records, tmp_path / "faces", "folder", 6, detector="mtcnn", device="cpu", progress=False)
    spec = registry.input_spec("xceptionnet", image_size=96)
    trained_on = face_dataset("face_crops", [v for v in PreprocessedFaces(tmp_path / "faces")
                                             if v.uid.startswith("real/")], spec)
    training_faces = torch.stack([trained_on[i][0] for i in range(len(trained_on))])

    frames, _ = read_frames(records[0].path if records[0].label == 0 else records[1].path, num_frames=6)
    boxes, found = FaceTracker(device="cpu")(frames)
    detect_faces, positions = video_inputs("face_crops", crop_faces(frames, boxes), spec)
    assert found.all(), "MTCNN should find the astronaut in every sampled frame"
    assert positions == [[t] for t in range(6)]
    assert training_faces.shape == detect_faces.shape == (6, 3, 96, 96)
    assert torch.equal(training_faces, detect_faces), (
        f"largest difference {float((training_faces - detect_faces).abs().max()):.3g}")


@pytest.mark.slow
def test_efficientnet_with_attention_round_trips_and_scores_like_the_model_in_memory(data, tmp_path):
    out = tmp_path / "run"
    assert run(train.main, ["--model", "efficientnet_b4", "--model-arg", "attention=true", "--image-size", "64",
                            "--dataset", "synthetic", "--data-root", str(data / "ffpp"), "--frames-per-video", "2",
                            "--epochs", "1", "--batch-size", "8", "--val-fraction", "0.35", "--augment", "none",
                            "--output", str(out), "--quiet"]) == 0
    model = registry.build_detector("efficientnet_b4", attention=True)
    model.load_state_dict(torch.load(out / "best.pt", weights_only=True)["model"])
    model.eval()
    spec = registry.input_spec("efficientnet_b4", image_size=64)

    assert run(evaluate.main, ["--checkpoint", str(out / "best.pt"), "--test-data", str(data / "ffpp"),
                               "--output", str(tmp_path / "eval"), "--quiet"]) == 0
    saved = json.loads((tmp_path / "eval" / "predictions.json").read_text())
    items = face_dataset("face_crops", PreprocessedFaces(tmp_path / "eval" / "faces"), spec)
    assert saved["video_ids"] == items.video_ids
    with torch.no_grad():
        expected = [torch.sigmoid(model(image[None])).item() for image, _, _ in items]
    np.testing.assert_allclose(saved["scores"], expected, atol=1e-5)

    report_path = tmp_path / "report.json"
    video = data / "folder" / "real" / "astronaut.mp4"
    assert run(detect.main, ["--input", str(video), "--model", str(out / "best.pt"), "--output", str(report_path),
                             "--frames", "6", "--device", "cpu", "--precision", "fp32"]) == 0
    report = json.loads(report_path.read_text())
    assert report["model"]["kwargs"] == {"attention": True, "drop_rate": 0.4}
    frames, _ = read_frames(video, num_frames=6)
    faces, _ = video_inputs("face_crops", crop_faces(frames, FaceTracker(device="cpu")(frames)[0]), spec)
    with torch.no_grad():
        in_memory = torch.sigmoid(model(faces)).numpy()
    np.testing.assert_allclose([f["score"] for f in report["frames"]], in_memory, atol=1e-5)


def test_detect_video_scores_a_3d_convolution_checkpoint(data, tmp_path):
    """5-D weights cannot be stored channels-last; detect_video must still score such a detector."""
    from dfkit.drivers.checkpoints import detector_record
    from dfkit.training import save_checkpoint

    registry.register(registry.DetectorSpec("tiny_conv3d", "tests", "face_clips",
                                            "tests.platform.toy_detectors:TinyConv3dNet", kwargs={"width": 2},
                                            recipe=registry.Recipe(clip_len=3)))
    try:
        torch.manual_seed(0)
        spec = registry.input_spec("tiny_conv3d")
        save_checkpoint(tmp_path / "c3d.pt", registry.build_detector("tiny_conv3d"), arch="tiny_conv3d",
                        detector=detector_record("tiny_conv3d", {"width": 2}, spec))
        assert run(detect.main, ["--input", str(data / "folder" / "real" / "astronaut.mp4"), "--model",
                                 str(tmp_path / "c3d.pt"), "--output", str(tmp_path / "report.json"), "--frames", "6",
                                 "--device", "cpu"]) == 0
    finally:
        registry.unregister("tiny_conv3d")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["model"]["clip_len"] == 3 and all(frame["score"] is not None for frame in report["frames"])
