"""FaceDataset over both sources: frames, clips and videos, with the generator's ground truth."""
import json
import shutil

import cv2
import numpy as np
import pytest
import torch

from dfkit.data import FaceDataset, PreprocessedFaces, SyntheticFaces, build_augmentation, video_groups
from dfkit.errors import DatasetLayoutError
from dfkit.preprocess import read_manifest
from dfkit.synthetic import METHOD_NAMES, make_clip
from dfkit.synthetic.dataset_writer import split_pairs, video_seed

SEED, NUM_FRAMES, SAMPLED, SIDE = 1, 32, 8, 40
BOX_ROUNDING = 0.005 + 1e-4   # sidecar and manifest keep 2 decimals
MASK_QUANTUM = 0.5 / 255 + 1e-6  # masks are saved as uint8


def to_tensor(rgb):
    """(..., H, W, 3) uint8 -> (..., 3, H, W) float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).movedim(-1, -3).float() / 255


def expected_crop(frame, box, margin):
    """The square of side round(max(w, h) * margin) centred on the box, zero outside the frame."""
    x0, y0, x1, y1 = box
    side = int(round(max(x1 - x0, y1 - y0) * margin))
    left, top = int(round((x0 + x1) / 2 - side / 2)), int(round((y0 + y1) / 2 - side / 2))
    padded = np.pad(frame, ((side, side), (side, side), (0, 0)))
    return padded[top + side:top + 2 * side, left + side:left + 2 * side]


# ---------------------------------------------------------------- in-memory synthetic clips

@pytest.fixture(scope="module")
def clips():
    return [make_clip(num_frames=8, size=64, seed=1), make_clip(num_frames=8, size=64, seed=2, fake=True)]


def test_synthetic_frames_are_the_true_face_crops(clips):
    dataset = FaceDataset(SyntheticFaces(clips, margin=1.3))
    assert len(dataset) == 16
    image, label, video_id = dataset[9]
    truth = expected_crop(clips[1].frames[1], clips[1].boxes[1], 1.3)
    assert image.dtype == torch.float32 and image.shape == (3, *truth.shape[:2])
    assert torch.allclose(image, to_tensor(truth))
    assert label == clips[1].label == 1 and video_id == f"{clips[1].method}/0001"
    assert dataset.labels == [clips[0].label] * 8 + [clips[1].label] * 8
    assert [dataset[i][1] for i in range(16)] == dataset.labels
    groups = video_groups(dataset.video_ids)
    assert groups["real/0000"] == groups[f"{clips[1].method}/0001"]
    whole = FaceDataset(SyntheticFaces(clips, margin=None))
    assert torch.equal(whole[3][0], to_tensor(clips[0].frames[3]))
    sized = FaceDataset(SyntheticFaces(clips, size=32), transform=build_augmentation("light", generator=0))
    assert sized[0][0].shape == (3, 32, 32) and 0 <= sized[0][0].min() and sized[0][0].max() <= 1


def test_synthetic_clips_are_non_overlapping_windows(clips):
    source = SyntheticFaces(clips, size=32)
    dataset = FaceDataset(source, item="clips", clip_len=3)
    assert len(dataset) == 2 * (8 // 3)
    clip, label, video_id = dataset[3]
    frames = FaceDataset(source)
    assert clip.shape == (3, 3, 32, 32) and label == clips[1].label
    assert torch.equal(clip[0], frames[8 + 3][0]) and video_id == frames[8 + 3][2]
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, collate_fn=dataset.collate)
    batch, labels, _ = next(iter(loader))
    assert batch.shape == (4, 3, 3, 32, 32) and labels.tolist() == [clips[0].label] * 2 + [1] * 2
    with pytest.raises(DatasetLayoutError, match="no video has 9 faces"):
        FaceDataset(source, item="clips", clip_len=9)
    for item, clip_len in (("clips", None), ("frames", 3), ("faces", None)):
        with pytest.raises(ValueError):
            FaceDataset(source, item=item, clip_len=clip_len)


def test_synthetic_videos_carry_the_clip_truth(clips):
    assert clips[0].blinks and clips[1].masks.max() == 1, "expected a clip that blinks and a manipulated one"
    dataset = FaceDataset(SyntheticFaces(clips, size=32), item="videos", transform=build_augmentation("none", size=24))
    assert len(dataset) == 2 and dataset.labels == [0, 1]
    assert dataset.video_ids == ["real/0000", f"{clips[1].method}/0001"]
    for clip, video in zip(clips, dataset):
        assert video["faces"].shape == (8, 3, 24, 24) and video["label"] == clip.label
        assert video["method"] == clip.method and video["frame_indices"].tolist() == list(range(8))
        assert video["blinks"] == clip.blinks and video["pulse_bpm"] == clip.pulse_bpm and video["fps"] == clip.fps
        assert torch.equal(video["boxes"], torch.from_numpy(clip.boxes))
        assert torch.equal(video["landmarks"], torch.from_numpy(clip.landmarks))
        assert video["masks"].shape == clip.masks.shape
        assert np.abs(video["masks"].numpy() - clip.masks).max() <= MASK_QUANTUM
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=2, collate_fn=dataset.collate)))
    assert batch["faces"].shape == (2, 8, 3, 24, 24) and batch["masks"].shape == (2, 8, 64, 64)
    assert batch["label"].tolist() == [0, 1] and batch["blinks"] == [c.blinks for c in clips]
    assert batch["pulse_bpm"] == [c.pulse_bpm for c in clips] and batch["video_id"] == dataset.video_ids


# ---------------------------------------------------------------- a preprocessed synthetic FF++ dataset

@pytest.fixture(scope="module")
def preprocessed(tmp_path_factory):
    from dfkit.datasets import load_records
    from dfkit.preprocess import PreprocessOptions, preprocess_records
    from dfkit.synthetic import write_dataset

    root, out = tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("crops")
    write_dataset(root, 4, num_frames=NUM_FRAMES, size=64, seed=SEED, manipulations=("blend", "no_pulse"),
                  progress=False)
    records = load_records("synthetic", root)
    options = PreprocessOptions(frames=SAMPLED, size=SIDE, detector="groundtruth", landmarks=True)
    preprocess_records(records, out, options, dataset="synthetic", progress=False)
    return out, records


def generated_clip(uid):
    """The generator's clip behind a synthetic FF++ uid ("real/001", "<Method>/<target>_<source>")."""
    method, name = uid.split("/")
    common = dict(num_frames=NUM_FRAMES, size=64, fps=25.0)
    if method == "real":
        return make_clip(seed=video_seed(SEED, int(name)), **common)
    target, source = (int(part) for part in name.split("_"))
    manipulation = {v: k for k, v in METHOD_NAMES.items()}[method]
    return make_clip(seed=video_seed(SEED, target), fake=True, manipulations=(manipulation,),
                     source_seed=video_seed(SEED, source), **common)


