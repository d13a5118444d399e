"""Graded tests for phase3_frequency_analysis/template_spectral_features.py.

Ground truth: OpenCV's ``filter2D`` (default border, BORDER_REFLECT_101), the Haar transform
computed by hand on 2x2 blocks and on stripe / checkerboard images whose energy sits in one known
sub-band, Parseval's theorem, ``scipy.fft.dctn`` / ``idctn`` with ``norm="ortho"``, band sizes
counted analytically, and the synthetic generator's "upsample" fakes against their real twins.
"""
import cv2
import numpy as np
import pytest
import scipy.fft
import torch

from dfkit.data import SyntheticFaces
from dfkit.synthetic import make_clips

pytestmark = pytest.mark.exercise("phase3_frequency_analysis.template_spectral_features")
torch.set_num_threads(1)


def _patterns(size=16):
    """(name, image, index of the one sub-band holding its detail) for stripes and a checkerboard."""
    ys, xs = np.mgrid[:size, :size]
    return [("horizontal stripes", (ys % 2).astype(float), 1), ("vertical stripes", (xs % 2).astype(float), 2),
            ("checkerboard", ((xs + ys) % 2).astype(float), 3)]


# ---------------------------------------------------------------- srm_residuals
@pytest.mark.points(2)
def test_srm_residuals_match_opencv_filter2d(exercise, agrees_with_reference):
    grey = np.random.default_rng(0).uniform(0, 255, (2, 20, 23))
    got = exercise.srm_residuals(torch.from_numpy(grey))
    assert tuple(got.shape) == (2, 3, 20, 23), f"expected (B, 3, H, W) = (2, 3, 20, 23), got {tuple(got.shape)}"
    for k, kernel in enumerate(exercise.SRM_FILTERS.numpy()):
        for b in range(2):
            expected = cv2.filter2D(grey[b], cv2.CV_64F, kernel)
            np.testing.assert_allclose(got[b, k].numpy(), expected, atol=1e-9, err_msg=(
                f"image {b}, kernel {k}: expected cv2.filter2D (correlation, borders mirrored without repeating "
                f"the edge pixel: F.pad(..., mode='reflect'))"))
    agrees_with_reference(got, lambda ref: ref.srm_residuals(torch.from_numpy(grey)))


@pytest.mark.points(1)
def test_srm_residuals_vanish_on_a_linear_ramp(exercise):
    ys, xs = np.mgrid[:12, :12]
    ramp = torch.from_numpy((3.0 * xs + 5.0 * ys)[None].astype(np.float64))
    got = exercise.srm_residuals(ramp)[0, :, 2:-2, 2:-2]        # away from the mirrored borders
    assert got.abs().max().item() < 1e-9, (
        f"every SRM kernel predicts a linear ramp exactly (its residual is 0 inside); largest residual "
        f"{got.abs().max().item():.3g}")


# ---------------------------------------------------------------- haar_dwt
@pytest.mark.points(2)
def test_haar_dwt_matches_the_2x2_formulas(exercise, agrees_with_reference):
    grey = torch.tensor([[1.0, 2.0, 5.0, 5.0], [3.0, 4.0, 5.0, 5.0]])       # blocks [[1, 2], [3, 4]] and flat 5s
    got = exercise.haar_dwt(grey)
    expected = {"LL": [[5.0, 10.0]], "LH": [[-2.0, 0.0]], "HL": [[-1.0, 0.0]], "HH": [[0.0, 0.0]]}
    assert len(got) == 4, f"expected four sub-bands (LL, LH, HL, HH), got {len(got)}"
    for band, name in zip(got, expected):
        assert tuple(band.shape) == (1, 2), f"{name}: expected shape (H / 2, W / 2) = (1, 2), got {tuple(band.shape)}"
        np.testing.assert_allclose(band.numpy(), expected[name], atol=1e-6, err_msg=(
            f"{name} of the blocks a, b, c, d = 1, 2, 3, 4 and 5, 5, 5, 5"))
    agrees_with_reference(got, lambda ref: ref.haar_dwt(grey))


@pytest.mark.points(1)
@pytest.mark.parametrize("pattern", [0, 1, 2], ids=["horizontal-stripes", "vertical-stripes", "checkerboard"])
def test_haar_dwt_puts_each_pattern_in_its_sub_band_and_keeps_energy(exercise, pattern):
    name, image, holder = _patterns()[pattern]
    bands = exercise.haar_dwt(torch.from_numpy(image - image.mean()))
    energies = [float((band ** 2).sum()) for band in bands]
    assert sum(energies) == pytest.approx(float(((image - image.mean()) ** 2).sum()), rel=1e-9), (
        f"{name}: an orthonormal transform keeps the energy; sub-band energies {energies}")
    assert energies[holder] == pytest.approx(sum(energies), rel=1e-9), (
        f"{name}: all of its energy belongs in {('LL', 'LH', 'HL', 'HH')[holder]}; got energies "
        f"LL, LH, HL, HH = {energies}")


