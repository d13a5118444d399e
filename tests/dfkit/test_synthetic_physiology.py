"""Blinks (eye aspect ratio from ground-truth landmarks) and pulse (skin colour spectrum)."""
import cv2
import numpy as np

from dfkit.synthetic import make_clip


def eye_aspect_ratio(landmarks):
    """(T,) mean EAR of both eyes, Soukupova & Cech: (|p2-p6| + |p3-p5|) / (2 |p1-p4|)."""
    ears = []
    for start in (36, 42):
        p = landmarks[:, start:start + 6]
        d = lambda i, j: np.linalg.norm(p[:, i] - p[:, j], axis=-1)  # noqa: E731
        ears.append((d(1, 5) + d(2, 4)) / (2 * d(0, 3)))
    return np.mean(ears, 0)


def test_real_blinks_drop_the_ear_only_inside_stated_intervals():
    fps = 25.0
    clip = make_clip(seed=21, num_frames=250, size=64, fps=fps, blink_rate_hz=0.4)
    ear = eye_aspect_ratio(clip.landmarks)
    open_ear = np.median(ear)
    assert 0.2 < open_ear < 0.45, f"open-eye EAR should look human (0.2-0.45), got {open_ear:.3f}"
    assert len(clip.blinks) >= 2, f"expected several blinks in 10 s at 0.4 Hz, got {clip.blinks}"
    in_blink = np.zeros(len(ear), bool)
    for start, end in clip.blinks:
        duration_ms = (end - start + 1) / fps * 1000
        assert 100 <= duration_ms <= 400, f"blink {start}-{end} lasts {duration_ms:.0f} ms, expected 100-400"
        assert ear[start:end + 1].min() < 0.5 * open_ear, f"EAR does not drop during blink {start}-{end}"
        in_blink[start:end + 1] = True
    assert ear[~in_blink].min() > 0.95 * open_ear, "EAR dropped outside the stated blinks"


def test_blink_rate_is_in_the_human_range():
    clip = make_clip(seed=22, num_frames=1500, size=32, fps=25.0)
    rate = len(clip.blinks) / 60.0
    assert 0.1 <= rate <= 0.75, f"expected 6-45 blinks per minute, got {rate * 60:.0f}"


def test_short_real_clips_still_show_a_blink():
    for seed in range(5):
        assert make_clip(seed=seed, num_frames=32, size=32).blinks, f"seed {seed}: a 1.3 s real clip without a blink"


def test_no_blink_keeps_the_eyes_open():
    for strength in (1.0, 0.4):
        real = make_clip(seed=21, num_frames=250, size=64, blink_rate_hz=0.4)
        fake = make_clip(seed=21, num_frames=250, size=64, blink_rate_hz=0.4, fake=True,
                         manipulations=("no_blink",), strength=strength)
        open_ear = np.median(eye_aspect_ratio(real.landmarks))
        assert fake.blinks == []
        low = eye_aspect_ratio(fake.landmarks).min()
        assert low > 0.5 * open_ear, f"strength {strength}: EAR fell to {low:.3f} (open {open_ear:.3f})"
    assert eye_aspect_ratio(make_clip(seed=21, num_frames=250, size=64, blink_rate_hz=0.4, fake=True,
                                      manipulations=("no_blink",)).landmarks).min() > 0.95 * open_ear


def cheek_green(clip):
    """(T,) mean green of both cheeks, from polygons on the ground-truth landmarks."""
    trace = []
    for frame, lm in zip(clip.frames, clip.landmarks):
        mask = np.zeros(frame.shape[:2], np.uint8)
        for poly in ((1, 2, 3, 48, 31), (15, 14, 13, 54, 35)):
            cv2.fillConvexPoly(mask, np.round(lm[list(poly)]).astype(np.int32), 1)
        trace.append(frame[..., 1][mask > 0].mean())
    return np.array(trace)


def pulse_spectrum(trace, fps):
    """(bpm, power) of the detrended, Hann-windowed trace within 40-180 bpm."""
    t = np.arange(len(trace))
    trace = trace - np.polyval(np.polyfit(t, trace, 2), t)
    power = np.abs(np.fft.rfft(trace * np.hanning(len(trace)))) ** 2
    bpm = np.fft.rfftfreq(len(trace), 1 / fps) * 60
    band = (bpm >= 40) & (bpm <= 180)
    return bpm[band], power[band]


def test_real_pulse_peaks_at_the_stated_rate_and_no_pulse_has_none():
    fps, n = 25.0, 256
    bin_bpm = 60 * fps / n
    for seed, bpm in ((31, 66.0), (32, 118.0)):
        real = make_clip(seed=seed, num_frames=n, size=128, fps=fps, pulse_bpm=bpm)
        freqs, power = pulse_spectrum(cheek_green(real), fps)
        peak = freqs[np.argmax(power)]
        assert abs(peak - bpm) <= bin_bpm, f"expected the pulse peak at {bpm} bpm (+-{bin_bpm:.1f}), got {peak:.1f}"
        assert power.max() > 50 * np.median(power), "the pulse peak does not stand out of the band"
        fake = make_clip(seed=seed, num_frames=n, size=128, fps=fps, pulse_bpm=bpm, fake=True,
                         manipulations=("no_pulse",))
        _, fake_power = pulse_spectrum(cheek_green(fake), fps)
        at_bpm = fake_power[np.argmin(np.abs(freqs - bpm))]
        assert at_bpm < 0.05 * power.max(), f"no_pulse kept {at_bpm / power.max():.3f} of the pulse power"
        assert fake_power.max() < 0.1 * power.max(), "no_pulse clip has a pulse-sized peak in 40-180 bpm"


def test_pulse_amplitude_is_near_real_rppg_magnitudes():
    clip = make_clip(seed=33, num_frames=100, size=64, pulse_bpm=75.0)
    assert 0.3 <= clip.pulse_amplitude <= 2.0, f"pulse amplitude {clip.pulse_amplitude} grey levels"
    trace = cheek_green(clip)
    assert trace.std() < 3.0, f"cheek green varies by {trace.std():.2f} levels: far above an rPPG signal"
