"""Graded tests for phase3_frequency_analysis/template_dct_analysis.py.

Ground truth: ``scipy.fft.dct`` / ``dctn`` with ``norm="ortho"``, NumPy's ``histogram``,
scikit-learn's ``StandardScaler``, and JPEG files written by OpenCV at a known quality, whose
quantisation steps are the standard's luminance table scaled by the IJG quality formula.
"""
import cv2
import numpy as np
import pytest
import scipy.fft
import torch
from skimage.data import astronaut
from sklearn.preprocessing import StandardScaler

pytestmark = pytest.mark.exercise("phase3_frequency_analysis.template_dct_analysis")
torch.set_num_threads(1)

# JPEG standard (ITU-T T.81, Annex K) luminance quantisation table at quality 50
LUMINANCE = np.array([[16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
                      [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
                      [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
                      [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]])


def _ijg_steps(quality):
    """The libjpeg (IJG) table at ``quality``: scale 5000 / Q below 50, 200 - 2 Q from 50."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((LUMINANCE * scale + 50) / 100), 1, 255).astype(int)


def _jpeg_grey(quality):
    """skimage's astronaut in grey (512 px), JPEG-encoded by OpenCV at ``quality`` and decoded, minus 128."""
    grey = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2GRAY)
    ok, data = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE).astype(np.float64) - 128


# ---------------------------------------------------------------- dct_matrix
@pytest.mark.points(1)
@pytest.mark.parametrize("n", [8, 5], ids=["8x8", "5x5"])
def test_dct_matrix_is_scipys_orthonormal_dct_ii(exercise, agrees_with_reference, n):
    got = exercise.dct_matrix(n)
    expected = scipy.fft.dct(np.eye(n), type=2, norm="ortho", axis=0)
    assert tuple(got.shape) == (n, n), f"expected ({n}, {n}), got {tuple(got.shape)}"
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12, err_msg=(
        "expected D[k, i] = a_k cos(pi (2i + 1) k / 2n), a_0 = sqrt(1/n), a_k = sqrt(2/n)"))
    np.testing.assert_allclose((got @ got.T).numpy(), np.eye(n), atol=1e-12, err_msg="D @ D.T should be I")
    agrees_with_reference(got, lambda ref: ref.dct_matrix(n))


# ---------------------------------------------------------------- block_dct
@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(2, 32, 40), (1, 35, 27)], ids=["whole-blocks", "ragged-edges-cropped"])
def test_block_dct_matches_scipy_dctn_on_every_tile(exercise, agrees_with_reference, shape):
    grey = np.random.default_rng(0).uniform(0, 255, shape)
    got = exercise.block_dct(torch.from_numpy(grey))
    rows, cols = shape[1] // 8, shape[2] // 8
    assert tuple(got.shape) == (shape[0], rows, cols, 8, 8), (
        f"expected (B, H // 8, W // 8, 8, 8) = {(shape[0], rows, cols, 8, 8)}, got {tuple(got.shape)}")
    for b in range(shape[0]):
        for i in range(rows):
            for j in range(cols):
                expected = scipy.fft.dctn(grey[b, 8 * i:8 * i + 8, 8 * j:8 * j + 8], norm="ortho")
                np.testing.assert_allclose(got[b, i, j].numpy(), expected, atol=1e-9, err_msg=(
                    f"image {b}, block row {i}, block column {j}: expected scipy.fft.dctn(tile, norm='ortho')"))
    agrees_with_reference(got, lambda ref: ref.block_dct(torch.from_numpy(grey)))


# ---------------------------------------------------------------- log_dct_features
@pytest.mark.points(1)
def test_log_dct_features_put_coefficient_u_v_in_channel_8u_plus_v(exercise, agrees_with_reference):
    grey = np.random.default_rng(1).uniform(0, 255, (2, 16, 24))
    got = exercise.log_dct_features(torch.from_numpy(grey))
    assert tuple(got.shape) == (2, 64, 2, 3), f"expected (2, 64, 2, 3), got {tuple(got.shape)}"
    for u, v, i, j in [(0, 0, 0, 0), (0, 1, 1, 2), (3, 5, 0, 1), (7, 7, 1, 0)]:
        coefficient = scipy.fft.dctn(grey[1, 8 * i:8 * i + 8, 8 * j:8 * j + 8], norm="ortho")[u, v]
        assert got[1, 8 * u + v, i, j].item() == pytest.approx(np.log(abs(coefficient) + 1e-4), rel=1e-9), (
            f"channel 8u + v = {8 * u + v}, block ({i}, {j}): expected log(|coefficient ({u}, {v})| + eps)")
    flat = exercise.log_dct_features(torch.zeros(1, 8, 8, dtype=torch.float64))
    assert torch.isfinite(flat).all(), "a flat block has zero coefficients: add eps before the log"
    agrees_with_reference(got, lambda ref: ref.log_dct_features(torch.from_numpy(grey)))


