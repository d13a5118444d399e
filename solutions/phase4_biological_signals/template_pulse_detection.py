"""Remote photoplethysmography (rPPG): the heart rate from the colour of the skin in a video.

With every heartbeat the blood volume under the skin rises and falls, and with it how much green
(and, less, red and blue) light the skin absorbs: a colour change of about one grey level, far
below what the eye sees, but present in every real face video. A face generator makes each frame
on its own and reproduces no such rhythm (Ciftci et al., "FakeCatcher", 2020).

Pipeline: skin regions from the landmarks (forehead, both cheeks) -> the mean RGB of those pixels
per frame, a (T, 3) trace -> detrend (smoothness priors, Tarvainen et al. 2002) -> a pulse signal
from the three channels (GREEN; CHROM, de Haan & Jeanne 2013; POS, Wang et al. 2017), band-passed
to 0.7-4 Hz (42-240 bpm) -> the heart rate at the peak of the Welch power spectrum, and its signal
quality, the SNR of de Haan (power at the heart rate and its first harmonic against the rest).

Conventions: frames (T, H, W, 3) uint8 **RGB** (OpenCV reads BGR: convert first, or red and blue,
and with them CHROM's and POS's weights, swap); landmarks (T, 68, 2) px; traces (T, 3) float64 RGB;
``fs`` the frame rate in Hz; heart rates in beats per minute.
"""
import cv2
import numpy as np
from scipy import signal

BAND_HZ = (0.7, 4.0)      # 42-240 bpm: the physiological heart-rate band
FILTER_ORDER = 3          # Butterworth band-pass order
DETREND_LAMBDA = 100.0    # smoothness-priors regularisation (cut-off about 0.5 Hz at 25 fps)
WINDOW_S = 1.6            # CHROM / POS window (de Haan; Wang: 1.6 s, about one heartbeat or two)
SNR_HALF_WIDTH_HZ = 0.1   # +-6 bpm around the heart rate and its harmonic count as signal
NFFT = 2048               # zero-padded FFT length of the Welch spectrum (a fine grid, not more resolution)
METHODS = ("green", "chrom", "pos")
PULSE_FEATURES = ("snr_pos_db", "snr_chrom_db", "hr_pos_bpm", "hr_disagreement_bpm")


def skin_polygons(landmarks):
    """Three skin regions of one face, (68, 2) px landmarks -> [forehead, right cheek, left cheek], each (4, 2) float32.

    forehead: above the brows, from the top of the right brow (19) to the top of the left brow (24),
    between 0.1 and 0.6 nose lengths above them (the nose length is the vector from the nose tip 30
    to the top of the nose bridge 27, which points up the face even when the head is tilted).
    Cheeks: the quadrilaterals (41, 31, 48, 3) and (46, 35, 54, 13) — under the eye, beside the nose,
    beside the mouth, at the jaw — each shrunk by a quarter toward its centre to keep off the edges.
    """
    # BEGIN SOLUTION
    lm = np.asarray(landmarks, np.float64)
    up = lm[27] - lm[30]
    forehead = np.array([lm[19] + 0.1 * up, lm[24] + 0.1 * up, lm[24] + 0.6 * up, lm[19] + 0.6 * up])
    cheeks = []
    for quad in ((41, 31, 48, 3), (46, 35, 54, 13)):
        points = lm[list(quad)]
        centre = points.mean(0)
        cheeks.append(centre + 0.75 * (points - centre))
    return [p.astype(np.float32) for p in (forehead, *cheeks)]
    # END SOLUTION


def skin_mask(landmarks, shape):
    """(H, W) bool mask of :func:`skin_polygons` for (68, 2) landmarks in a frame of ``shape`` (H, W)."""
    # BEGIN SOLUTION
    mask = np.zeros(shape[:2], np.uint8)
    # HINT: cv2.fillPoly needs int32 points; round first.
    cv2.fillPoly(mask, [np.round(p).astype(np.int32) for p in skin_polygons(landmarks)], 1)
    return mask.astype(bool)
    # END SOLUTION


