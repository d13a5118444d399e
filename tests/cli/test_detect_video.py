"""detect_video.py: the report on a real face video, and one clear error for every kind of bad input."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import detect_video
from dfkit.cli import run
from dfkit.registry import build_detector
from dfkit.synthetic import make_clip
from dfkit.training import save_checkpoint
from dfkit.video import write_video
from tests.box_geometry import iou

ROOT = Path(__file__).resolve().parents[2]
NUM_FRAMES = 12
SAMPLED = 6


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A photo-mode astronaut clip as H.264, a blank clip, and Meso4 / MesoInception4 checkpoints."""
    folder = tmp_path_factory.mktemp("detect_video")
    clip = make_clip(photo="astronaut", size=(256, 256), num_frames=NUM_FRAMES, seed=0)
    write_video(folder / "astronaut.mp4", clip.frames, fps=25)
    write_video(folder / "blank.mp4", np.full((NUM_FRAMES, 128, 128, 3), 128, np.uint8), fps=25)
    torch.manual_seed(0)
    save_checkpoint(folder / "meso4.pt", build_detector("meso4"), arch="meso4")
    confident = build_detector("meso4")
    head = [m for m in confident.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        head.weight *= 300  # spread the untrained logits over several units, like a trained model's
    save_checkpoint(folder / "confident.pt", confident, arch="meso4")
    inception = build_detector("mesoinception4")
    save_checkpoint(folder / "mislabelled.pt", inception, arch="meso4")  # says meso4, holds another net
    torch.save({"conv.weight": torch.zeros(3, 3)}, folder / "wrong_keys.pt")
    (folder / "corrupt.pt").write_bytes((folder / "meso4.pt").read_bytes()[:2000])
    (folder / "notes.mp4").write_text("this is a text file, not a video\n")
    return folder, clip


def test_report_on_astronaut_clip(files, tmp_path):
    folder, clip = files
    report_path = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "detect_video.py", "--input", folder / "astronaut.mp4",
                             "--model", folder / "meso4.pt", "--output", report_path, "--frames", str(SAMPLED),
                             "--device", "cpu"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())

    expected_indices = np.round(np.linspace(0, NUM_FRAMES - 1, SAMPLED)).astype(int)
    assert [f["index"] for f in report["frames"]] == expected_indices.tolist()
    assert all(f["face_found"] for f in report["frames"]), "MTCNN should find the astronaut in every frame"
    boxes = np.array([f["box"] for f in report["frames"]])
    truth = clip.boxes[expected_indices]
    overlaps = [iou(box, true_box) for box, true_box in zip(boxes, truth)]
    assert min(overlaps) >= 0.8, f"IoU with the generator's boxes {np.round(overlaps, 3)}: {boxes.round(1)}"
    face_width = (truth[:, 2] - truth[:, 0]).mean()
    assert np.abs(boxes - truth).mean() <= 0.05 * face_width, f"boxes {boxes.round(1)} vs {truth.round(1)}"

    frame_scores = [f["score"] for f in report["frames"]]
    assert all(0.0 <= s <= 1.0 for s in frame_scores)
    assert report["video_score"] == pytest.approx(np.mean(frame_scores), abs=1e-6)
    assert report["verdict"] == ("fake" if report["video_score"] >= report["threshold"] else "real")
    assert report["model"]["arch"] == "meso4"
    assert Path(report["model"]["checkpoint"]) == (folder / "meso4.pt").resolve()
    assert report["video"]["num_frames"] == NUM_FRAMES and report["video"]["width"] == 256
    assert {"decode", "face_detection", "model"} <= set(report["timing_s"])
    assert all(seconds >= 0 for seconds in report["timing_s"].values())


def test_bf16_scores_match_fp32(files, tmp_path):
    """bfloat16 autocast (the default where the CPU runs it natively) moves no score by more than 0.02."""
    folder, _ = files
    reports = {}
    for precision in ("fp32", "bf16"):
        output = tmp_path / f"{precision}.json"
        run(detect_video.main, ["--input", str(folder / "astronaut.mp4"), "--model", str(folder / "confident.pt"),
                                "--output", str(output), "--frames", "6", "--device", "cpu", "--precision", precision])
        reports[precision] = json.loads(output.read_text())
        assert reports[precision]["model"]["precision"] == precision
    fp32, bf16 = ([f["score"] for f in reports[p]["frames"]] for p in ("fp32", "bf16"))
    assert np.min(np.abs(np.subtract(fp32, 0.5))) > 0.1, f"logits too near 0 to show rounding: {fp32}"
    np.testing.assert_allclose(bf16, fp32, atol=0.02)
    assert [f["box"] for f in reports["bf16"]["frames"]] == [f["box"] for f in reports["fp32"]["frames"]]


BAD_INPUTS = {
    "missing video": ("missing.mp4", "meso4.pt", []),
    "text file named .mp4": ("notes.mp4", "meso4.pt", []),
    "no face": ("blank.mp4", "meso4.pt", []),
    "checkpoint of another architecture": ("astronaut.mp4", "mislabelled.pt", []),
    "arch flag disagrees with checkpoint": ("astronaut.mp4", "meso4.pt", ["--arch", "xceptionnet"]),
    "state_dict with wrong keys": ("astronaut.mp4", "wrong_keys.pt", ["--arch", "meso4"]),
    "corrupt checkpoint": ("astronaut.mp4", "corrupt.pt", []),
    "missing checkpoint": ("astronaut.mp4", "nothing.pt", []),
    "zero frames": ("astronaut.mp4", "meso4.pt", ["--frames", "0"]),
    "min-face not a fraction": ("astronaut.mp4", "meso4.pt", ["--min-face", "1.5"]),
    "unknown precision": ("astronaut.mp4", "meso4.pt", ["--precision", "int4"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("existing_report", [False, True], ids=["no report yet", "report exists"])
def test_bad_input_exits_2_with_one_line(files, tmp_path, capsys, case, existing_report):
    folder, _ = files
    video, checkpoint, extra = BAD_INPUTS[case]
    output = tmp_path / "report.json"
    if existing_report:
        output.write_text("previous report\n")
    argv = ["--input", str(folder / video), "--model", str(folder / checkpoint), "--output", str(output),
            "--frames", "4", "--detect-size", "128", "--device", "cpu", *extra]
    with pytest.raises(SystemExit) as exit_info:
        run(detect_video.main, argv)
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    if existing_report:
        assert output.read_text() == "previous report\n", "an existing report must be left untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["report.json"] if existing_report else []), \
        "no report (and no temporary file) may be written"


def test_bad_input_in_a_fresh_process_has_no_traceback(files, tmp_path):
    folder, _ = files
    result = subprocess.run([sys.executable, "detect_video.py", "--input", folder / "blank.mp4",
                             "--model", folder / "meso4.pt", "--output", tmp_path / "report.json", "--device", "cpu"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no face found") and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "report.json").exists()
