"""multi_modal_detect.py: per-modality scores over one decoded video, "audio: absent", masking, bad input.

Not graded (the CLI is given code). Ground truth: the generator's talking astronaut (its audio follows
its mouth) and its av_offset twin, the fusion computed by hand from the report's own per-modality
scores, and a silent copy of the same frames.
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dfkit.cli import run
from dfkit.curriculum import load
from dfkit.drivers.checkpoints import detector_record
from dfkit.drivers.multi_modal import main
from dfkit.registry import build_detector, input_spec
from dfkit.synthetic import make_clip
from dfkit.training import save_checkpoint
from dfkit.video import write_video

ROOT = Path(__file__).resolve().parents[2]
FRAMES = 24


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multi_modal")
    talk = make_clip(photo="astronaut", size=(256, 256), num_frames=FRAMES, seed=0, speech=True)
    write_video(folder / "talk.mp4", talk.frames, 25, audio=(talk.audio, talk.audio_rate))
    shifted = make_clip(photo="astronaut", size=(256, 256), num_frames=FRAMES, seed=0, fake=True,
                        manipulations=("av_offset",))
    write_video(folder / "shifted.mp4", shifted.frames, 25, audio=(shifted.audio, shifted.audio_rate))
    write_video(folder / "silent.mp4", talk.frames, 25)
    torch.manual_seed(0)
    save_checkpoint(folder / "meso4.pt", build_detector("meso4"), arch="meso4")
    (folder / "fusion.pt").write_bytes(b"not a checkpoint")
    exercise = load("phase5_advanced_methods.template_multi_modal")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    raw = np.clip(rng.normal(0.4 + 0.2 * labels[:, None], 0.15, (200, 5)), 0.01, 0.99)
    raw[rng.random((200, 5)) < 0.3] = np.nan
    kwargs = {"visual": str(folder / "meso4.pt"), "temporal": None, "frequency": None, "physio": None}
    save_checkpoint(folder / "fusion_fitted.pt", exercise.fit_fusion(raw, labels, **kwargs), arch="fusion",
                    detector=detector_record("fusion", kwargs, input_spec("fusion")))
    return folder


def _run(folder, tmp_path, video, *extra):
    output = tmp_path / f"{video}.json"
    run(main, ["--input", str(folder / video), "--output", str(output), "--frames", str(FRAMES), "--device", "cpu",
               "--visual-model", str(folder / "meso4.pt"), *extra])
    return json.loads(output.read_text())


def _late_fusion(scores):
    logits = [math.log(p / (1 - p)) for p in scores]
    return 1 / (1 + math.exp(-sum(logits) / len(logits)))


def test_talking_video_fuses_visual_and_audio(files, tmp_path):
    report = _run(files, tmp_path, "talk.mp4", "--physio-model", str(files / "meso4.pt"))
    modalities = report["modalities"]
    assert list(modalities) == ["visual", "temporal", "frequency", "physio", "audio"]
    assert modalities["temporal"]["score"] is None and "no checkpoint" in modalities["temporal"]["note"]
    assert modalities["physio"]["score"] is None and "too short for a pulse" in modalities["physio"]["note"]
    assert modalities["audio"]["sync"] > 0.8, f"the generator's audio follows its mouth: {modalities['audio']}"
    assert modalities["audio"]["lag"] == 0
    assert report["available"] == ["visual", "audio"]
    expected = _late_fusion([modalities["visual"]["score"], modalities["audio"]["score"]])
    assert report["fused_score"] == pytest.approx(expected, abs=1e-9)
    assert report["verdict"] == ("fake" if expected >= 0.5 else "real") and report["video"]["audio"] == "present"
    assert {"setup", "decode", "face_detection", "visual", "audio", "total"} <= set(report["timing_s"])


def test_shifted_audio_is_out_of_sync(files, tmp_path):
    report = _run(files, tmp_path, "shifted.mp4")
    audio = report["modalities"]["audio"]
    truth = make_clip(photo="astronaut", size=(256, 256), num_frames=FRAMES, seed=0, fake=True,
                      manipulations=("av_offset",)).av_offset
    assert audio["sync"] < 0.6 and audio["lag"] == truth, f"true offset {truth} frames: {audio}"


def test_video_without_audio_says_absent_and_fuses_the_rest(files, tmp_path, capsys):
    report = _run(files, tmp_path, "silent.mp4")
    assert report["modalities"]["audio"]["score"] is None
    assert "absent" in report["modalities"]["audio"]["note"] and report["video"]["audio"] == "absent"
    assert report["available"] == ["visual"]
    assert report["fused_score"] == pytest.approx(report["modalities"]["visual"]["score"], abs=1e-9)
    assert "audio: absent" in capsys.readouterr().out


def test_fitted_fusion_checkpoint_through_the_cli(files, tmp_path):
    """A ``fusion`` checkpoint (as ``train.py --model fusion`` writes it) names its modality checkpoints and
    fuses the report's own raw scores exactly as its Platt + stacking weights say (computed here by hand)."""
    head = torch.load(files / "fusion_fitted.pt", weights_only=True)["model"]
    report = _run(files, tmp_path, "talk.mp4", "--fusion", str(files / "fusion_fitted.pt"))
    scores = report["modalities"]
    assert scores["visual"]["score"] is not None, "the fusion checkpoint's visual model should be used"
    z = {m: math.log(scores[m]["score"] / (1 - scores[m]["score"])) for m in report["available"]}
    names = list(scores)
    features = np.zeros(10)
    for m, value in z.items():
        k = names.index(m)
        a, b = head["platt"][k].tolist()
        features[k], features[5 + k] = a * value + b, 1.0
    expected = 1 / (1 + math.exp(-(features @ head["weights"].numpy() + head["bias"].item())))
    assert report["fused_score"] == pytest.approx(expected, abs=1e-5)


