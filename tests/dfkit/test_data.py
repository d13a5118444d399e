"""Augmentations (against image-statistics ground truth) and the in-memory synthetic datasets."""
import json

import cv2
import numpy as np
import pytest
import torch
from skimage.data import astronaut

from dfkit.data import (FaceClipDataset, FaceFrameDataset, SyntheticClipDataset, SyntheticFrameDataset,
                        build_augmentation)
from dfkit.data.augment import (Augmentation, Step, adjust_colour, downscale, gaussian_blur, gaussian_noise, hflip,
                                jpeg)
from dfkit.errors import DatasetLayoutError
from dfkit.preprocess import read_manifest
from dfkit.synthetic import make_clip


@pytest.fixture(scope="module")
def photo():
    """A 128 x 128 natural image (3, H, W) float, cut at an offset not aligned to 8x8 blocks."""
    image = astronaut()[43:43 + 128, 181:181 + 128]
    return torch.from_numpy(image.copy()).permute(2, 0, 1).float() / 255


def grey(x):
    return (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).numpy().astype(np.float64)


def blockiness(x):
    """Mean |step| across 8x8 block borders / mean |step| elsewhere (about 1 for a natural image)."""
    y = grey(x)
    steps = np.concatenate([np.abs(np.diff(y, axis=1)), np.abs(np.diff(y, axis=0)).T])
    border = (np.arange(steps.shape[1]) % 8) == 7
    return steps[:, border].mean() / steps[:, ~border].mean()


def high_frequency_energy(x, cutoff=0.25):
    """Share of the spectral energy above ``cutoff`` cycles/pixel (radius), Hann-windowed (no edge leakage)."""
    y = grey(x)
    window = np.outer(np.hanning(y.shape[0]), np.hanning(y.shape[1]))
    power = np.abs(np.fft.fft2((y - y.mean()) * window)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(y.shape[0]), np.fft.fftfreq(y.shape[1]), indexing="ij")
    return power[np.hypot(fx, fy) > cutoff].sum() / power.sum()


def test_jpeg_quality_10_adds_8x8_blockiness(photo):
    before, after = blockiness(photo), blockiness(jpeg(photo, 10))
    assert before < 1.1, f"expected an unblocked input, got blockiness {before:.2f}"
    assert after > 1.3 * before, f"expected JPEG q10 to raise blockiness above {1.3 * before:.2f}, got {after:.2f}"
    error = {q: (jpeg(photo, q) - photo).abs().mean().item() for q in (10, 95)}
    assert error[95] < error[10] / 2, f"expected q95 closer to the input than q10, got {error}"


@pytest.mark.parametrize("name, op", [("blur", lambda x: gaussian_blur(x, 1.5)),
                                      ("downscale", lambda x: downscale(x, 0.4))])
def test_blur_and_downscale_remove_high_frequencies(photo, name, op):
    out = op(photo)
    assert out.shape == photo.shape
    before, after = high_frequency_energy(photo), high_frequency_energy(out)
    assert after < 0.3 * before, \
        f"expected {name} to cut high-frequency energy below {0.3 * before:.4f}, got {after:.4f}"


def test_flip_equals_torch_flip_and_applies_to_clips(photo):
    clip = torch.stack([photo, photo.roll(5, dims=-1)])
    assert torch.equal(hflip(photo), torch.flip(photo, dims=[2]))
    assert torch.equal(hflip(clip), torch.flip(clip, dims=[3]))


def test_noise_has_the_requested_spread_and_is_seeded():
    flat = torch.full((3, 64, 64), 0.5)
    out = gaussian_noise(flat, std=0.05, seed=3)
    delta = out - flat
    assert abs(delta.std().item() - 0.05) < 0.005 and abs(delta.mean().item()) < 0.005
    assert torch.equal(out, gaussian_noise(flat, std=0.05, seed=3))
    assert not torch.equal(out, gaussian_noise(flat, std=0.05, seed=4))


