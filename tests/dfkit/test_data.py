"""Augmentations, against image-statistics ground truth (the datasets: test_face_dataset.py)."""
import numpy as np
import pytest
import torch
from skimage.data import astronaut

from dfkit.data import build_augmentation
from dfkit.data.augment import (Augmentation, Step, adjust_colour, downscale, gaussian_blur, gaussian_noise, hflip,
                                jpeg)


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