BAD = {
    "missing video": ["--input", "missing.mp4", "--visual-model", "meso4.pt"],
    "text file as video": ["--input", "notes.txt", "--visual-model", "meso4.pt"],
    "missing checkpoint": ["--input", "talk.mp4", "--visual-model", "nothing.pt"],
    "corrupt fusion file": ["--input", "talk.mp4", "--visual-model", "meso4.pt", "--fusion", "fusion.pt"],
    "nothing to score": ["--input", "talk.mp4", "--no-audio"],
    "fusion checkpoint as a modality": ["--input", "talk.mp4", "--visual-model", "fusion_fitted.pt"],
    "detector checkpoint as fusion": ["--input", "talk.mp4", "--fusion", "meso4.pt"],
    "zero frames": ["--input", "talk.mp4", "--visual-model", "meso4.pt", "--frames", "0"],
}


@pytest.mark.parametrize("case", sorted(BAD), ids=[c.replace(" ", "-") for c in sorted(BAD)])
def test_bad_input_exits_2_with_one_line_and_no_report(files, tmp_path, capsys, case):
    (files / "notes.txt").write_text("not a video\n")
    argv = [str(files / a) if a.endswith((".mp4", ".pt", ".txt")) else a for a in BAD[case]]
    output = tmp_path / "report.json"
    with pytest.raises(SystemExit) as exit_info:
        run(main, argv + ["--output", str(output), "--device", "cpu"])
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert not list(tmp_path.iterdir()), "no report (and no temporary file) may be written"


def test_script_runs_in_a_fresh_process(files, tmp_path):
    result = subprocess.run([sys.executable, "phase5_advanced_methods/multi_modal_detect.py", "--input",
                             files / "silent.mp4", "--output", tmp_path / "r.json", "--no-audio", "--device", "cpu"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.startswith("error: nothing to score"), result.stderr


def test_detect_video_points_a_fusion_checkpoint_to_multi_modal_detect(files, tmp_path, capsys):
    from dfkit.drivers.detect import main as detect_main

    with pytest.raises(SystemExit) as exit_info:
        run(detect_main, ["--input", str(files / "talk.mp4"), "--model", str(files / "fusion_fitted.pt"),
                          "--output", str(tmp_path / "r.json"), "--device", "cpu"])
    assert exit_info.value.code == 2 and "multi_modal_detect.py --fusion" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
