"""Each manipulation leaves its cue, measured against the real clip of the same seed."""
import cv2
import numpy as np
import pytest

from dfkit.synthetic import make_clip

T, SIZE = 12, 128


def pair(manipulations, seed=11, strength=1.0, size=SIZE, **kw):
    real = make_clip(seed=seed, num_frames=T, size=size, **kw)
    fake = make_clip(seed=seed, num_frames=T, size=size, fake=True, manipulations=manipulations,
                     strength=strength, **kw)
    return real, fake


def abs_diff(a, b):
    return np.abs(a.astype(np.float32) - b.astype(np.float32)).mean(-1)  # (T, H, W)


@pytest.mark.parametrize("blend_source", ["other", "self"])
def test_blend_changes_the_face_inside_the_mask_only(blend_source):
    real, fake = pair(("blend",), blend_source=blend_source)
    mask, box = fake.masks, fake.boxes
    h, w = mask.shape[1:]
    ys, xs = np.mgrid[0:h, 0:w]
    for t in range(T):
        x0, y0, x1, y1 = box[t]
        margin = 0.1 * (x1 - x0)
        near_box = (xs >= x0 - margin) & (xs <= x1 + margin) & (ys >= y0 - margin) & (ys <= y1 + margin)
        assert not np.any((mask[t] > 0.01) & ~near_box), f"frame {t}: mask outside the face box {box[t]}"
        inner = (np.abs(xs - (x0 + x1) / 2) < 0.2 * (x1 - x0)) & (np.abs(ys - (y0 + y1) / 2) < 0.2 * (y1 - y0))
        assert mask[t][inner].min() > 0.9, f"frame {t}: mask does not cover the face centre"
    diff = abs_diff(real.frames, fake.frames)
    inside, outside = diff[mask > 0.5].mean(), diff[mask < 0.01].mean()
    assert inside > 4.0, f"expected the blended face to differ from the real one (> 4 levels), got {inside:.2f}"
    assert outside < 0.05, f"expected no change outside the mask, got mean abs diff {outside:.3f}"


def test_blend_strength_scales_the_colour_mismatch():
    diffs = []
    for strength in (0.2, 1.0):
        real, fake = pair(("blend",), strength=strength)
        diffs.append(abs_diff(real.frames, fake.frames)[fake.masks > 0.5].mean())
    assert diffs[0] < 0.5 * diffs[1], f"strength 0.2 vs 1.0 gave mean diffs {diffs}"


@pytest.mark.parametrize("seed", [3, 11, 19])
def test_blend_swaps_in_a_smoother_generated_face(seed):
    """The swapped-in face lacks the fine skin texture of the camera face it replaces."""
    real, fake = pair(("blend",), seed=seed, size=256)
    inner = fake.masks[0] > 0.95

    def fine_detail(clip):  # Laplacian energy of the first frame inside the swap region
        gray = cv2.cvtColor(clip.frames[0], cv2.COLOR_RGB2GRAY).astype(np.float32)
        return np.abs(cv2.Laplacian(gray, cv2.CV_32F))[inner].mean()

    assert fine_detail(fake) < 0.75 * fine_detail(real), \
        f"Laplacian energy inside the swap: fake {fine_detail(fake):.2f}, real {fine_detail(real):.2f}"


def test_flicker_makes_the_region_jump_between_frames():
    real, fake = pair(("flicker",))
    region = fake.masks[1:] > 0.5

    def temporal_change(clip):
        return abs_diff(clip.frames[1:], clip.frames[:-1])

    fake_change, real_change = temporal_change(fake)[region].mean(), temporal_change(real)[region].mean()
    assert fake_change > 3 * real_change, \
        f"frame-to-frame change in mask: fake {fake_change:.2f}, real {real_change:.2f}"
    outside = fake.masks[1:] + fake.masks[:-1] < 0.01
    np.testing.assert_allclose(temporal_change(fake)[outside].mean(), temporal_change(real)[outside].mean(), atol=0.05)


def face_spectrum(clip, n=32):
    """Mean |FFT| (n, n) of the grey face patch centred on the nose tip (landmark 30)."""
    spectra = []
    for frame, lm in zip(clip.frames, clip.landmarks):
        cx, cy = np.round(lm[30]).astype(int)
        patch = frame[cy - n // 2:cy + n // 2, cx - n // 2:cx + n // 2].astype(np.float64).mean(-1)
        spectra.append(np.abs(np.fft.fft2(patch - patch.mean())))
    return np.mean(spectra, 0)


@pytest.mark.parametrize("strength", [1.0, 0.3])
def test_upsample_leaves_peaks_at_half_the_sampling_rate(strength):
    real, fake = pair(("upsample",), strength=strength)
    n = 32
    spec_real, spec_fake = face_spectrum(real, n), face_spectrum(fake, n)
    for u, v in ((n // 2, 0), (0, n // 2)):
        ratio = spec_fake[u, v] / spec_real[u, v]
        assert ratio > 5, f"expected a peak at ({u}, {v}) at least 5x the real clip's, got {ratio:.1f}x"
        ring = [((u + du) % n, (v + dv) % n) for du in range(-2, 3) for dv in range(-2, 3) if du or dv]
        neighbours = np.median([spec_fake[i, j] for i, j in ring])
        assert spec_fake[u, v] > 3 * neighbours, f"({u}, {v}) is not a local peak in the fake spectrum"
    if strength == 1.0:  # the diagonal peak is the product of row and column gains: depth squared
        ratio = spec_fake[n // 2, n // 2] / spec_real[n // 2, n // 2]
        assert ratio > 2, f"expected a peak at (N/2, N/2) over 2x the real clip's, got {ratio:.1f}x"
    assert (fake.masks > 0.5).mean() > 0.1


def test_manipulations_combine_and_masks_take_the_union():
    real, fake = pair(("blend", "upsample", "no_pulse"), seed=12)
    _, blend_only = pair(("blend",), seed=12)
    assert np.all(fake.masks >= blend_only.masks - 1e-6)
    assert fake.pulse_bpm is None and real.pulse_bpm is not None