def test_preprocessed_frames_are_the_crop_pngs(preprocessed):
    out, records = preprocessed
    dataset = FaceDataset(PreprocessedFaces(out))
    assert len(dataset) == SAMPLED * len(records) == SAMPLED * 12
    image, label, video_id = dataset[SAMPLED + 2]
    entry = read_manifest(out)[1]
    assert video_id == entry["uid"] and label == entry["label"]
    png = cv2.cvtColor(cv2.imread(str(out / entry["crops"][2])), cv2.COLOR_BGR2RGB)
    assert image.shape == (3, SIDE, SIDE) and torch.equal(image, to_tensor(png))
    truth = {r.uid: r.label for r in records}
    assert all(dataset.labels[i] == truth[dataset.video_ids[i]] for i in range(len(dataset)))
    resized = FaceDataset(PreprocessedFaces(out), transform=build_augmentation("medium", size=24))
    assert resized[0][0].shape == (3, 24, 24)


def test_preprocessed_source_filters_split_and_method(preprocessed):
    out, _ = preprocessed
    reals = FaceDataset(PreprocessedFaces(out, methods=["real"]))
    assert set(reals.labels) == {0} and len(reals) == SAMPLED * 4
    (a, b), = split_pairs(4, SEED)["train"]
    train = FaceDataset(PreprocessedFaces(out, split="train"), item="videos")
    assert sorted(train.video_ids) == sorted([f"real/{a}", f"real/{b}"] + [f"{METHOD_NAMES[m]}/{x}_{y}"
                                             for m in ("blend", "no_pulse") for x, y in ((a, b), (b, a))])
    with pytest.raises(DatasetLayoutError, match="no preprocessed videos"):
        PreprocessedFaces(out, split="val")


