"""Graded tests for phase4_biological_signals/template_pulse_detection.py.

Ground truth: hand-drawn polygons, ``scipy.signal.butter`` + ``filtfilt``, ``scipy.signal.welch``,
analytic sines (a straight line is all trend; a sine at f Hz peaks at 60 f bpm), the synthetic
generator's ``pulse_bpm`` and its ``no_pulse`` fakes, also after the H.264 writer at CRF 23.
"""
import numpy as np
import pytest
from scipy import signal

from dfkit.synthetic import make_clip
from dfkit.video import read_frames, write_video

pytestmark = pytest.mark.exercise("phase4_biological_signals.template_pulse_detection")
FS = 25.0


@pytest.fixture(scope="module")
def clips():
    """A real clip and its no_pulse twin: 8 s at 25 fps, 96 px."""
    real = make_clip(seed=4, num_frames=200, size=96)
    fake = make_clip(seed=4, num_frames=200, size=96, fake=True, manipulations=("no_pulse",))
    return real, fake


@pytest.mark.points(1)
def test_skin_mask_covers_forehead_and_cheeks_not_eyes_or_mouth(exercise, clips, agrees_with_reference):
    real, _ = clips
    lm = real.landmarks[0]
    mask = np.asarray(exercise.skin_mask(lm, real.frames[0].shape))
    assert mask.shape == (96, 96) and mask.dtype == bool, f"expected a (96, 96) bool mask, got {mask.shape}"
    inside = lambda p: mask[int(round(p[1])), int(round(p[0]))]
    brow_top = (lm[19] + lm[24]) / 2 + 0.35 * (lm[27] - lm[30])
    cheeks = [(lm[41] + lm[31] + lm[48] + lm[3]) / 4, (lm[46] + lm[35] + lm[54] + lm[13]) / 4]
    assert inside(brow_top) and all(inside(c) for c in cheeks), "expected the forehead and both cheek centres inside"
    for name, index in (("an eye", 37), ("an eye", 44), ("the mouth", 62), ("the nose tip", 30)):
        assert not inside(lm[index]), f"{name} (landmark {index}) must stay outside the skin regions"
    agrees_with_reference(mask, lambda ref: ref.skin_mask(lm, real.frames[0].shape))


@pytest.mark.points(1)
def test_mean_rgb_is_the_mean_of_the_masked_pixels(exercise, clips):
    real, _ = clips
    got = np.asarray(exercise.mean_rgb(real.frames[:3], real.landmarks[:3]))
    masks = [exercise.skin_mask(lm, real.frames[0].shape) for lm in real.landmarks[:3]]
    expected = np.stack([frame[m].astype(np.float64).mean(0) for frame, m in zip(real.frames[:3], masks)])
    assert got.shape == (3, 3), f"expected (T, 3), got {got.shape}"
    np.testing.assert_allclose(got, expected, rtol=1e-9, err_msg="expected the mean R, G, B of the skin pixels")
    assert got[0, 0] > got[0, 2], "skin is redder than it is blue: are the channels in RGB order?"


@pytest.mark.points(2)
def test_detrend_removes_a_line_and_keeps_a_pulse(exercise, agrees_with_reference):
    t = np.arange(250) / FS
    line = 3.0 + 0.8 * t
    sine = np.sin(2 * np.pi * 1.2 * t)
    flat = np.asarray(exercise.detrend(line))
    np.testing.assert_allclose(flat, 0, atol=1e-6, err_msg="a straight line is all trend: nothing should remain")
    kept = np.asarray(exercise.detrend(line + sine))
    ratio = kept[25:-25].std() / sine[25:-25].std()
    assert 0.9 < ratio < 1.05, f"a 72 bpm pulse should pass the detrending almost whole; kept {ratio:.2f} of it"
    two = np.asarray(exercise.detrend(np.column_stack([line, sine])))
    assert two.shape == (250, 2), f"(T, C) input keeps its shape, got {two.shape}"
    agrees_with_reference(kept, lambda ref: ref.detrend(line + sine))


@pytest.mark.points(1)
def test_bandpass_matches_scipy_butter_filtfilt(exercise):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 3))
    got = np.asarray(exercise.bandpass(x, FS))
    b, a = signal.butter(3, (0.7, 4.0), btype="bandpass", fs=FS)
    np.testing.assert_allclose(got, signal.filtfilt(b, a, x, axis=0), atol=1e-9,
                               err_msg="expected scipy.signal.filtfilt of butter(3, (0.7, 4.0), 'bandpass', fs)")