def mean_rgb(frames, landmarks):
    """(T, 3) float64: the mean R, G, B of each frame's skin pixels (:func:`skin_mask`).

    A frame whose mask is empty (the face left the frame) repeats the previous frame's means
    (the first frame's: NaN until a face is seen, then the first seen value).
    """
    # BEGIN SOLUTION
    out = np.full((len(frames), 3), np.nan)
    for t, (frame, lm) in enumerate(zip(frames, landmarks)):
        mask = skin_mask(lm, frame.shape)
        if mask.any():
            out[t] = frame[mask].mean(0)
        elif t:
            out[t] = out[t - 1]
    seen = np.flatnonzero(~np.isnan(out[:, 0]))
    if len(seen):
        out[:seen[0]] = out[seen[0]]
    return out
    # END SOLUTION


def detrend(x, lam=DETREND_LAMBDA):
    """Remove slow trends (lighting, motion) from ``x`` (T,) or (T, C) by smoothness priors (Tarvainen 2002).

    ``x - (I + lam^2 D2^T D2)^(-1) x`` per column, with D2 the (T - 2, T) second-difference matrix
    (rows ``[1, -2, 1]``): the subtracted part is the smoothest curve near x, so a straight line is
    removed exactly and fast oscillations (the pulse) pass.
    """
    # BEGIN SOLUTION
    # HINT: np.diff(np.eye(n), 2, axis=0) is D2; np.linalg.solve(A, x) solves every column of x at once.
    x = np.asarray(x, np.float64)
    n = len(x)
    if n < 3:
        return x - x.mean(0)
    d2 = np.diff(np.eye(n), 2, axis=0)
    trend = np.linalg.solve(np.eye(n) + lam ** 2 * d2.T @ d2, x)
    return x - trend
    # END SOLUTION


def bandpass(x, fs, band=BAND_HZ, order=FILTER_ORDER):
    """Zero-phase Butterworth band-pass of ``x`` (T,) or (T, C) along time: ``band`` (low, high) Hz.

    A Butterworth band-pass of ``order`` (``scipy.signal.butter(order, band, btype="bandpass", fs=fs)``)
    run forwards and backwards (``filtfilt``): no phase shift, so the pulse's peaks stay where they were.
    """
    # BEGIN SOLUTION
    b, a = signal.butter(order, band, btype="bandpass", fs=fs)
    return signal.filtfilt(b, a, np.asarray(x, np.float64), axis=0)
    # END SOLUTION


def green(rgb, fs):
    """GREEN (Verkruysse et al. 2008): (T, 3) trace -> (T,) green over its mean, minus 1, detrended, band-passed."""
    # BEGIN SOLUTION
    g = np.asarray(rgb, np.float64)[:, 1]
    return bandpass(detrend(g / g.mean() - 1.0), fs)
    # END SOLUTION