def test_preprocessed_clips_are_windows_of_the_frames(preprocessed):
    out, records = preprocessed
    source = PreprocessedFaces(out)
    dataset = FaceDataset(source, item="clips", clip_len=3)
    assert len(dataset) == len(records) * (SAMPLED // 3)
    clip, label, video_id = dataset[1]
    frames = FaceDataset(source)
    assert clip.shape == (3, 3, SIDE, SIDE)
    assert torch.equal(clip[1], frames[4][0]) and video_id == frames[4][2] and label == frames[4][1]
    with pytest.raises(DatasetLayoutError, match=f"the longest has {SAMPLED}"):
        FaceDataset(source, item="clips", clip_len=SAMPLED + 1)


def test_preprocessed_videos_carry_the_generator_truth(preprocessed):
    out, _ = preprocessed
    dataset = FaceDataset(PreprocessedFaces(out), item="videos")
    sampled = np.round(np.linspace(0, NUM_FRAMES - 1, SAMPLED)).astype(int)
    seen = {"blinks": 0, "no pulse": 0, "masked": 0}
    for video in dataset:
        clip = generated_clip(video["video_id"])
        assert video["faces"].shape == (SAMPLED, 3, SIDE, SIDE) and video["label"] == clip.label
        assert video["frame_indices"].tolist() == sampled.tolist()
        assert video["blinks"] == clip.blinks and video["pulse_bpm"] == clip.pulse_bpm and video["fps"] == 25.0
        assert np.abs(video["boxes"].numpy() - clip.boxes[sampled]).max() <= BOX_ROUNDING
        assert np.abs(video["landmarks"].numpy() - clip.landmarks[sampled]).max() <= BOX_ROUNDING
        assert np.abs(video["masks"].numpy() - clip.masks[sampled]).max() <= MASK_QUANTUM
        seen["blinks"] += bool(clip.blinks)
        seen["no pulse"] += clip.pulse_bpm is None
        seen["masked"] += bool(clip.masks.max() > 0)
    assert seen == {"blinks": 12, "no pulse": 4, "masked": 8}, f"expected varied truth to compare, got {seen}"
    batch = dataset.collate([dataset[0], dataset[1]])
    assert batch["faces"].shape == (2, SAMPLED, 3, SIDE, SIDE) and batch["landmarks"].shape == (2, SAMPLED, 68, 2)
    assert batch["masks"].shape == (2, SAMPLED, 64, 64) and len(batch["blinks"]) == 2


def test_a_video_without_synthetic_sidecar_has_only_boxes_and_landmarks(preprocessed, tmp_path):
    out, _ = preprocessed
    copy = tmp_path / "crops"
    shutil.copytree(out, copy)
    for part in (copy / "manifest").glob("*.jsonl"):   # as for a real dataset: no truth beside the videos
        lines = [json.loads(line) for line in part.read_text().splitlines()]
        part.write_text("".join(json.dumps({**e, "path": str(tmp_path / "real.mp4")}) + "\n" for e in lines))
    dataset = FaceDataset(PreprocessedFaces(copy, methods=["real"]), item="videos")
    video = dataset[0]
    clip = generated_clip(video["video_id"])
    sampled = video["frame_indices"].numpy()
    assert all(video[key] is None for key in ("blinks", "pulse_bpm", "fps", "masks"))
    assert np.abs(video["boxes"].numpy() - clip.boxes[sampled]).max() <= BOX_ROUNDING
    assert np.abs(video["landmarks"].numpy() - clip.landmarks[sampled]).max() <= BOX_ROUNDING