def test_colour_adjustments_match_their_definitions(photo):
    dim = photo * 0.5
    assert torch.allclose(adjust_colour(dim, brightness=1.5), dim * 1.5, atol=1e-6)
    greyed = adjust_colour(photo, saturation=0.0)
    assert torch.allclose(greyed[0], greyed[1], atol=1e-6) and torch.allclose(greyed[1], greyed[2], atol=1e-6)
    flat = adjust_colour(photo, contrast=0.0)
    assert flat.std(dim=(1, 2)).max() < 1e-5
    assert abs(flat.mean().item() - grey(photo).mean()) < 1e-4


def test_none_is_the_identity_and_size_only_resizes(photo):
    identity = build_augmentation("none")
    for x in (photo, torch.stack([photo, photo * 0.5])):
        assert torch.equal(identity(x), x)
    assert build_augmentation("none", size=64)(photo).shape == (3, 64, 64)
    assert build_augmentation("medium", size=(48, 40))(photo).shape == (3, 48, 40)


def test_seeded_augmentation_is_reproducible(photo):
    first = [build_augmentation("medium", generator=7)(photo) for _ in range(2)]
    assert torch.equal(first[0], first[1])
    one = build_augmentation("medium", generator=7)
    runs = [one(photo) for _ in range(6)]
    assert any(not torch.equal(runs[0], r) for r in runs[1:]), "expected successive draws to differ"
    torch.manual_seed(0)
    a = build_augmentation("light")(photo)
    torch.manual_seed(0)
    assert torch.equal(a, build_augmentation("light")(photo))


def test_step_probabilities_are_honoured():
    augmentation = build_augmentation("medium", generator=0)
    counts = {}
    for _ in range(2000):
        for function, params in augmentation.sample():
            counts[function.__name__] = counts.get(function.__name__, 0) + 1
            if function is jpeg:
                assert 30 <= params["quality"] <= 95 and isinstance(params["quality"], int)
    expected = {s.function.__name__: s.probability for s in augmentation.steps}
    for name, probability in expected.items():
        rate = counts[name] / 2000
        assert abs(rate - probability) < 0.05, f"{name}: expected rate {probability}, got {rate}"


def test_a_clip_shares_one_draw_of_parameters(photo):
    clip = photo.expand(4, -1, -1, -1).clone()
    steps = [Step(hflip, 0.5), Step(jpeg, 1.0, {"quality": (10, 40)}), Step(gaussian_blur, 1.0, {"sigma": (0.5, 2.0)}),
             Step(downscale, 1.0, {"factor": (0.4, 0.8)})]
    out = Augmentation(steps, generator=1)(clip)
    assert not torch.allclose(out[0], photo, atol=0.01)
    for frame in out[1:]:
        assert torch.equal(frame, out[0])


def test_rejects_uint8_arrays():
    with pytest.raises(TypeError, match="expected a float tensor"):
        build_augmentation("light")(np.zeros((8, 8, 3), np.uint8))


# ---------------------------------------------------------------- in-memory synthetic datasets

@pytest.fixture(scope="module")
def clips():
    return [make_clip(num_frames=8, size=64, seed=1), make_clip(num_frames=8, size=64, seed=2, fake=True)]


def expected_crop(frame, box, margin):
    """The square of side round(max(w, h) * margin) centred on the box, zero outside the frame."""
    x0, y0, x1, y1 = box
    side = int(round(max(x1 - x0, y1 - y0) * margin))
    left, top = int(round((x0 + x1) / 2 - side / 2)), int(round((y0 + y1) / 2 - side / 2))
    padded = np.pad(frame, ((side, side), (side, side), (0, 0)))
    return padded[top + side:top + 2 * side, left + side:left + 2 * side]


def test_synthetic_frame_dataset_crops_the_true_face(clips):
    dataset = SyntheticFrameDataset(clips, crop_margin=1.3)
    assert len(dataset) == 16
    image, label, video_id = dataset[9]
    truth = expected_crop(clips[1].frames[1], clips[1].boxes[1], 1.3)
    assert image.dtype == torch.float32 and image.shape == (3, *truth.shape[:2])
    assert torch.allclose(image, torch.from_numpy(truth).permute(2, 0, 1).float() / 255)
    assert label == clips[1].label == 1 and video_id == f"{clips[1].method}/0001"
    assert [dataset[i][1] for i in range(16)] == [clips[0].label] * 8 + [clips[1].label] * 8
    whole = SyntheticFrameDataset(clips, crop_margin=None)
    assert torch.equal(whole[3][0], torch.from_numpy(clips[0].frames[3]).permute(2, 0, 1).float() / 255)
    sized = SyntheticFrameDataset(clips, size=32, transform=build_augmentation("light", generator=0))
    assert sized[0][0].shape == (3, 32, 32) and 0 <= sized[0][0].min() and sized[0][0].max() <= 1


