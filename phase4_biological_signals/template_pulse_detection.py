# Learner template generated from solutions/phase4_biological_signals/template_pulse_detection.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: a58adf85b6011283
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
    raise NotImplementedError("phase4_biological_signals: implement skin_polygons")


def skin_mask(landmarks, shape):
    """(H, W) bool mask of :func:`skin_polygons` for (68, 2) landmarks in a frame of ``shape`` (H, W)."""
    # HINT: cv2.fillPoly needs int32 points; round first.
    raise NotImplementedError("phase4_biological_signals: implement skin_mask")


def mean_rgb(frames, landmarks):
    """(T, 3) float64: the mean R, G, B of each frame's skin pixels (:func:`skin_mask`).

    A frame whose mask is empty (the face left the frame) repeats the previous frame's means
    (the first frame's: NaN until a face is seen, then the first seen value).
    """
    raise NotImplementedError("phase4_biological_signals: implement mean_rgb")


def detrend(x, lam=DETREND_LAMBDA):
    """Remove slow trends (lighting, motion) from ``x`` (T,) or (T, C) by smoothness priors (Tarvainen 2002).

    ``x - (I + lam^2 D2^T D2)^(-1) x`` per column, with D2 the (T - 2, T) second-difference matrix
    (rows ``[1, -2, 1]``): the subtracted part is the smoothest curve near x, so a straight line is
    removed exactly and fast oscillations (the pulse) pass.
    """
    # HINT: np.diff(np.eye(n), 2, axis=0) is D2; np.linalg.solve(A, x) solves every column of x at once.
    raise NotImplementedError("phase4_biological_signals: implement detrend")


def bandpass(x, fs, band=BAND_HZ, order=FILTER_ORDER):
    """Zero-phase Butterworth band-pass of ``x`` (T,) or (T, C) along time: ``band`` (low, high) Hz.

    A Butterworth band-pass of ``order`` (``scipy.signal.butter(order, band, btype="bandpass", fs=fs)``)
    run forwards and backwards (``filtfilt``): no phase shift, so the pulse's peaks stay where they were.
    """
    raise NotImplementedError("phase4_biological_signals: implement bandpass")


def green(rgb, fs):
    """GREEN (Verkruysse et al. 2008): (T, 3) trace -> (T,) green over its mean, minus 1, detrended, band-passed."""
    raise NotImplementedError("phase4_biological_signals: implement green")


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
    # HINT: _windows(len(rgb), fs, window_s) gives the window starts and length; np.hanning(size) the taper.
    raise NotImplementedError("phase4_biological_signals: implement chrom")


def pos(rgb, fs, window_s=WINDOW_S):
    """POS, "plane orthogonal to skin" (Wang et al. 2017): (T, 3) RGB trace -> (T,) pulse, band-passed.

    In each window (half-overlapping): ``Cn`` = each channel over its mean in the window;
    ``S1 = G - B`` and ``S2 = G + B - 2R`` (the projection ``[[0, 1, -1], [-2, 1, 1]]``);
    ``h = S1 + (std S1 / std S2) S2``, minus its mean; overlap-add the windows' h. Then
    :func:`detrend` and :func:`bandpass` the sum.
    """
    raise NotImplementedError("phase4_biological_signals: implement pos")


def power_spectrum(pulse, fs):
    """Welch power spectrum of ``pulse`` (T,): ``(frequencies (F,) Hz, power (F,))``.

    Segments of at most 8 s (``nperseg = min(T, 8 fs)``), half-overlapping, Hann window, zero-padded to
    ``nfft = max(NFFT, nperseg)``. Zero padding only interpolates: two rates closer than about
    ``fs / nperseg`` Hz (a 5 s clip: 0.2 Hz = 12 bpm) stay one peak.
    """
    # HINT: scipy.signal.welch(x, fs=, nperseg=, noverlap=, nfft=, window="hann") returns (freqs, power).
    raise NotImplementedError("phase4_biological_signals: implement power_spectrum")


def heart_rate(pulse, fs, band=BAND_HZ):
    """Heart rate (bpm) of ``pulse`` (T,): 60 times the frequency of the highest power in ``band``."""
    raise NotImplementedError("phase4_biological_signals: implement heart_rate")


def snr_db(pulse, fs, bpm, band=BAND_HZ, half_width_hz=SNR_HALF_WIDTH_HZ):
    """de Haan's SNR (dB) of ``pulse`` (T,) at heart rate ``bpm``: 10 log10 of the power within
    ``half_width_hz`` of ``bpm / 60`` Hz and of its first harmonic ``2 bpm / 60``, over the rest of the
    power in ``band`` (both from :func:`power_spectrum`)."""
    # HINT: two boolean masks over the frequencies: inside the band, and near f0 or 2 f0.
    raise NotImplementedError("phase4_biological_signals: implement snr_db")


def pulse_features(rgb, fs):
    """(4,) float64 in the order of ``PULSE_FEATURES`` for a (T, 3) skin trace.

    snr_pos_db / snr_chrom_db: :func:`snr_db` of POS's and CHROM's pulse at their own heart rates;
    hr_pos_bpm: POS's heart rate; hr_disagreement_bpm: ``|HR(POS) - HR(CHROM)|`` (two methods agree
    on a real pulse and disagree on noise).
    """
    raise NotImplementedError("phase4_biological_signals: implement pulse_features")
