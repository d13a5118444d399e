"""Dataset readers on tiny trees of each published layout (placeholder video files suffice)."""
import json

import pytest

from dfkit.datasets import DATASETS, VideoRecord, load_records
from dfkit.errors import DatasetLayoutError


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


# ---------------------------------------------------------------- FaceForensics++

FF_REALS = ["000", "001", "002", "003"]
FF_FAKES = ["000_001", "001_000", "002_003", "003_002"]
FF_SPLITS = {"train": [["000", "001"]], "val": [["002", "003"]], "test": []}


def make_faceforensics(root, methods=("Deepfakes", "Face2Face"), compression="c23", splits_dir="splits"):
    for vid in FF_REALS:
        touch(root / "original_sequences/youtube" / compression / "videos" / f"{vid}.mp4")
    for method in methods:
        for vid in FF_FAKES:
            touch(root / "manipulated_sequences" / method / compression / "videos" / f"{vid}.mp4")
    for name, pairs in FF_SPLITS.items():
        path = root / splits_dir / f"{name}.json" if splits_dir else root / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(pairs))
    return root


def test_faceforensics_reads_every_video_with_labels_and_sources(tmp_path):
    root = make_faceforensics(tmp_path)
    records = load_records("faceforensics", root)
    assert all(isinstance(r, VideoRecord) for r in records)
    assert sorted(r.video_id for r in records if r.method == "real") == FF_REALS
    for method in ("Deepfakes", "Face2Face"):
        fakes = {r.video_id: r for r in records if r.method == method}
        assert sorted(fakes) == FF_FAKES
        assert all(r.label == 1 for r in fakes.values())
        assert fakes["002_003"].source_id == "003"
        assert fakes["002_003"].path == root / f"manipulated_sequences/{method}/c23/videos/002_003.mp4"
    assert all(r.label == 0 and r.source_id is None for r in records if r.method == "real")
    assert len({r.uid for r in records}) == len(records) == 4 + 2 * 4


@pytest.mark.parametrize("splits_dir", ["splits", None])
def test_faceforensics_official_split_pairs_select_videos(tmp_path, splits_dir):
    root = make_faceforensics(tmp_path, splits_dir=splits_dir)
    train = load_records("faceforensics", root, split="train")
    assert sorted(r.video_id for r in train if r.label == 0) == ["000", "001"]
    assert sorted(r.uid for r in train if r.label == 1) == [
        "Deepfakes/000_001", "Deepfakes/001_000", "Face2Face/000_001", "Face2Face/001_000"]
    assert {r.split for r in train} == {"train"}
    assert load_records("faceforensics", root, split="test") == []
    everything = load_records("faceforensics", root)
    assert {r.video_id: r.split for r in everything if r.method == "Deepfakes"} == {
        "000_001": "train", "001_000": "train", "002_003": "val", "003_002": "val"}


def test_faceforensics_method_selection(tmp_path):
    root = make_faceforensics(tmp_path)
    only = load_records("faceforensics", root, methods=["Face2Face"])
    assert {r.method for r in only} == {"Face2Face"} and len(only) == 4
    assert {r.method for r in load_records("faceforensics", root, methods=["real"])} == {"real"}
    with pytest.raises(DatasetLayoutError, match="manipulated_sequences/NeuralTextures/c23/videos"):
        load_records("faceforensics", root, methods=["NeuralTextures"])
    with pytest.raises(DatasetLayoutError, match="unknown FaceForensics\\+\\+ method"):
        load_records("faceforensics", root, methods=["Deepfake"])


def test_faceforensics_deepfakedetection_only_on_request(tmp_path):
    root = make_faceforensics(tmp_path)
    touch(root / "original_sequences/actors/c23/videos/01__walking.mp4")
    touch(root / "manipulated_sequences/DeepFakeDetection/c23/videos/01_02__walking__ABCD1234.mp4")
    default = load_records("faceforensics", root)
    assert "01__walking" not in {r.video_id for r in default}
    assert "DeepFakeDetection" not in {r.method for r in default}
    dfd = load_records("faceforensics", root, methods=["real", "DeepFakeDetection"])
    by_id = {r.video_id: r for r in dfd}
    assert by_id["01__walking"].label == 0
    assert by_id["01_02__walking__ABCD1234"].source_id == "02"
    assert by_id["01_02__walking__ABCD1234"].split is None


