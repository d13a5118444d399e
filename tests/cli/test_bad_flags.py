"""Every CLI refuses a bad device, output or threshold, and an unimplemented template, with one line and exit 2
before any work."""
import subprocess
import sys
from pathlib import Path

from types import SimpleNamespace

import pytest
import torch

from dfkit.cli import run
from dfkit.drivers import detect, evaluate, train

from dfkit.registry import build_detector
from dfkit.synthetic import make_clip
from dfkit.training import save_checkpoint
from dfkit.video import write_video

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_flags")
    write_video(folder / "clip.mp4", make_clip(num_frames=4, size=64, seed=0).frames, fps=25)
    torch.manual_seed(0)
    save_checkpoint(folder / "meso4.pt", build_detector("meso4"), arch="meso4")
    return folder


def run_cli(*args):
    """Run a CLI in a subprocess, as a user does (needed where it changes the implementation switch)."""
    return subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300)


MAINS = {"phase1_cnn_detection/train.py": (train.main, {"phase": "phase1_cnn_detection"}),
         "phase1_cnn_detection/evaluate.py": (evaluate.main, {}), "detect_video.py": (detect.main, {})}


def run_in_process(capsys, script, *args):
    """Run a CLI's main as its entry point does; returns (exit status, stderr). Fast: no new interpreter."""
    main, options = MAINS[script]
    with pytest.raises(SystemExit) as exited:
        run(main, [str(a) for a in args], **options)
    return SimpleNamespace(returncode=exited.value.code, stderr=capsys.readouterr().err)


def commands(folder, tmp):
    """One working command line per CLI (without --device / output changes)."""
    return {
        "train": ["phase1_cnn_detection/train.py", "--model", "meso4", "--num-videos", "4", "--frames-per-video",
                  "2", "--clip-size", "64", "--epochs", "1", "--output", tmp / "run", "--quiet"],
        "evaluate": ["phase1_cnn_detection/evaluate.py", "--checkpoint", folder / "meso4.pt", "--test-data",
                     folder / "nowhere", "--dataset", "folder", "--output", tmp / "eval", "--quiet"],
        "detect": ["detect_video.py", "--input", folder / "clip.mp4", "--model", folder / "meso4.pt",
                   "--output", tmp / "report.json"],
    }


def assert_one_line_exit_2(result, *fragments):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, f"expected exit 2, got {result.returncode}: {result.stderr[-800:]}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"expected one error line, got:\n{result.stderr}"
    for fragment in fragments:
        assert fragment in lines[0], f"expected {fragment!r} in {lines[0]!r}"


@pytest.mark.parametrize("cli", ["train", "evaluate", "detect"])
@pytest.mark.parametrize("device,fragment", [("banana", "not a device"), ("cuda:7", "--device cuda:7"),
                                             ("cuda", "--device cuda")])
def test_a_device_that_is_not_there_is_one_line(files, tmp_path, capsys, cli, device, fragment):
    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has that CUDA device")
    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    result = run_in_process(capsys, *commands(files, tmp_path)[cli], "--device", device)
    assert_one_line_exit_2(result, fragment)
    assert not any(tmp_path.iterdir()), "nothing may be written before the device is checked"


def test_detect_video_refuses_a_folder_as_output_before_any_work(files, tmp_path, capsys):
    result = run_in_process(capsys, "detect_video.py", "--input", files / "clip.mp4", "--model", files / "meso4.pt",
                     "--output", tmp_path)
    assert_one_line_exit_2(result, "is a folder")


@pytest.mark.parametrize("cli", ["evaluate", "detect"])
@pytest.mark.parametrize("threshold", ["1.5", "-1"])
def test_a_threshold_outside_0_1_is_refused(files, tmp_path, capsys, cli, threshold):
    result = run_in_process(capsys, *commands(files, tmp_path)[cli], "--threshold", threshold)
    assert_one_line_exit_2(result, "probability between 0 and 1")


def test_train_output_inside_a_file_is_refused(files, tmp_path, capsys):
    (tmp_path / "taken").write_text("a file\n")
    result = run_in_process(capsys, "phase1_cnn_detection/train.py", "--model", "meso4", "--output", tmp_path / "taken" / "run")
    assert_one_line_exit_2(result, "is a file, not a folder")


@pytest.mark.parametrize("cli", ["train", "detect"])
def test_an_unimplemented_template_names_the_exercise_in_one_line(files, tmp_path, cli):
    """Untouched templates: the first exercise the tool reaches is named with its file."""
    result = run_cli(*commands(files, tmp_path)[cli], "--impl", "templates", "--device", "cpu")
    assert_one_line_exit_2(result, "implement ", "phase1_cnn_detection/template_", "see its docstring")


def test_preprocess_refuses_a_device_that_is_not_there(tmp_path):
    result = run_cli("-m", "dfkit.preprocess", "--dataset", "folder", "--data-root", tmp_path, "--out",
                     tmp_path / "crops", "--device", "banana")
    assert_one_line_exit_2(result, "not a device")
    assert not (tmp_path / "crops").exists()


def test_an_unknown_constructor_argument_is_refused_naming_the_real_ones(tmp_path, capsys):
    result = run_in_process(capsys, "phase1_cnn_detection/train.py", "--model", "efficientnet_b4", "--model-arg",
                            "hidden=3", "--output", tmp_path / "run")
    assert_one_line_exit_2(result, "takes no argument", "attention, drop_rate")
