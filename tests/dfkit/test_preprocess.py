"""The preprocessing CLI on a tiny synthetic FaceForensics++-layout dataset: crops, resume, shards, failures."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from dfkit.datasets import load_records
from dfkit.faces import crop_face
from dfkit.preprocess import PreprocessOptions, preprocess_records, read_manifest, shard_records
from dfkit.preprocess.__main__ import main
from dfkit.synthetic import make_clip, write_dataset
from dfkit.video import read_frames, write_video
from tests.box_geometry import iou

FRAMES, SIZE = 4, 32
TIMINGS = ("seconds", "finished_at")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    write_dataset(root, 2, num_frames=8, size=64, seed=0, progress=False)
    return root


def run_cli(root, out, *extra):
    argv = ["--dataset", "synthetic", "--data-root", str(root), "--out", str(out), "--frames", str(FRAMES),
            "--size", str(SIZE), "--detector", "groundtruth", *extra]
    return main(argv)


def without_timings(entries):
    return [{k: v for k, v in e.items() if k not in TIMINGS} for e in entries]


def sidecar(video_path):
    return json.loads(Path(video_path).with_suffix(".json").read_text())


@pytest.fixture(scope="module")
def full_run(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    assert run_cli(dataset, out, "--landmarks") == 0
    return out


def test_groundtruth_crops_follow_the_sidecar_boxes(dataset, full_run, capsys):
    records = load_records("synthetic", dataset)
    entries = read_manifest(full_run)
    assert [e["uid"] for e in entries] == sorted(r.uid for r in records)
    assert len({r.method for r in records}) > 2, "expected reals and several fake methods"
    for entry in entries:
        truth = sidecar(entry["path"])
        assert entry["status"] == "ok" and entry["label"] == truth["label"]
        expected_indices = np.round(np.linspace(0, truth["num_frames"] - 1, FRAMES)).astype(int).tolist()
        assert entry["frames"] == expected_indices
        assert np.allclose(entry["boxes"], np.asarray(truth["boxes"])[expected_indices], atol=0.01)
        assert entry["crops"] == [f"crops/{entry['method']}/{entry['video_id']}/{i:05d}.png" for i in expected_indices]
        frames, _ = read_frames(entry["path"], num_frames=FRAMES)
        for frame, box, crop in zip(frames, entry["boxes"], entry["crops"]):
            saved = cv2.cvtColor(cv2.imread(str(full_run / crop)), cv2.COLOR_BGR2RGB)
            assert saved.shape == (SIZE, SIZE, 3)
            assert np.array_equal(saved, crop_face(frame, box, margin=1.3, size=SIZE))
        landmarks = np.load(full_run / entry["landmarks"])
        assert landmarks.shape == (FRAMES, 68, 2)
        assert np.allclose(landmarks, np.asarray(truth["landmarks"])[expected_indices], atol=0.01)


def test_interrupted_run_resumes_to_the_same_manifest(dataset, full_run, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli(dataset, out, "--landmarks", "--limit", "2") == 0
    assert "2 ok, 0 failed, 0 skipped" in capsys.readouterr().out
    partial = read_manifest(out)
    assert len(partial) == 2
    # Simulate a kill in the middle of the third video: stray crops and a torn manifest line.
    unfinished = sorted(r.uid for r in load_records("synthetic", dataset))[2]
    stray = out / "crops" / unfinished / "99999.png"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"half a png")
    with open(out / "manifest/shard-0000-of-0001.jsonl", "a") as handle:
        handle.write('{"uid": "' + unfinished + '", "status": "o')
    total = len(read_manifest(full_run))
    assert run_cli(dataset, out, "--landmarks") == 0
    assert f"{total - 2} ok, 0 failed, 2 skipped (already done)" in capsys.readouterr().out
    assert not stray.exists()
    assert without_timings(read_manifest(out)) == without_timings(read_manifest(full_run))
    assert without_timings(read_manifest(out)[:2]) == without_timings(partial)
    assert run_cli(dataset, out, "--landmarks") == 0
    assert f"0 ok, 0 failed, {total} skipped" in capsys.readouterr().out


def test_shards_cover_every_video_once(dataset, full_run, tmp_path):
    out = tmp_path / "sharded"
    for shard in ("0/2", "1/2"):
        assert run_cli(dataset, out, "--landmarks", "--shard", shard) == 0
    parts = sorted((out / "manifest").glob("*.jsonl"))
    assert [p.name for p in parts] == ["shard-0000-of-0002.jsonl", "shard-0001-of-0002.jsonl"]
    per_part = [[json.loads(line)["uid"] for line in p.read_text().splitlines()] for p in parts]
    uids = sorted(r.uid for r in load_records("synthetic", dataset))
    assert sorted(per_part[0] + per_part[1]) == uids
    assert per_part[0] == uids[0::2] and per_part[1] == uids[1::2]
    assert without_timings(read_manifest(out)) == without_timings(read_manifest(full_run))


def test_corrupt_video_is_counted_not_fatal(dataset, tmp_path, capsys):
    root = tmp_path / "data"
    shutil.copytree(dataset, root)
    records = load_records("synthetic", root)
    broken = records[0].path
    broken.write_bytes(b"\x00not an mp4" * 10)
    no_sidecar = records[-1].path.with_suffix(".json")
    saved_sidecar = no_sidecar.read_text()
    no_sidecar.unlink()
    assert run_cli(root, tmp_path / "out") == 0
    assert f"{len(records) - 2} ok, 2 failed, 0 skipped" in capsys.readouterr().out
    failed = read_manifest(tmp_path / "out", status="failed")
    assert [e["path"] for e in failed] == [str(broken), str(records[-1].path)]
    assert str(broken) in failed[0]["error"] and failed[0]["crops"] == []
    assert str(no_sidecar) in failed[1]["error"]
    no_sidecar.write_text(saved_sidecar)
    assert run_cli(root, tmp_path / "out", "--retry-failed") == 0
    assert f"1 ok, 1 failed, {len(records) - 2} skipped" in capsys.readouterr().out
    assert [e["path"] for e in read_manifest(tmp_path / "out", status="failed")] == [str(broken)]
    assert len(read_manifest(tmp_path / "out", status="ok")) == len(records) - 1


def test_changed_settings_and_bad_arguments_exit_2(dataset, full_run, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        from dfkit.cli import run
        run(main, ["--dataset", "synthetic", "--data-root", str(dataset), "--out", str(full_run),
                   "--frames", "6", "--detector", "groundtruth"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        run_cli(dataset, tmp_path / "o", "--shard", "2/2")
    assert exit_info.value.code == 2
    result = subprocess.run([sys.executable, "-m", "dfkit.preprocess", "--dataset", "faceforensics",
                             "--data-root", str(tmp_path), "--out", str(tmp_path / "o")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "error: FaceForensics++ layout not found under" in result.stderr
    assert "Traceback" not in result.stderr


def test_shard_records_is_a_partition(dataset):
    records = load_records("synthetic", dataset)
    shards = [shard_records(records, (i, 3)) for i in range(3)]
    assert sorted(r.uid for s in shards for r in s) == sorted(r.uid for r in records)


def test_mtcnn_finds_the_face_of_a_photo_clip(tmp_path):
    clip = make_clip(photo="astronaut", num_frames=3, size=128, seed=0)
    write_video(tmp_path / "data/real/astronaut.mp4", clip.frames, clip.fps)
    records = load_records("folder", tmp_path / "data")
    options = PreprocessOptions(frames=3, size=SIZE, detector="mtcnn", device="cpu")
    summary = preprocess_records(records, tmp_path / "out", options, dataset="folder", progress=False)
    assert (summary.ok, summary.failed) == (1, 0)
    (entry,) = read_manifest(tmp_path / "out")
    assert all(entry["found"])
    for box, truth in zip(entry["boxes"], clip.boxes[entry["frames"]]):
        assert iou(box, truth) > 0.5, f"expected the MTCNN box near the true face {truth}, got {box}"