def _windows(length, fs, window_s):
    """Start indices and length of half-overlapping windows of ``window_s`` seconds over ``length`` samples."""
    size = min(length, max(2, int(round(window_s * fs))))
    return list(range(0, length - size + 1, max(1, size // 2))), size


def chrom(rgb, fs, window_s=WINDOW_S):
    """CHROM (de Haan & Jeanne 2013): (T, 3) RGB trace -> (T,) pulse.

    In each window of ``window_s`` seconds (half-overlapping): divide each channel by its mean in the
    window, ``X = 3R - 2G``, ``Y = 1.5R + G - 1.5B``, band-pass both (:func:`bandpass`),
    ``S = X - (std X / std Y) Y`` (the specular and motion part, common to X and Y, cancels), times
    a Hann window; add the windows' S into the output where they sit (overlap-add).
    """
    # BEGIN SOLUTION
    # HINT: _windows(len(rgb), fs, window_s) gives the window starts and length; np.hanning(size) the taper.
    rgb = np.asarray(rgb, np.float64)
    starts, size = _windows(len(rgb), fs, window_s)
    out = np.zeros(len(rgb))
    hann = np.hanning(size)
    for s in starts:
        c = rgb[s:s + size] / rgb[s:s + size].mean(0)
        x = bandpass(3 * c[:, 0] - 2 * c[:, 1], fs)
        y = bandpass(1.5 * c[:, 0] + c[:, 1] - 1.5 * c[:, 2], fs)
        out[s:s + size] += (x - x.std() / max(y.std(), 1e-12) * y) * hann
    return out
    # END SOLUTION


def pos(rgb, fs, window_s=WINDOW_S):
    """POS, "plane orthogonal to skin" (Wang et al. 2017): (T, 3) RGB trace -> (T,) pulse, band-passed.

    In each window (half-overlapping): ``Cn`` = each channel over its mean in the window;
    ``S1 = G - B`` and ``S2 = G + B - 2R`` (the projection ``[[0, 1, -1], [-2, 1, 1]]``);
    ``h = S1 + (std S1 / std S2) S2``, minus its mean; overlap-add the windows' h. Then
    :func:`detrend` and :func:`bandpass` the sum.
    """
    # BEGIN SOLUTION
    rgb = np.asarray(rgb, np.float64)
    starts, size = _windows(len(rgb), fs, window_s)
    out = np.zeros(len(rgb))
    for s in starts:
        c = rgb[s:s + size] / rgb[s:s + size].mean(0)
        s1 = c[:, 1] - c[:, 2]
        s2 = c[:, 1] + c[:, 2] - 2 * c[:, 0]
        h = s1 + s1.std() / max(s2.std(), 1e-12) * s2
        out[s:s + size] += h - h.mean()
    return bandpass(detrend(out), fs)
    # END SOLUTION


def power_spectrum(pulse, fs):
    """Welch power spectrum of ``pulse`` (T,): ``(frequencies (F,) Hz, power (F,))``.

    Segments of at most 8 s (``nperseg = min(T, 8 fs)``), half-overlapping, Hann window, zero-padded to
    ``nfft = max(NFFT, nperseg)``. Zero padding only interpolates: two rates closer than about
    ``fs / nperseg`` Hz (a 5 s clip: 0.2 Hz = 12 bpm) stay one peak.
    """
    # BEGIN SOLUTION
    # HINT: scipy.signal.welch(x, fs=, nperseg=, noverlap=, nfft=, window="hann") returns (freqs, power).
    nperseg = int(min(len(pulse), round(8 * fs)))
    return signal.welch(np.asarray(pulse, np.float64), fs=fs, nperseg=nperseg, noverlap=nperseg // 2,
                        nfft=max(NFFT, nperseg), window="hann")
    # END SOLUTION


def heart_rate(pulse, fs, band=BAND_HZ):
    """Heart rate (bpm) of ``pulse`` (T,): 60 times the frequency of the highest power in ``band``."""
    # BEGIN SOLUTION
    freqs, power = power_spectrum(pulse, fs)
    inside = (freqs >= band[0]) & (freqs <= band[1])
    return 60.0 * float(freqs[inside][np.argmax(power[inside])])
    # END SOLUTION


def snr_db(pulse, fs, bpm, band=BAND_HZ, half_width_hz=SNR_HALF_WIDTH_HZ):
    """de Haan's SNR (dB) of ``pulse`` (T,) at heart rate ``bpm``: 10 log10 of the power within
    ``half_width_hz`` of ``bpm / 60`` Hz and of its first harmonic ``2 bpm / 60``, over the rest of the
    power in ``band`` (both from :func:`power_spectrum`)."""
    # BEGIN SOLUTION
    # HINT: two boolean masks over the frequencies: inside the band, and near f0 or 2 f0.
    freqs, power = power_spectrum(pulse, fs)
    inside = (freqs >= band[0]) & (freqs <= band[1])
    f0 = bpm / 60.0
    near = (np.abs(freqs - f0) <= half_width_hz) | (np.abs(freqs - 2 * f0) <= half_width_hz)
    return float(10 * np.log10(max(power[inside & near].sum(), 1e-30) / max(power[inside & ~near].sum(), 1e-30)))
    # END SOLUTION


def pulse_features(rgb, fs):
    """(4,) float64 in the order of ``PULSE_FEATURES`` for a (T, 3) skin trace.

    snr_pos_db / snr_chrom_db: :func:`snr_db` of POS's and CHROM's pulse at their own heart rates;
    hr_pos_bpm: POS's heart rate; hr_disagreement_bpm: ``|HR(POS) - HR(CHROM)|`` (two methods agree
    on a real pulse and disagree on noise).
    """
    # BEGIN SOLUTION
    p, c = pos(rgb, fs), chrom(rgb, fs)
    hr_p, hr_c = heart_rate(p, fs), heart_rate(c, fs)
    return np.array([snr_db(p, fs, hr_p), snr_db(c, fs, hr_c), hr_p, abs(hr_p - hr_c)])
    # END SOLUTION
