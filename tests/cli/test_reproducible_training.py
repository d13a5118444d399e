"""A seeded CPU training run is identical from process to process, and kill -9 + --resume ends where an
uninterrupted run does (two separate processes each time, as a user meets it)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 3


def command(output, *extra):
    return [sys.executable, "phase1_cnn_detection/train.py", "--model", "meso4", "--seed", "3", "--num-videos", "16",
            "--frames-per-video", "4", "--clip-size", "64", "--batch-size", "8", "--epochs", str(EPOCHS),
            "--output", str(output), "--quiet", *extra]


def train(output, *extra):
    result = subprocess.run(command(output, *extra), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return history(output)


def history(output):
    """metrics.jsonl without the wall-clock seconds."""
    records = [json.loads(line) for line in (output / "metrics.jsonl").read_text().splitlines()]
    for record in records:
        record.pop("seconds")
    return records


def weights(path):
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


def test_two_processes_with_the_same_seed_train_identically(tmp_path):
    first, second = train(tmp_path / "a"), train(tmp_path / "b")
    assert len(first) == EPOCHS
    assert first == second, "two seeded runs differ:\n" + "\n".join(map(str, first + second))
    for key, value in weights(tmp_path / "a" / "last.pt").items():
        assert torch.equal(value, weights(tmp_path / "b" / "last.pt")[key]), f"{key} differs between the runs"


def test_kill_minus_9_then_resume_ends_where_an_uninterrupted_run_does(tmp_path):
    uninterrupted = train(tmp_path / "whole")
    killed = tmp_path / "killed"
    process = subprocess.Popen(command(killed), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not (killed / "last.pt").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done_before_kill = torch.load(killed / "last.pt", map_location="cpu", weights_only=True)["epoch"]
    assert done_before_kill < EPOCHS, "the run finished before it could be killed; give it more work"
    resumed = train(killed, "--resume")
    assert resumed == uninterrupted, f"killed after epoch {done_before_kill} and resumed, the run ended elsewhere"
    for key, value in weights(tmp_path / "whole" / "last.pt").items():
        assert torch.equal(value, weights(killed / "last.pt")[key]), f"{key} differs after the resume"
