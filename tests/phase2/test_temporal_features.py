"""Graded tests for phase2_temporal_analysis/template_temporal_features.py.

Ground truth: hand-written arrays, analytic sinusoids (Parseval; a sine's power A^2 / 2 in its bin),
PyTorch's / NumPy's cosine formula, Gaussian noise of known sigma (sqrt(12) sigma of jitter), and the
synthetic generator's temporal-only fakes ("relight": a per-frame colour gain; "flicker": a per-frame
jitter of the swap region) against their real twins of the same seed.
"""
import numpy as np
import pytest
import torch

from dfkit.synthetic import make_clip

pytestmark = pytest.mark.exercise("phase2_temporal_analysis.template_temporal_features")

FPS, T, SIZE = 25.0, 32, 64


def twins(manipulation, seed=3):
    real = make_clip(seed=seed, num_frames=T, size=SIZE, fps=FPS)
    fake = make_clip(seed=seed, num_frames=T, size=SIZE, fps=FPS, fake=True, manipulations=(manipulation,))
    return real, fake


# ---------------------------------------------------------------- frame_differences
@pytest.mark.points(1)
def test_frame_differences_by_hand_without_uint8_wraparound(exercise, agrees_with_reference):
    frames = np.zeros((3, 2, 2, 3), np.uint8)
    frames[0, 0, 0] = (5, 5, 5)
    frames[1, 0, 0] = (3, 9, 0)      # |3-5|, |9-5|, |0-5| -> mean 11 / 3
    frames[2, 1, 1] = (30, 0, 0)     # pixel (0, 0) back to 0 (mean 4), pixel (1, 1) up by 30 / 3 = 10
    got = exercise.frame_differences(frames)
    expected = np.zeros((2, 2, 2), np.float32)
    expected[0, 0, 0], expected[1, 0, 0], expected[1, 1, 1] = 11 / 3, 4, 10
    assert np.shape(got) == (2, 2, 2), f"expected (T - 1, H, W) = (2, 2, 2), got {np.shape(got)}"
    np.testing.assert_allclose(got, expected, atol=1e-5, err_msg="uint8 subtraction wraps around: convert to float")
    agrees_with_reference(got, lambda ref: ref.frame_differences(frames))


@pytest.mark.points(2)
def test_frame_differences_light_up_the_relit_face_not_the_background(exercise):
    real, fake = twins("relight")
    got_real, got_fake = exercise.frame_differences(real.frames), exercise.frame_differences(fake.frames)
    face, background = fake.masks[1:] > 0.99, fake.masks[1:] < 0.01
    gain = got_fake[face].mean() / got_real[face].mean()
    assert gain > 2.0, f"expected the relit face to change > 2x more between frames than its real twin, got {gain:.2f}x"
    assert got_fake[background].mean() == pytest.approx(got_real[background].mean(), abs=0.05), (
        "the background is identical in both clips: its differences should be too")


# ---------------------------------------------------------------- colour_trace
@pytest.mark.points(1)
def test_colour_trace_is_the_weighted_mean_per_frame(exercise, agrees_with_reference):
    frames = np.zeros((2, 1, 2, 3))
    frames[:, 0, 0] = [[10, 20, 30], [1, 2, 3]]
    frames[:, 0, 1] = [[50, 60, 70], [5, 6, 7]]
    masks = np.array([[[1.0, 3.0]], [[0.0, 2.0]]])  # frame 0: weights 1:3, frame 1: only pixel 1
    got = exercise.colour_trace(frames, masks)
    np.testing.assert_allclose(got, [[40, 50, 60], [5, 6, 7]], err_msg="expected sum(w x) / sum(w) per frame")
    np.testing.assert_allclose(exercise.colour_trace(frames), [[30, 40, 50], [3, 4, 5]],
                               err_msg="without a mask: the plain mean of the frame")
    agrees_with_reference(got, lambda ref: ref.colour_trace(frames, masks))


@pytest.mark.points(1)
def test_colour_trace_rejects_an_empty_mask(exercise):
    with pytest.raises(ValueError):
        exercise.colour_trace(np.ones((2, 2, 2, 3)), np.stack([np.ones((2, 2)), np.zeros((2, 2))]))


# ---------------------------------------------------------------- temporal_spectrum
@pytest.mark.points(2)
@pytest.mark.parametrize("frames", [50, 51], ids=["even_length", "odd_length"])
def test_temporal_spectrum_puts_a_sines_power_in_its_bin(exercise, frames, agrees_with_reference):
    t = np.arange(frames) / FPS
    amplitude, hz = 3.0, 5.0 if frames == 50 else FPS * 10 / frames  # an exact bin either way
    trace = 7.0 + amplitude * np.sin(2 * np.pi * hz * t)
    freqs, power = exercise.temporal_spectrum(trace, FPS)
    np.testing.assert_allclose(freqs, np.fft.rfftfreq(frames, 1 / FPS), err_msg="expected rfftfreq(T, 1 / fps) in Hz")
    peak = int(np.argmax(power))
    assert freqs[peak] == pytest.approx(hz), f"expected the peak at {hz:.3f} Hz, got {freqs[peak]:.3f} Hz"
    assert power[peak] == pytest.approx(amplitude**2 / 2, rel=1e-6), (
        f"a sine of amplitude {amplitude} has power A^2/2 = {amplitude**2 / 2}; got {power[peak]:.4f} "
        "(one-sided bins count twice)")
    assert power[0] == pytest.approx(0.0, abs=1e-9), "the mean (7.0) must be removed before the transform"
    agrees_with_reference(power, lambda ref: ref.temporal_spectrum(trace, FPS)[1])


