"""Perturbations do what they say, measured on their output: the JPEG quality recovered from the quantisation
steps (phase 3's estimate against the IJG table), the H.264 CRF written by the real encoder, blur sigma,
noise std, resize bandwidth and brightness offset measured; strict spec parsing."""
import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage import data

from dfkit.curriculum import load
from dfkit.perturb import PERTURBATIONS, key, parse_spec, perturb
from dfkit.video import read_frames, write_video

# The JPEG standard's (Annex K) luminance quantisation table, first three rows, and libjpeg's quality scaling.
IJG_LUMA = np.array([[16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
                     [14, 13, 16, 24, 40, 57, 69, 56]])


def ijg_step(u, v, quality):
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return int(np.clip((IJG_LUMA[u, v] * scale + 50) // 100, 1, 255))


def flat(value, shape=(2, 128, 128, 3)):
    return np.full(shape, value, np.uint8)


@pytest.mark.parametrize("quality", [90, 70, 50, 30], ids=["quality 90", "quality 70", "quality 50", "quality 30"])
def test_jpeg_quality_is_recovered_from_the_quantisation_steps(quality):
    dct = load("phase3_frequency_analysis.template_dct_analysis")
    out = perturb(data.astronaut()[None], "jpeg", quality)[0].astype(np.float64)
    luma = 0.299 * out[..., 0] + 0.587 * out[..., 1] + 0.114 * out[..., 2]  # JPEG's Y (its block grid: 8 x 8 from 0)
    coefficients = dct.block_dct(torch.from_numpy(luma))
    for u, v in [(0, 1), (1, 0), (1, 1), (0, 2), (2, 0)]:
        step = dct.estimate_quantisation_step(dct.coefficient_histogram(coefficients, u, v, 100))
        assert step == ijg_step(u, v, quality), f"coefficient ({u}, {v}) at quality {quality}: step {step}"


def sei_options(path):
    """x264's settings string, which it writes into the stream (an SEI message)."""
    raw = path.read_bytes()
    start = raw.index(b"x264 - core")
    return raw[start:raw.index(b"\x00", start)].decode("ascii", "replace")


def test_h264_goes_through_the_real_encoder_at_its_crf(tmp_path):
    frames = np.stack([np.roll(data.astronaut()[::4, ::4], 3 * t, axis=1) for t in range(6)])
    psnr = []
    for crf in (23, 32, 40):
        out = perturb(frames, "h264", crf)
        reference, _ = read_frames(write_video(tmp_path / f"crf{crf}.mp4", frames, fps=25, crf=crf))
        gap = np.abs(out.astype(float) - reference).mean()  # libx264's mbtree is not always bit-exact
        assert gap < 0.5, f"the perturbation is write_video + read_frames at that CRF: mean difference {gap:.2f}"
        assert f" crf={crf}.0 " in sei_options(tmp_path / f"crf{crf}.mp4")
        error = ((out.astype(float) - frames) ** 2).mean()
        psnr.append(10 * np.log10(255 ** 2 / error))
    assert psnr[0] > psnr[1] > psnr[2], f"PSNR {psnr} should fall as the CRF rises"
    odd = perturb(frames[:, :63, :61], "h264", 23)
    assert odd.shape == (6, 63, 61, 3), "odd sizes come back at their own size"


@pytest.mark.parametrize("sigma", [1.0, 2.0, 3.0], ids=["sigma 1", "sigma 2", "sigma 3"])
def test_blur_sigma_is_measured_on_an_edge(sigma):
    frame = flat(30, (1, 64, 128, 3))
    frame[:, :, 64:] = 230
    row = perturb(frame, "blur", sigma)[0, 32, :, 0].astype(float)
    spread = np.diff(row)  # the edge's derivative: a sampled Gaussian of the blur's sigma
    x = np.arange(len(spread)) + 0.5
    mean = (spread * x).sum() / spread.sum()
    measured = np.sqrt((spread * (x - mean) ** 2).sum() / spread.sum() - 1 / 12)  # minus the unit step's width
    assert measured == pytest.approx(sigma, rel=0.06)
    oracle = ndimage.gaussian_filter(frame[0, ..., 0].astype(float), sigma, mode="reflect")
    assert np.abs(perturb(frame, "blur", sigma)[0, ..., 0] - oracle).max() <= 1.5, "as SciPy's Gaussian filter"


@pytest.mark.parametrize("std", [0.01, 0.03], ids=["std 0.01", "std 0.03"])
def test_noise_std_is_measured_and_seeded(std):
    frames = flat(128, (2, 256, 256, 3))
    out = perturb(frames, "noise", std, seed=7)
    difference = out.astype(float) - frames
    assert difference.std() == pytest.approx(np.sqrt((255 * std) ** 2 + 1 / 12), rel=0.02)  # + rounding
    assert abs(difference.mean()) < 0.05
    assert np.array_equal(out, perturb(frames, "noise", std, seed=7)), "same seed, same noise"
    assert not np.array_equal(out, perturb(frames, "noise", std, seed=8))


def grating(frequency, size=128):
    """(1, size, size, 3) uint8 vertical stripes 128 + 60 cos(2 pi f x), f in cycles per px."""
    x = np.arange(size)
    row = 128 + 60 * np.cos(2 * np.pi * frequency * x)
    return np.repeat(np.broadcast_to(row, (size, size))[None, ..., None], 3, axis=-1).round().astype(np.uint8)


def amplitude(frame, frequency):
    x = np.arange(frame.shape[1])
    centred = frame[..., 0].astype(float) - frame[..., 0].mean()
    return 2 * np.hypot((centred * np.cos(2 * np.pi * frequency * x)).mean(),
                        (centred * np.sin(2 * np.pi * frequency * x)).mean())


@pytest.mark.parametrize("scale", [0.75, 0.5], ids=["scale 0.75", "scale 0.5"])
def test_resize_keeps_the_size_and_loses_detail_above_its_nyquist(scale):
    low, high = 0.05, (scale / 2 + 0.5) / 2  # well below / above the new Nyquist frequency, scale / 2
    for frequency, keeps in ((low, True), (high, False)):
        out = perturb(grating(frequency), "resize", scale)
        assert out.shape == (1, 128, 128, 3)
        kept = amplitude(out[0], frequency) / amplitude(grating(frequency)[0], frequency)
        assert (kept > 0.8) if keeps else (kept < 0.15), f"{frequency:.3f} cycles/px keeps {kept:.2f} of its amplitude"


@pytest.mark.parametrize("offset", [0.2, -0.1], ids=["brighter 0.2", "darker 0.1"])
def test_brightness_offset_is_measured(offset):
    out = perturb(flat(100), "brightness", offset).astype(float)
    assert (out - 100).mean() == pytest.approx(round(255 * offset), abs=0.5)
    assert perturb(flat(250), "brightness", 0.2).max() == 255, "clipped at white"


def test_every_perturbation_keeps_shape_and_dtype():
    frames = np.stack([data.astronaut()[::8, ::8]] * 2)
    for name in PERTURBATIONS:
        level = parse_spec(f"{name}:{ {'jpeg': 50, 'h264': 30}.get(name, 0.5) }")[0][1]
        out = perturb(frames, name, level)
        assert out.shape == frames.shape and out.dtype == np.uint8, name


GOOD = {"jpeg:90,70": [("jpeg", 90), ("jpeg", 70)], "blur:1,2.5": [("blur", 1.0), ("blur", 2.5)],
        "noise:0.01": [("noise", 0.01)], "resize:0.75,0.5": [("resize", 0.75), ("resize", 0.5)],
        "h264:23,40": [("h264", 23), ("h264", 40)], "brightness:-0.2,0.1": [("brightness", -0.2), ("brightness", 0.1)]}
BAD = {"unknown name": "sharpen:1", "no level": "jpeg", "empty level": "jpeg:", "quality 0": "jpeg:0",
       "quality 101": "jpeg:101", "fractional quality": "jpeg:50.5", "negative blur": "blur:-1",
       "zero noise": "noise:0", "resize 1": "resize:1", "resize above 1": "resize:1.5", "crf 52": "h264:52",
       "zero brightness": "brightness:0", "not a number": "blur:abc", "nan": "blur:nan",
       "level twice": "jpeg:50,50", "trailing comma": "jpeg:50,"}


@pytest.mark.parametrize("spec", sorted(GOOD))
def test_specs_parse(spec):
    assert parse_spec(spec) == GOOD[spec]
    assert [key(*pair) for pair in GOOD[spec]] == [f"{spec.split(':')[0]}:{level:g}" for _, level in GOOD[spec]]


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_specs_are_refused(case):
    with pytest.raises(ValueError):
        parse_spec(BAD[case])