# ---------------------------------------------------------------- fit_standardiser
@pytest.mark.points(1)
def test_fit_standardiser_matches_scikit_learns_standard_scaler(exercise, agrees_with_reference):
    features = np.random.default_rng(2).normal(3.0, 2.0, (50, 6))
    mean, std = exercise.fit_standardiser(torch.from_numpy(features))
    scaler = StandardScaler().fit(features)
    np.testing.assert_allclose(mean.numpy(), scaler.mean_, rtol=1e-10, err_msg="expected the per-feature mean")
    np.testing.assert_allclose(std.numpy(), scaler.scale_, rtol=1e-10, err_msg=(
        "expected the population standard deviation (divide by N, as StandardScaler does)"))
    agrees_with_reference(mean, lambda ref: ref.fit_standardiser(torch.from_numpy(features))[0])


# ---------------------------------------------------------------- coefficient_histogram
@pytest.mark.points(1)
def test_coefficient_histogram_matches_numpy(exercise, agrees_with_reference):
    coefficients = torch.from_numpy(np.random.default_rng(3).laplace(0, 6, (4, 10, 10, 8, 8)))
    got = exercise.coefficient_histogram(coefficients, 1, 2, limit=20)
    expected, _ = np.histogram(coefficients[..., 1, 2].numpy(), bins=np.arange(-20.5, 21.5))
    assert tuple(got.shape) == (41,), f"expected 2 * limit + 1 = 41 bins, got {tuple(got.shape)}"
    np.testing.assert_array_equal(got.numpy(), expected, err_msg=(
        "expected the counts of coefficient (1, 2) in unit bins centred on -20 ... 20"))
    agrees_with_reference(got, lambda ref: ref.coefficient_histogram(coefficients, 1, 2, limit=20))


# ---------------------------------------------------------------- estimate_quantisation_step
@pytest.mark.points(3)
@pytest.mark.parametrize("quality", [30, 50, 75, 90], ids=["jpeg_q30", "jpeg_q50", "jpeg_q75", "jpeg_q90"])
def test_quantisation_step_of_an_opencv_jpeg_is_the_standard_table(exercise, agrees_with_reference, quality):
    decoded = torch.from_numpy(_jpeg_grey(quality))
    coefficients = exercise.block_dct(decoded)
    steps = _ijg_steps(quality)
    for u, v in [(0, 1), (1, 0), (1, 1), (0, 2), (2, 1)]:
        histogram = exercise.coefficient_histogram(coefficients, u, v, limit=64)
        got = exercise.estimate_quantisation_step(histogram)
        assert got == steps[u, v], (
            f"JPEG quality {quality}, coefficient ({u}, {v}): the libjpeg table says step {steps[u, v]}, "
            f"you estimated {got}")
        agrees_with_reference(got, lambda ref: ref.estimate_quantisation_step(histogram))


# ---------------------------------------------------------------- DCTNet
@pytest.mark.points(2)
def test_dctnet_reads_the_standardised_log_dct_maps(exercise):
    model = exercise.DCTNet(width=8).eval()
    logits = model(torch.rand(1, 3, 32, 32))
    assert tuple(logits.shape) == (1,), f"a batch of one should give logits of shape (1,), got {tuple(logits.shape)}"
    assert isinstance(model.norm, torch.nn.BatchNorm2d) and model.norm.num_features == 64, (
        f"expected norm = BatchNorm2d(64), got {model.norm}")
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [(64, 8, (3, 3)), (8, 8, (3, 3))], (
        f"expected features = Conv2d(64, 8, 3), ReLU, Conv2d(8, 8, 3), ReLU, pool; got {model.features}")
    # A mean-grey picture and the same picture brightened by a constant differ only in DC (coefficient (0, 0)):
    # with norm's channel 0 set to ignore it, the logits must be equal.
    with torch.no_grad():
        model.norm.weight[0] = 0.0
        base = torch.rand(2, 3, 32, 32) * 0.5
        assert torch.allclose(model(base), model(base + 0.25), atol=1e-5), (
            "only channel 0 (the DC coefficient 8*0+0) should see a uniform brightness change")