def test_synthetic_clip_dataset_windows(clips):
    dataset = SyntheticClipDataset(clips, clip_len=3, size=32)
    assert len(dataset) == 2 * (8 // 3)
    clip, label, video_id = dataset[3]
    frames = SyntheticFrameDataset(clips, size=32)
    assert clip.shape == (3, 3, 32, 32) and label == clips[1].label
    assert torch.equal(clip[0], frames[8 + 3][0]) and video_id == frames[8 + 3][2]
    loader = torch.utils.data.DataLoader(dataset, batch_size=4)
    batch, labels, _ = next(iter(loader))
    assert batch.shape == (4, 3, 3, 32, 32) and labels.tolist() == [clips[0].label] * 2 + [1] * 2


# ---------------------------------------------------------------- datasets over preprocessed crops

@pytest.fixture(scope="module")
def preprocessed(tmp_path_factory):
    from dfkit.datasets import load_records
    from dfkit.preprocess import PreprocessOptions, preprocess_records
    from dfkit.synthetic import write_dataset

    root, out = tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("crops")
    write_dataset(root, 2, num_frames=6, size=64, seed=1, manipulations=("blend", "flicker"), progress=False)
    with open(root / "splits/train.json", "w") as handle:  # our own split: video 000 and its fakes
        json.dump([["000", "001"]], handle)
    (root / "splits/val.json").write_text(json.dumps([["001", "000"]]))
    records = load_records("synthetic", root)
    options = PreprocessOptions(frames=5, size=40, detector="groundtruth")
    preprocess_records(records, out, options, dataset="synthetic", progress=False)
    return root, out, records


def test_face_frame_dataset_reads_every_crop(preprocessed):
    root, out, records = preprocessed
    dataset = FaceFrameDataset(out)
    assert len(dataset) == 5 * len(records) == 5 * 6
    image, label, video_id = dataset[7]
    entry = read_manifest(out)[1]
    assert video_id == entry["uid"] and label == entry["label"]
    png = cv2.cvtColor(cv2.imread(str(out / entry["crops"][2])), cv2.COLOR_BGR2RGB)
    assert image.shape == (3, 40, 40) and torch.equal(image, torch.from_numpy(png).permute(2, 0, 1).float() / 255)
    truth = {r.uid: r.label for r in records}
    assert all(dataset.labels[i] == truth[dataset.video_ids[i]] for i in range(len(dataset)))
    assert FaceFrameDataset(out, size=24, transform=build_augmentation("medium"))[0][0].shape == (3, 24, 24)


def test_face_frame_dataset_filters_split_and_method(preprocessed):
    _, out, records = preprocessed
    reals = FaceFrameDataset(out, methods=["real"])
    assert set(reals.labels) == {0} and len(reals) == 5 * 2
    train = FaceFrameDataset(out, split="train")
    assert sorted(set(train.video_ids)) == ["BlendSwap/000_001", "BlendSwap/001_000", "Flicker/000_001",
                                            "Flicker/001_000", "real/000", "real/001"]
    with pytest.raises(DatasetLayoutError, match="no preprocessed videos"):
        FaceFrameDataset(out, split="test")


def test_face_clip_dataset_windows(preprocessed):
    _, out, records = preprocessed
    dataset = FaceClipDataset(out, clip_len=2)
    assert len(dataset) == len(records) * (5 // 2)
    clip, label, video_id = dataset[1]
    frames = FaceFrameDataset(out)
    assert clip.shape == (2, 3, 40, 40)
    assert torch.equal(clip[1], frames[3][0]) and video_id == frames[3][2] and label == frames[3][1]
    with pytest.raises(DatasetLayoutError, match="has 6 crops"):
        FaceClipDataset(out, clip_len=6)
