"""Graded tests for phase3_frequency_analysis/template_fft_analysis.py.

Ground truth: OpenCV's RGB -> grey conversion, ``scipy.fft``, NumPy's ``bincount`` ring means,
cosine gratings whose frequencies are known analytically (a grating of f cycles per image peaks at
radius f; its energy is its amplitude squared), the synthetic generator's "upsample" fakes against
their real twins (same seed, only the up-sampling differs), scikit-learn's ``hinge_loss`` and
``roc_auc_score``.
"""
import cv2
import numpy as np
import pytest
import scipy.fft
import torch
from sklearn.metrics import hinge_loss, roc_auc_score

from dfkit.data import SyntheticFaces
from dfkit.synthetic import make_clips

pytestmark = pytest.mark.exercise("phase3_frequency_analysis.template_fft_analysis")
torch.set_num_threads(1)
SIZES = [(64, 64), (65, 65), (48, 64)]
SIZE_IDS = ["64x64", "65x65-odd", "48x64-oblong"]


def _grating(height, width, components):
    """(H, W) float64: ``sum(a * cos(2 pi (fy y / H + fx x / W)))`` for (a, fy, fx) in ``components``."""
    ys, xs = np.mgrid[:height, :width]
    return sum(a * np.cos(2 * np.pi * (fy * ys / height + fx * xs / width)) for a, fy, fx in components)


def _ring_means(image):
    """Oracle azimuthal average: NumPy bincount over rounded radii from DC at (H // 2, W // 2)."""
    height, width = image.shape
    ys, xs = np.mgrid[:height, :width]
    radius = np.rint(np.hypot(ys - height // 2, xs - width // 2)).astype(int)
    rings = min(height, width) // 2 + 1
    inside = radius < rings
    return (np.bincount(radius[inside], image[inside], minlength=rings)
            / np.bincount(radius[inside], minlength=rings))


# ---------------------------------------------------------------- rgb_to_grey
@pytest.mark.points(1)
def test_rgb_to_grey_matches_opencv_and_weights_red_by_0_299(exercise, agrees_with_reference):
    rng = np.random.default_rng(0)
    rgb = rng.random((2, 3, 8, 9), dtype=np.float32)                       # (B, 3, H, W)
    got = exercise.rgb_to_grey(torch.from_numpy(rgb))
    expected = np.stack([cv2.cvtColor(np.ascontiguousarray(img.transpose(1, 2, 0)), cv2.COLOR_RGB2GRAY)
                         for img in rgb])
    assert tuple(got.shape) == (2, 8, 9), f"expected (B, H, W) = (2, 8, 9), got {tuple(got.shape)}"
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5, err_msg="expected OpenCV's COLOR_RGB2GRAY")
    red = exercise.rgb_to_grey(torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1)).item()
    assert red == pytest.approx(0.299, abs=1e-6), (
        f"a pure red pixel (channel 0) should give 0.299, got {red:.4f} (0.114 means red and blue are swapped: "
        f"the channels are RGB, not OpenCV's BGR)")
    agrees_with_reference(got, lambda ref: ref.rgb_to_grey(torch.from_numpy(rgb)))