def test_synthetic_discovers_methods_faceforensics_keeps_official(tmp_path):
    root = make_faceforensics(tmp_path, methods=("BlendSwap", "Deepfakes"))
    assert {r.method for r in load_records("synthetic", root)} == {"real", "BlendSwap", "Deepfakes"}
    assert {r.method for r in load_records("faceforensics", root)} == {"real", "Deepfakes"}


def test_faceforensics_layout_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="not found under .*missing"):
        load_records("faceforensics", tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetLayoutError, match="expected original_sequences/youtube/c23/videos/\\*.mp4"):
        load_records("faceforensics", tmp_path / "empty")
    root = make_faceforensics(tmp_path / "ff")
    with pytest.raises(DatasetLayoutError, match="c40.*compressions found: c23"):
        load_records("faceforensics", root, compression="c40")
    with pytest.raises(DatasetLayoutError, match="compression must be one of"):
        load_records("faceforensics", root, compression="c99")
    with pytest.raises(DatasetLayoutError, match="splits"):
        load_records("faceforensics", root, split="holdout")
    (root / "splits/val.json").write_text('{"not": "pairs"}')
    with pytest.raises(DatasetLayoutError, match="malformed split file .*val.json"):
        load_records("faceforensics", root, split="val")
    (root / "splits/test.json").unlink()
    with pytest.raises(DatasetLayoutError, match="split file not found.*test.json"):
        load_records("faceforensics", root, split="test")


# ---------------------------------------------------------------- Celeb-DF

CELEB = {"Celeb-real": ["id0_0000", "id1_0000"], "YouTube-real": ["00000", "00001"],
         "Celeb-synthesis": ["id0_id1_0000", "id1_id0_0000", "id1_id0_0001"]}
CELEB_TEST = ["1 YouTube-real/00001.mp4", "0 Celeb-synthesis/id1_id0_0000.mp4", "1 Celeb-real/id1_0000.mp4"]


def make_celebdf(root, test_lines=CELEB_TEST):
    for folder, names in CELEB.items():
        for name in names:
            touch(root / folder / f"{name}.mp4")
    (root / "List_of_testing_videos.txt").write_text("\n".join(test_lines) + "\n")
    return root


def test_celebdf_labels_flip_the_list_convention_and_split(tmp_path):
    root = make_celebdf(tmp_path)
    records = load_records("celebdf", root)
    labels = {r.video_id: r.label for r in records}
    assert labels == {"id0_0000": 0, "id1_0000": 0, "00000": 0, "00001": 0,
                      "id0_id1_0000": 1, "id1_id0_0000": 1, "id1_id0_0001": 1}
    assert {r.method for r in records if r.label} == {"celebdf"}
    test = load_records("celebdf", root, split="test")
    assert sorted(r.video_id for r in test) == ["00001", "id1_0000", "id1_id0_0000"]
    assert {r.video_id: r.label for r in test} == {"00001": 0, "id1_0000": 0, "id1_id0_0000": 1}
    train = load_records("celebdf", root, split="train")
    assert sorted(r.video_id for r in train) == ["00000", "id0_0000", "id0_id1_0000", "id1_id0_0001"]
    assert {r.video_id: r.source_id for r in train if r.label} == {"id0_id1_0000": "id1", "id1_id0_0001": "id0"}


@pytest.mark.parametrize("line, message", [
    ("0 Celeb-real/id1_0000.mp4", "labels Celeb-real/id1_0000.mp4 fake but its folder Celeb-real holds real"),
    ("1 Celeb-real/id9_0000.mp4", "names Celeb-real/id9_0000.mp4, which is not under"),
    ("real Celeb-real/id1_0000.mp4", "line 1: expected '<1 real|0 fake> <folder>/<file>.mp4'"),
])
def test_celebdf_bad_test_list(tmp_path, line, message):
    root = make_celebdf(tmp_path, test_lines=[line])
    with pytest.raises(DatasetLayoutError, match=message):
        load_records("celebdf", root, split="test")


def test_celebdf_layout_errors(tmp_path):
    touch(tmp_path / "Celeb-real/id0_0000.mp4")
    with pytest.raises(DatasetLayoutError, match="expected Celeb-synthesis/\\*.mp4"):
        load_records("celebdf", tmp_path)
    root = make_celebdf(tmp_path / "c")
    with pytest.raises(DatasetLayoutError, match="splits train, test"):
        load_records("celebdf", root, split="val")
    (root / "List_of_testing_videos.txt").unlink()
    assert len(load_records("celebdf", root)) == 7
    with pytest.raises(DatasetLayoutError, match="List_of_testing_videos.txt"):
        load_records("celebdf", root, split="test")


