"""FaceForensics++-layout writer and its CLI: files, splits, sidecars, decoded frames."""
import json

import av
import numpy as np
import pytest

from dfkit.datasets import load_records
from dfkit.synthetic import METHOD_NAMES, make_clip, write_dataset
from dfkit.synthetic.__main__ import main


def decode(path):
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ffpp")
    paths = write_dataset(out, 2, num_frames=16, size=64, seed=3, crfs=(23, 40),
                          manipulations=("blend", "no_blink"), progress=False)
    return out, paths


def test_files_follow_the_faceforensics_layout(dataset):
    out, paths = dataset
    expected = set()
    for comp in ("c23", "c40"):
        expected |= {out / "original_sequences/youtube" / comp / "videos" / f"{i}.mp4" for i in ("000", "001")}
        for method in ("BlendSwap", "NoBlink"):
            folder = out / "manipulated_sequences" / method / comp / "videos"
            expected |= {folder / f"{pair}.mp4" for pair in ("000_001", "001_000")}
    assert set(paths) == expected
    for path in expected:
        assert path.stat().st_size > 0 and path.with_suffix(".json").exists()
        masks = path.with_name(path.stem + "_masks.npz")
        assert masks.exists() == ("manipulated_sequences" in path.parts), f"masks file presence wrong for {path}"
    assert not list(out.rglob("*.tmp")), "temporary files left behind"


def test_splits_are_ffpp_pairs_covering_every_video_once(dataset):
    out, _ = dataset
    splits = {name: json.loads((out / "splits" / f"{name}.json").read_text()) for name in ("train", "val", "test")}
    pairs = [tuple(p) for s in splits.values() for p in s]
    assert sorted(tuple(sorted(p)) for p in pairs) == [("000", "001")], \
        f"expected one pair of 000 and 001, got {pairs}"
    assert all(isinstance(p, list) and len(p) == 2 and all(isinstance(i, str) for i in p)
               for s in splits.values() for p in s)


@pytest.mark.parametrize("num_videos", [6, 7, 13])
def test_every_split_holds_whole_pairs_of_real_and_fake_videos(tmp_path, num_videos):
    write_dataset(tmp_path, num_videos, num_frames=1, size=32, seed=2, manipulations=("blend",), progress=False)
    videos_of = {}
    for split in ("train", "val", "test"):
        records = load_records("synthetic", tmp_path, split=split)
        labels = {r.label for r in records}
        assert labels == {0, 1}, f"{split} split: expected real (0) and fake (1) videos, got labels {labels}"
        # Every identity a split names (reals "a", fakes "a_b") belongs to that split alone.
        videos_of[split] = {i for r in records for i in r.video_id.split("_")}
        for r in records:
            if r.label == 1:
                target, source = r.video_id.split("_")
                assert {target, source} <= videos_of[split], f"{split}: fake {r.video_id} without its reals"
    assert sum(len(ids) for ids in videos_of.values()) == num_videos, f"video ids shared between splits: {videos_of}"
    assert set().union(*videos_of.values()) == {f"{i:03d}" for i in range(num_videos)}
    fakes = {r.video_id for r in load_records("synthetic", tmp_path)} - {f"{i:03d}" for i in range(num_videos)}
    assert len(fakes) == num_videos, f"expected one fake per target video, got {sorted(fakes)}"
    assert all(f"{b}_{a}" in fakes for a, b in (f.split("_") for f in fakes)), "a pair needs both fakes a_b and b_a"


def test_sidecar_and_masks_describe_the_fake(dataset):
    out, _ = dataset
    videos = out / "manipulated_sequences" / METHOD_NAMES["blend"] / "c23" / "videos"
    side = json.loads((videos / "000_001.json").read_text())
    assert side["label"] == 1 and side["manipulations"] == ["blend"] and side["method"] == "BlendSwap"
    assert side["num_frames"] == 16 and side["size"] == [64, 64] and len(side["landmarks"]) == 16
    real_side = json.loads((out / "original_sequences/youtube/c23/videos/000.json").read_text())
    assert real_side["label"] == 0 and real_side["seed"] == side["seed"], "a fake must share its target's base clip"
    no_blink = json.loads((out / "manipulated_sequences/NoBlink/c23/videos/000_001.json").read_text())
    assert real_side["blinks"] and no_blink["blinks"] == []
    masks = np.load(videos / "000_001_masks.npz")["masks"]
    assert masks.shape == (16, 64, 64) and masks.dtype == np.uint8 and masks.max() == 255


def test_decoded_frames_match_the_generated_clip(dataset):
    out, _ = dataset
    side = json.loads((out / "original_sequences/youtube/c23/videos/001.json").read_text())
    clip = make_clip(seed=side["seed"], num_frames=16, size=64)
    assert clip.sidecar()["landmarks"] == side["landmarks"]
    for comp, limit in (("c23", 3.0), ("c40", 8.0)):
        frames = decode(out / "original_sequences/youtube" / comp / "videos" / "001.mp4")
        assert frames.shape == clip.frames.shape, f"{comp}: decoded {frames.shape}, expected {clip.frames.shape}"
        error = np.abs(frames.astype(np.float32) - clip.frames).mean()
        assert error < limit, f"{comp}: mean abs error {error:.2f} levels, expected < {limit}"


def test_cli_writes_a_dataset_and_rejects_bad_arguments(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--num-videos", "1", "--frames", "4", "--size", "32",
                 "--manipulations", "flicker"]) == 0
    assert (tmp_path / "manipulated_sequences/Flicker/c23/videos/000_000.mp4").exists()
    assert "wrote 2 videos" in capsys.readouterr().out
    for bad in (["--out", str(tmp_path), "--size", "33"], ["--out", str(tmp_path), "--manipulations", "warp"],
                ["--out", str(tmp_path), "--crf", "60"], ["--num-videos", "2"]):
        with pytest.raises(SystemExit) as exit_info:
            main(bad)
        assert exit_info.value.code == 2