# ---------------------------------------------------------------- log_spectrum
@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SIZES, ids=SIZE_IDS)
def test_log_spectrum_matches_scipy_fft_over_a_batch(exercise, agrees_with_reference, shape):
    grey = np.random.default_rng(1).random((3, *shape))
    got = exercise.log_spectrum(torch.from_numpy(grey))
    expected = np.log(np.abs(scipy.fft.fftshift(scipy.fft.fft2(grey), axes=(-2, -1))) + 1e-8)
    assert tuple(got.shape) == grey.shape, f"expected shape {grey.shape}, got {tuple(got.shape)}"
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6, err_msg=(
        "expected log(|fftshift(fft2(grey))| + eps) with the shift over the last two axes only"))
    dc = got[0, shape[0] // 2, shape[1] // 2].item()
    assert dc == pytest.approx(np.log(grey[0].sum()), rel=1e-6), (
        f"the zero frequency (log of the pixel sum, {np.log(grey[0].sum()):.4f}) should sit at "
        f"({shape[0] // 2}, {shape[1] // 2}) after fftshift; found {dc:.4f} there")
    agrees_with_reference(got, lambda ref: ref.log_spectrum(torch.from_numpy(grey)))


@pytest.mark.points(1)
def test_log_spectrum_of_a_constant_image_is_finite(exercise):
    got = exercise.log_spectrum(torch.full((16, 16), 0.5, dtype=torch.float64))
    assert torch.isfinite(got).all(), "every frequency but DC is exactly 0 here: add eps before the log"
    assert got[0, 0].item() == pytest.approx(np.log(1e-8), abs=1e-3), (
        f"a zero magnitude should give log(eps) = {np.log(1e-8):.2f}, got {got[0, 0].item():.2f}")


# ---------------------------------------------------------------- radius_map
@pytest.mark.points(1)
@pytest.mark.parametrize("shape", SIZES, ids=SIZE_IDS)
def test_radius_map_is_centred_on_dc_at_n_over_2(exercise, agrees_with_reference, shape):
    got = exercise.radius_map(*shape)
    ys, xs = np.mgrid[:shape[0], :shape[1]]
    expected = np.rint(np.hypot(ys - shape[0] // 2, xs - shape[1] // 2))
    assert tuple(got.shape) == shape, f"expected shape {shape}, got {tuple(got.shape)}"
    zero = np.argwhere(got.numpy() == 0).tolist()
    assert zero == [[shape[0] // 2, shape[1] // 2]], (
        f"radius 0 must be exactly where fftshift puts DC, (H // 2, W // 2) = {(shape[0] // 2, shape[1] // 2)}; "
        f"got {zero} (centring at (N - 1) / 2 is the classic half-pixel mistake)")
    np.testing.assert_array_equal(got.numpy(), expected, err_msg="expected the rounded distance from DC")
    agrees_with_reference(got, lambda ref: ref.radius_map(*shape))


# ---------------------------------------------------------------- azimuthal_average
@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SIZES, ids=SIZE_IDS)
def test_azimuthal_average_matches_numpy_ring_means(exercise, agrees_with_reference, shape):
    batch = np.random.default_rng(2).random((2, 3, *shape))
    got = exercise.azimuthal_average(torch.from_numpy(batch))
    rings = min(shape) // 2 + 1
    assert tuple(got.shape) == (2, 3, rings), f"expected (2, 3, min(H, W) // 2 + 1) = (2, 3, {rings}), got {tuple(got.shape)}"
    expected = np.stack([[_ring_means(image) for image in row] for row in batch])
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, err_msg=(
        "expected the mean over each ring of rounded radius r = 0 .. min(H, W) // 2 around (H // 2, W // 2)"))
    agrees_with_reference(got, lambda ref: ref.azimuthal_average(torch.from_numpy(batch)))


@pytest.mark.points(1)
@pytest.mark.parametrize("frequency", [5, 12, 20], ids=["5cycles", "12cycles", "20cycles"])
def test_azimuthal_average_of_a_grating_peaks_at_its_frequency(exercise, frequency):
    grey = _grating(64, 64, [(1.0, frequency, 0), (1.0, 0, frequency)])    # +-f on both axes
    spectrum = np.abs(scipy.fft.fftshift(scipy.fft.fft2(grey)))
    profile = exercise.azimuthal_average(torch.from_numpy(spectrum)).numpy()
    assert int(np.argmax(profile)) == frequency, (
        f"a grating of {frequency} cycles per image should peak at radius {frequency}, "
        f"got {int(np.argmax(profile))}")


# ---------------------------------------------------------------- durall_features
@pytest.mark.points(2)
def test_durall_features_match_the_recipe_and_ignore_image_size(exercise, agrees_with_reference):
    images = [torch.from_numpy(np.repeat(0.5 + 0.2 * _grating(n, n, [(1.0, n // 4, 0)])[None], 3, axis=0))[None]
              for n in (64, 128)]                                # a grating at half the Nyquist radius in both
    got = [exercise.durall_features(image, length=33) for image in images]
    for image, features in zip(images, got):
        n = image.shape[-1]
        assert tuple(features.shape) == (1, 33), f"{n} px: expected (1, 33) features, got {tuple(features.shape)}"
        grey = image[0, 0].numpy()
        profile = _ring_means(np.log(np.abs(scipy.fft.fftshift(scipy.fft.fft2(grey))) + 1e-8))
        resampled = np.interp(np.linspace(0, len(profile) - 1, 33), np.arange(len(profile)), profile)
        expected = (resampled - resampled.min()) / (resampled.max() - resampled.min())
        np.testing.assert_allclose(features[0].numpy(), expected, atol=1e-5, err_msg=(
            f"{n} px: expected grey -> log spectrum -> ring means -> 33 points (np.interp, ends kept) -> min-max"))
        assert int(np.argmax(features[0, 2:])) + 2 == 16, (
            f"{n} px: a grating at half the Nyquist radius should peak at feature 16 of 33, "
            f"got {int(np.argmax(features[0, 2:])) + 2}")
    agrees_with_reference(got[0], lambda ref: ref.durall_features(images[0], length=33))


# ---------------------------------------------------------------- high_frequency_ratio
@pytest.mark.points(2)
def test_high_frequency_ratio_is_the_energy_share_of_a_two_tone_grating(exercise, agrees_with_reference):
    # amplitude 2 at 4 cycles (low), amplitude 1 at 24 of 32 Nyquist (high): energy 4 : 1, DC excluded
    grey = torch.from_numpy(3.0 + _grating(64, 64, [(2.0, 4, 0), (1.0, 0, 24)]))
    got = exercise.high_frequency_ratio(grey, cutoff=0.5)
    assert float(got) == pytest.approx(1 / 5, abs=1e-6), (
        f"expected the high share 1^2 / (2^2 + 1^2) = 0.2 (DC left out), got {float(got):.4f}")
    flat = exercise.high_frequency_ratio(torch.full((2, 16, 16), 0.7, dtype=torch.float64))
    assert torch.isfinite(flat).all() and torch.all(flat == 0), f"a constant image has no energy: expected 0, got {flat}"
    agrees_with_reference(got, lambda ref: ref.high_frequency_ratio(grey, cutoff=0.5))


# ---------------------------------------------------------------- upsampling_peak
@pytest.mark.points(2)
def test_upsampling_peak_scores_the_generators_upsampled_fakes_above_their_real_twins(exercise, agrees_with_reference):
    faces = SyntheticFaces(make_clips(24, num_frames=1, size=96, seed=0, manipulations=("upsample",)))
    labels, scores = [], []
    for video in faces:                            # crops at their natural size: no resize to blur the peak
        image = video.faces().double() / 255
        scores.append(float(exercise.upsampling_peak(image)[0]))
        labels.append(video.label)
    pairs = np.array(scores).reshape(-1, 2)        # (real, fake) twins, same seed
    higher = float(np.mean(pairs[:, 1] > pairs[:, 0]))
    auc = roc_auc_score(labels, scores)
    assert higher >= 0.9 and auc >= 0.9, (
        f"the 2x up-sampled fake should rise at Nyquist above its real twin: fake higher in {higher:.0%} "
        f"of 12 pairs, AUC {auc:.3f} (expected >= 90 % and >= 0.9)")
    agrees_with_reference(scores[0], lambda ref: float(ref.upsampling_peak(faces[0].faces().double() / 255)[0]))


# ---------------------------------------------------------------- hinge_loss
@pytest.mark.points(1)
def test_hinge_loss_matches_scikit_learn(exercise, agrees_with_reference):
    logits = torch.tensor([2.0, -0.5, 0.3, -3.0, 1.0, 0.0], requires_grad=True)
    labels = torch.tensor([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    got = exercise.hinge_loss(logits, labels)
    expected = hinge_loss(labels.numpy().astype(int), logits.detach().numpy())
    assert torch.is_tensor(got) and got.dim() == 0, f"expected a scalar tensor, got {got!r}"
    assert got.item() == pytest.approx(expected, rel=1e-6), f"expected scikit-learn's hinge loss {expected:.4f}, got {got.item():.4f}"
    got.backward()
    assert logits.grad[0].item() == 0 and logits.grad[3].item() == 0, (
        "samples beyond the margin (y * logit >= 1) should get no gradient")
    agrees_with_reference(got, lambda ref: ref.hinge_loss(logits, labels))


# ---------------------------------------------------------------- SpectrumClassifier
@pytest.mark.points(2)
def test_spectrum_classifier_is_linear_in_durall_features(exercise):
    model = exercise.SpectrumClassifier(length=16)
    images = torch.rand(1, 3, 40, 40)
    logits = model(images)
    assert tuple(logits.shape) == (1,), f"a batch of one should give logits of shape (1,), got {tuple(logits.shape)}"
    assert isinstance(model.linear, torch.nn.Linear) and tuple(model.linear.weight.shape) == (1, 16), (
        f"expected linear = Linear(16, 1), got {model.linear}")
    with torch.no_grad():
        model.linear.weight.copy_(torch.arange(16.0))
        model.linear.bias.fill_(-2.0)
        features = exercise.durall_features(images, length=16)
        expected = features[0] @ torch.arange(16.0) - 2.0
    assert model(images).item() == pytest.approx(expected.item(), rel=1e-5), (
        "expected logit = linear(durall_features(x, length))")