@pytest.mark.points(1)
@pytest.mark.parametrize("frames", [32, 33], ids=["even_length", "odd_length"])
def test_temporal_spectrum_obeys_parseval_per_channel(exercise, frames):
    trace = np.random.default_rng(0).normal(size=(frames, 3)) * [1.0, 2.0, 0.5]
    _, power = exercise.temporal_spectrum(trace, FPS)
    assert np.shape(power) == (frames // 2 + 1, 3), f"expected ({frames // 2 + 1}, 3), got {np.shape(power)}"
    np.testing.assert_allclose(power.sum(0), trace.var(0), rtol=1e-9,
                               err_msg="power summed over frequencies must equal each channel's variance")


# ---------------------------------------------------------------- high_frequency_share
@pytest.mark.points(1)
def test_high_frequency_share_of_slow_and_fast_sines(exercise):
    t = np.arange(50) / FPS
    slow, fast = np.sin(2 * np.pi * 1.0 * t), np.sin(2 * np.pi * 8.0 * t)
    assert exercise.high_frequency_share(slow, FPS) == pytest.approx(0.0, abs=1e-9)
    assert exercise.high_frequency_share(fast, FPS) == pytest.approx(1.0, abs=1e-9)
    mix = exercise.high_frequency_share(slow + 0.5 * fast, FPS)
    assert mix == pytest.approx(0.2, abs=1e-9), f"expected 0.25 / (1 + 0.25) = 0.2 of the power above 3 Hz, got {mix}"
    assert exercise.high_frequency_share(np.full(10, 4.0), FPS) == 0.0, "a constant trace has no temporal variance"


@pytest.mark.points(2)
@pytest.mark.parametrize("manipulation", ["relight", "flicker"])
def test_high_frequency_share_separates_temporal_fakes_from_their_real_twins(exercise, manipulation):
    real, fake = twins(manipulation)
    mask = fake.masks  # the manipulated region; the same pixels of the real twin
    got_real = exercise.high_frequency_share(exercise.colour_trace(real.frames, mask), FPS)
    got_fake = exercise.high_frequency_share(exercise.colour_trace(fake.frames, mask), FPS)
    assert got_fake > 0.5 and got_real < 0.3, (
        f"expected most of the fake's colour variance above 3 Hz (white jitter: about 0.76) and little of the "
        f"real twin's (slow motion and pulse); got fake {got_fake:.2f}, real {got_real:.2f}")


# ---------------------------------------------------------------- consecutive_similarity
@pytest.mark.points(1)
def test_consecutive_similarity_against_the_cosine_formula(exercise, agrees_with_reference):
    e = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0], [0.0, -3.0]])
    got = exercise.consecutive_similarity(e)
    expected = [1 / np.sqrt(2), 1 / np.sqrt(2), -1.0]
    assert tuple(got.shape) == (3,), f"expected (T - 1,) = (3,), got {tuple(got.shape)}"
    np.testing.assert_allclose(torch.as_tensor(got).numpy(), expected, atol=1e-6,
                               err_msg="expected e[t] . e[t+1] / (|e[t]| |e[t+1]|)")
    agrees_with_reference(got, lambda ref: ref.consecutive_similarity(e))


# ---------------------------------------------------------------- landmark_jitter
@pytest.mark.points(1)
def test_landmark_jitter_of_uniform_motion_is_zero_and_of_a_kick_is_hand_computed(exercise):
    steady = np.cumsum(np.ones((6, 4, 2)), axis=0)  # constant velocity: no acceleration
    assert exercise.landmark_jitter(steady) == pytest.approx(0.0, abs=1e-12)
    kicked = steady.copy()
    kicked[2, 0] += (3.0, 4.0)  # one point 5 px off in one frame: second differences 5, 10, 5 px
    expected = np.sqrt((25 + 100 + 25) / (4 * 4))  # over 4 time steps x 4 points
    assert exercise.landmark_jitter(kicked) == pytest.approx(expected), (
        f"expected sqrt(mean ||l[t+1] - 2 l[t] + l[t-1]||^2) = {expected:.4f}")


@pytest.mark.points(2)
def test_landmark_jitter_of_noisy_generator_landmarks_is_sqrt12_sigma(exercise):
    clip = make_clip(seed=1, num_frames=256, size=SIZE, fps=FPS)
    smooth = exercise.landmark_jitter(clip.landmarks)
    sigma = 0.7
    noisy = clip.landmarks + np.random.default_rng(0).normal(0, sigma, clip.landmarks.shape)
    got = exercise.landmark_jitter(noisy)
    assert smooth < 0.05, f"the generator's head motion is smooth: expected < 0.05 px/frame^2, got {smooth:.3f}"
    assert got == pytest.approx(np.sqrt(12) * sigma, rel=0.05), (
        f"independent noise of sigma {sigma} px gives sqrt(12) sigma = {np.sqrt(12) * sigma:.3f}; got {got:.3f}")
