"""detect_video.py / evaluate.py --runtime: ONNX Runtime scores a video like PyTorch, an .onnx export is
accepted as the model, and every bad runtime input gets one error line."""
import json

import numpy as np
import onnx
import pytest
import torch

import detect_video
from dfkit.cli import run
from dfkit.drivers import detect, evaluate
from dfkit.export.__main__ import main as export_main
from dfkit.registry import build_detector
from dfkit.synthetic import make_clip, write_dataset
from dfkit.training import save_checkpoint
from dfkit.video import write_video

FRAMES = 6


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """An astronaut clip, a Meso4 checkpoint with logits spread over several units, its ONNX export, a corrupt
    .onnx and an ONNX model without dfkit metadata."""
    folder = tmp_path_factory.mktemp("runtime")
    clip = make_clip(photo="astronaut", size=(256, 256), num_frames=12, seed=0)
    write_video(folder / "astronaut.mp4", clip.frames, fps=25)
    torch.manual_seed(0)
    model = build_detector("meso4")
    head = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        head.weight *= 300  # spread the untrained logits over several units, like a trained model's
    save_checkpoint(folder / "meso4.pt", model, arch="meso4", config={"dataset": "synthetic", "frames_per_video": 2})
    assert run(export_main, ["--checkpoint", str(folder / "meso4.pt"), "--output", str(folder / "meso4.onnx")]) == 0
    (folder / "corrupt.onnx").write_bytes((folder / "meso4.onnx").read_bytes()[:3000])
    bare = onnx.load(folder / "meso4.onnx")
    del bare.metadata_props[:]
    onnx.save(bare, folder / "bare.onnx")
    return folder


def detect_scores(files, tmp_path, model, *extra):
    output = tmp_path / f"report-{len(list(tmp_path.iterdir()))}.json"
    assert run(detect_video.main, ["--input", str(files / "astronaut.mp4"), "--model", str(files / model),
                                   "--output", str(output), "--frames", str(FRAMES), "--device", "cpu",
                                   *extra]) == 0
    report = json.loads(output.read_text())
    return np.array([f["score"] for f in report["frames"]]), report["model"]


def test_onnxruntime_scores_a_video_within_0_01_of_torch(files, tmp_path):
    torch_scores, torch_model = detect_scores(files, tmp_path, "meso4.pt", "--precision", "fp32")
    assert torch_model["runtime"] == "torch" and torch_model["precision"] == "fp32"
    assert np.all(np.abs(torch_scores - 0.5) < 0.45), f"saturated scores would hide differences: {torch_scores}"

    for model, runtime in (("meso4.pt", "onnxruntime"), ("meso4.onnx", "onnxruntime"), ("meso4.onnx", "auto")):
        scores, described = detect_scores(files, tmp_path, model, "--runtime", runtime)
        assert described["runtime"] == "onnxruntime (CPUExecutionProvider)", (model, runtime, described)
        assert described["precision"] == "fp32" and described["arch"] == "meso4"
        np.testing.assert_allclose(scores, torch_scores, atol=0.01, err_msg=f"{model} --runtime {runtime}")

    scores, described = detect_scores(files, tmp_path, "meso4.pt", "--runtime", "auto")  # whichever is fastest
    assert described["runtime"] in ("torch", "onnxruntime (CPUExecutionProvider)")
    np.testing.assert_allclose(scores, torch_scores, atol=0.01, err_msg="meso4.pt --runtime auto")


def test_evaluate_takes_an_onnx_export(files, tmp_path):
    data = tmp_path / "data"
    write_dataset(data, 4, num_frames=4, size=64, seed=0, manipulations=("blend",), progress=False)
    reports = {}
    for model in ("meso4.pt", "meso4.onnx"):
        output = tmp_path / model
        runtime = "onnxruntime" if model.endswith(".onnx") else "torch"
        assert run(evaluate.main, ["--checkpoint", str(files / model), "--test-data", str(data), "--output",
                                   str(output), "--faces-dir", str(tmp_path / "faces"), "--runtime", runtime,
                                   "--device", "cpu", "--quiet", "--no-plots"]) == 0
        reports[model] = json.loads((output / "predictions.json").read_text())
    assert reports["meso4.onnx"]["video_ids"] == reports["meso4.pt"]["video_ids"]
    saved = reports["meso4.onnx"]
    assert len(saved["scores"]) == 2 * len(set(saved["video_ids"])), "the frames per video the export recorded"
    np.testing.assert_allclose(reports["meso4.onnx"]["scores"], reports["meso4.pt"]["scores"], atol=1e-3)


BAD_RUNTIME = {
    "missing onnx": ("missing.onnx", ["--runtime", "onnxruntime"]),
    "corrupt onnx": ("corrupt.onnx", ["--runtime", "onnxruntime"]),
    "onnx without dfkit metadata": ("bare.onnx", ["--runtime", "onnxruntime"]),
    "onnx under torch runtime": ("meso4.onnx", ["--runtime", "torch"]),
    "onnx of another detector": ("meso4.onnx", ["--runtime", "onnxruntime", "--arch", "xceptionnet"]),
    "unknown runtime": ("meso4.pt", ["--runtime", "tensorflow"]),
}


@pytest.mark.parametrize("case", sorted(BAD_RUNTIME), ids=sorted(BAD_RUNTIME))
def test_bad_runtime_input_exits_2_with_one_line(files, tmp_path, capsys, case):
    model, extra = BAD_RUNTIME[case]
    output = tmp_path / "report.json"
    with pytest.raises(SystemExit) as exit_info:
        run(detect_video.main, ["--input", str(files / "astronaut.mp4"), "--model", str(files / model),
                                "--output", str(output), "--frames", "4", "--device", "cpu", *extra])
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert not output.exists()


@pytest.mark.parametrize("model", ["meso4.pt", "meso4.onnx"], ids=["checkpoint", "onnx export"])
def test_cuda_without_an_onnxruntime_cuda_provider_is_one_error_line(files, tmp_path, capsys, monkeypatch, model):
    """This onnxruntime is the CPU build: asking it for a CUDA device fails before any work, with one line."""
    monkeypatch.setattr(detect, "checked_device", lambda preference: torch.device("cuda"))
    with pytest.raises(SystemExit) as exit_info:
        run(detect_video.main, ["--input", str(files / "astronaut.mp4"), "--model", str(files / model),
                                "--output", str(tmp_path / "report.json"), "--runtime", "onnxruntime"])
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "no CUDA provider" in lines[0] and lines[0].startswith("error: "), lines
    assert not (tmp_path / "report.json").exists()