# ---------------------------------------------------------------- DFDC

def make_dfdc_part(folder, entries):
    folder.mkdir(parents=True, exist_ok=True)
    for name in entries:
        touch(folder / name)
    (folder / "metadata.json").write_text(json.dumps(entries))
    return folder


DFDC_PART0 = {"aaa.mp4": {"label": "FAKE", "original": "bbb.mp4", "split": "train"},
              "bbb.mp4": {"label": "REAL", "original": None, "split": "train"}}
DFDC_PART1 = {"ccc.mp4": {"label": "FAKE", "original": "ddd.mp4", "split": "test"},
              "ddd.mp4": {"label": "REAL", "original": None, "split": "test"}}


def test_dfdc_reads_parts(tmp_path):
    make_dfdc_part(tmp_path / "dfdc_train_part_0", DFDC_PART0)
    make_dfdc_part(tmp_path / "dfdc_train_part_1", DFDC_PART1)
    records = {r.video_id: r for r in load_records("dfdc", tmp_path)}
    assert {k: (r.label, r.method, r.source_id, r.split) for k, r in records.items()} == {
        "aaa": (1, "dfdc", "bbb", "train"), "bbb": (0, "real", None, "train"),
        "ccc": (1, "dfdc", "ddd", "test"), "ddd": (0, "real", None, "test")}
    assert records["ccc"].path == tmp_path / "dfdc_train_part_1/ccc.mp4"
    assert [r.video_id for r in load_records("dfdc", tmp_path, split="test")] == ["ccc", "ddd"]
    assert [r.video_id for r in load_records("dfdc", tmp_path / "dfdc_train_part_0")] == ["aaa", "bbb"]


def test_dfdc_layout_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="expected metadata.json"):
        load_records("dfdc", tmp_path)
    part = make_dfdc_part(tmp_path / "p", DFDC_PART0)
    (part / "aaa.mp4").unlink()
    with pytest.raises(DatasetLayoutError, match="lists aaa.mp4, which is not in"):
        load_records("dfdc", tmp_path)
    (part / "metadata.json").write_text("{not json")
    with pytest.raises(DatasetLayoutError, match="malformed DFDC metadata"):
        load_records("dfdc", tmp_path)
    (part / "metadata.json").write_text(json.dumps({"bbb.mp4": {"label": "MAYBE"}}))
    with pytest.raises(DatasetLayoutError, match="needs 'label' FAKE or REAL"):
        load_records("dfdc", tmp_path)


# ---------------------------------------------------------------- folder

def test_folder_reads_video_extensions_recursively(tmp_path):
    for name in ["real/a.mp4", "real/b.AVI", "real/notes.txt", "fake/a.mp4", "fake/sub/c.webm", "fake/d.mkv"]:
        touch(tmp_path / name)
    records = load_records("folder", tmp_path)
    assert [(r.uid, r.label) for r in records] == [
        ("fake/a", 1), ("fake/d", 1), ("fake/sub/c", 1), ("real/a", 0), ("real/b", 0)]
    assert [r.uid for r in load_records("folder", tmp_path, methods=["real"])] == ["real/a", "real/b"]


def test_folder_layout_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="expected real/ and/or fake/"):
        load_records("folder", tmp_path)
    touch(tmp_path / "real/readme.txt")
    with pytest.raises(DatasetLayoutError, match="no videos under"):
        load_records("folder", tmp_path)
    touch(tmp_path / "real/a.mov")
    with pytest.raises(DatasetLayoutError, match="has no splits"):
        load_records("folder", tmp_path, split="train")
    with pytest.raises(DatasetLayoutError, match="method\\(s\\) fake not found .* available: real"):
        load_records("folder", tmp_path, methods=["fake"])


def test_unknown_dataset_names_the_choices(tmp_path):
    with pytest.raises(DatasetLayoutError, match="unknown dataset 'ff'; expected one of"):
        load_records("ff", tmp_path)
    assert set(DATASETS) == {"faceforensics", "celebdf", "dfdc", "folder", "synthetic"}