def _rgb_with_pulse(bpm, seconds=10.0, amplitude=0.8):
    """A skin-coloured (T, 3) trace with a pulse of ``bpm`` (green strongest), a slow drift and noise."""
    t = np.arange(int(seconds * FS)) / FS
    rng = np.random.default_rng(int(bpm))
    pulse = amplitude * np.sin(2 * np.pi * bpm / 60 * t)
    drift = 4 * np.sin(2 * np.pi * 0.1 * t)
    base = np.array([190.0, 140.0, 110.0])
    return base + drift[:, None] + pulse[:, None] * [0.35, 1.0, 0.55] + 0.1 * rng.standard_normal((len(t), 3))


@pytest.mark.points(2)
@pytest.mark.parametrize("method", ["green", "chrom", "pos"], ids=["GREEN", "CHROM", "POS"])
def test_each_method_recovers_an_analytic_pulse(exercise, method, agrees_with_reference):
    rgb = _rgb_with_pulse(84.0)
    pulse = np.asarray(getattr(exercise, method)(rgb, FS))
    assert pulse.shape == (250,), f"expected a (T,) pulse, got {pulse.shape}"
    freqs, power = signal.periodogram(pulse, FS, nfft=4096)
    peak = 60 * freqs[np.argmax(power)]
    assert abs(peak - 84.0) < 2.0, f"{method}: the pulse's spectral peak should be at 84 bpm, got {peak:.1f}"
    agrees_with_reference(pulse, lambda ref: getattr(ref, method)(rgb, FS), rtol=1e-4, atol=1e-8)


@pytest.mark.points(1)
def test_power_spectrum_is_scipys_welch(exercise):
    x = np.sin(2 * np.pi * 1.5 * np.arange(300) / FS)
    freqs, power = exercise.power_spectrum(x, FS)
    f_ref, p_ref = signal.welch(x, fs=FS, nperseg=200, noverlap=100, nfft=2048, window="hann")
    np.testing.assert_allclose(freqs, f_ref, err_msg="expected Welch's frequencies (8 s segments, nfft 2048)")
    np.testing.assert_allclose(power, p_ref, rtol=1e-9, err_msg="expected scipy.signal.welch's power")


@pytest.mark.points(2)
def test_heart_rate_and_snr_of_analytic_signals(exercise, agrees_with_reference):
    t = np.arange(250) / FS
    clean = np.sin(2 * np.pi * 1.25 * t)
    hr = exercise.heart_rate(clean, FS)
    assert abs(hr - 75.0) < 1.0, f"a 1.25 Hz sine is 75 bpm, got {hr:.2f}"
    noise = np.random.default_rng(1).standard_normal(250)
    high, low = exercise.snr_db(clean + 0.1 * noise, FS, 75.0), exercise.snr_db(noise, FS, 75.0)
    assert high > 3 and low < 0, (
        f"SNR: a clean pulse should be well above 0 dB and white noise below it; got {high:.1f} and {low:.1f} dB")
    agrees_with_reference(high, lambda ref: ref.snr_db(clean + 0.1 * noise, FS, 75.0))


@pytest.mark.points(3)
@pytest.mark.parametrize("method", ["chrom", "pos"], ids=["CHROM", "POS"])
def test_heart_rate_of_clips_written_at_crf23_matches_pulse_bpm(exercise, method, tmp_path):
    """The pulse survives H.264 at CRF 23: the clip's true pulse_bpm from the decoded video."""
    errors = []
    for seed in (0, 1, 3):
        clip = make_clip(seed=seed, num_frames=200, size=128)
        path = write_video(tmp_path / f"{seed}.mp4", clip.frames, clip.fps, crf=23)
        frames, _ = read_frames(path)
        rgb = exercise.mean_rgb(frames, clip.landmarks)
        errors.append(abs(exercise.heart_rate(getattr(exercise, method)(rgb, clip.fps), clip.fps) - clip.pulse_bpm))
    assert max(errors) < 4.0, (
        f"{method} after CRF 23: |HR - pulse_bpm| should stay under 4 bpm, got {np.round(errors, 1)}")


@pytest.mark.points(2)
def test_pulse_features_separate_a_real_clip_from_its_no_pulse_twin(exercise, clips):
    real, fake = clips
    got_real = np.asarray(exercise.pulse_features(exercise.mean_rgb(real.frames, real.landmarks), FS))
    got_fake = np.asarray(exercise.pulse_features(exercise.mean_rgb(fake.frames, fake.landmarks), FS))
    assert got_real.shape == (4,), f"expected 4 features (PULSE_FEATURES), got {got_real.shape}"
    assert abs(got_real[2] - real.pulse_bpm) < 3, f"hr_pos_bpm {got_real[2]:.1f} vs the clip's {real.pulse_bpm:.1f}"
    assert got_real[0] > got_fake[0] + 3, (f"POS SNR: the real clip's pulse ({got_real[0]:.1f} dB) should beat its "
                                           f"no_pulse twin's ({got_fake[0]:.1f} dB) by 3 dB")