# ---------------------------------------------------------------- wavelet_energies
@pytest.mark.points(2)
def test_wavelet_energies_follow_the_level_order_and_parseval(exercise, agrees_with_reference):
    grey = torch.from_numpy(np.random.default_rng(1).normal(0, 1, (2, 32, 32)))
    got = exercise.wavelet_energies(grey, levels=3)
    assert tuple(got.shape) == (2, 10), f"expected (2, 3 * 3 + 1) = (2, 10), got {tuple(got.shape)}"
    counts = np.array([16 * 16] * 3 + [8 * 8] * 3 + [4 * 4] * 4)      # coefficients per sub-band
    total = (grey ** 2).sum(dim=(-2, -1)).numpy()
    np.testing.assert_allclose(got.numpy() @ counts, total, rtol=1e-9, err_msg=(
        "mean energy x coefficient count, summed over the sub-bands, should give the image's energy"))
    _, image, _ = _patterns(32)[2]
    checker = exercise.wavelet_energies(torch.from_numpy(image - 0.5), levels=3)
    assert checker[2].item() == pytest.approx(1.0) and checker.sum().item() == pytest.approx(1.0), (
        f"a +-0.5 checkerboard is all level-1 HH (entry 2): every coefficient (a - b - c + d) / 2 = +-1, mean "
        f"square 1; got {checker.tolist()}")
    agrees_with_reference(got, lambda ref: ref.wavelet_energies(grey, levels=3))


@pytest.mark.points(2)
def test_wavelet_energies_see_the_upsampling_checkerboard_of_the_generators_fakes(exercise):
    faces = SyntheticFaces(make_clips(16, num_frames=1, size=96, seed=1, manipulations=("upsample",)), size=64)
    shares = []
    for video in faces:
        rgb = video.faces().double()[0] / 255
        grey = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
        energies = exercise.wavelet_energies(grey, levels=2)
        shares.append(float(energies[:3].sum() / energies[:6].sum()))   # level 1's share of the detail energy
    pairs = np.array(shares).reshape(-1, 2)                               # (real, fake) twins
    assert np.all(pairs[:, 1] > pairs[:, 0]), (
        f"the up-sampling checkerboard adds finest-scale (level-1) detail: the fake's level-1 share of the "
        f"level-1 + level-2 detail energy should exceed its real twin's in all 8 pairs; (real, fake): "
        f"{pairs.round(3).tolist()}")


# ---------------------------------------------------------------- band_masks
@pytest.mark.points(1)
@pytest.mark.parametrize("size", [64, 40], ids=["64px", "40px"])
def test_band_masks_partition_the_dct_grid(exercise, agrees_with_reference, size):
    got = exercise.band_masks(size)
    assert tuple(got.shape) == (3, size, size), f"expected (3, {size}, {size}), got {tuple(got.shape)}"
    assert torch.all(got.sum(0) == 1), "every coefficient must be in exactly one band"
    low, middle = size // 4, size // 2                       # i + j < S / 4 and < S / 2
    expected = [low * (low + 1) // 2, middle * (middle + 1) // 2 - low * (low + 1) // 2]
    counts = [int(got[0].sum()), int(got[1].sum())]
    assert counts == expected, f"expected {expected} low and middle coefficients (triangles i + j < S/4, < S/2), got {counts}"
    assert got[0, 0, 0] == 1 and got[2, -1, -1] == 1, "DC is low, the last coefficient high"
    agrees_with_reference(got, lambda ref: ref.band_masks(size))


# ---------------------------------------------------------------- band_decomposition
@pytest.mark.points(2)
def test_band_decomposition_matches_scipy_and_adds_up_to_the_image(exercise, agrees_with_reference):
    grey = np.random.default_rng(2).uniform(0, 1, (2, 32, 32))
    got = exercise.band_decomposition(torch.from_numpy(grey))
    assert tuple(got.shape) == (2, 3, 32, 32), f"expected (2, 3, 32, 32), got {tuple(got.shape)}"
    i, j = np.mgrid[:32, :32]
    masks = [i + j < 8, (i + j >= 8) & (i + j < 16), i + j >= 16]
    for k, mask in enumerate(masks):
        expected = scipy.fft.idctn(scipy.fft.dctn(grey, axes=(-2, -1), norm="ortho") * mask, axes=(-2, -1), norm="ortho")
        np.testing.assert_allclose(got[:, k].numpy(), expected, atol=1e-9, err_msg=(
            f"band {k}: expected idctn(dctn(image, norm='ortho') * mask, norm='ortho')"))
    np.testing.assert_allclose(got.sum(1).numpy(), grey, atol=1e-9, err_msg="the three bands should add up to the image")
    agrees_with_reference(got, lambda ref: ref.band_decomposition(torch.from_numpy(grey)))


# ---------------------------------------------------------------- FADNet
@pytest.mark.points(2)
def test_fadnet_reads_the_three_band_images(exercise):
    model = exercise.FADNet(width=4).eval()
    logits = model(torch.rand(1, 3, 32, 32))
    assert tuple(logits.shape) == (1,), f"a batch of one should give logits of shape (1,), got {tuple(logits.shape)}"
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(3, 4), (4, 8)], (
        f"expected Conv2d(3, width) and Conv2d(width, 2 width) in features, got {model.features}")
    # zero the first convolution's weights on the high band: the model must then ignore a pattern made
    # only of high-band DCT coefficients (i + j >= 16 of 32) added to the picture
    i, j = np.mgrid[:32, :32]
    coefficients = np.random.default_rng(3).normal(0, 0.5, (32, 32)) * (i + j >= 16)
    pattern = torch.from_numpy(scipy.fft.idctn(coefficients, norm="ortho")).float()
    with torch.no_grad():
        convs[0].weight[:, 2] = 0
        picture = torch.rand(2, 3, 32, 32) * 0.5 + 0.25
        assert torch.allclose(model(picture), model(picture + pattern), atol=1e-4), (
            "input channel 2 of the first convolution should be the high band (the added pattern lives there only)")
