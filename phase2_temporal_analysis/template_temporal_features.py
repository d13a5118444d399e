# Learner template generated from solutions/phase2_temporal_analysis/template_temporal_features.py by `make templates`.
# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.
# template fingerprint: a2daf49689951f6c
"""Temporal features: what changes between frames, and how fast.

A per-frame detector judges each face alone. Many forgeries are only inconsistent *between* frames:
a frame-by-frame generator re-draws the face every frame, so its colour, texture and outline jitter
where a real face changes smoothly. Four measurements make that visible, each an exercise here:

1. **Frame differences** (:func:`frame_differences`): ``|x[t+1] - x[t]|`` of face-aligned crops.
   Smooth head motion leaves faint edges; flicker lights up the whole manipulated region.
2. **Temporal spectrum** (:func:`colour_trace`, :func:`temporal_spectrum`,
   :func:`high_frequency_share`): the mean colour of a region over time, and where its energy lies.
   Real faces change slowly (head motion under 0.5 Hz, pulse 0.75-2.5 Hz); flicker is white noise,
   spread over every frequency up to fps / 2.
3. **Consecutive-embedding similarity** (:func:`consecutive_similarity`): the cosine similarity of
   each frame's CNN embedding with the next one's; identity swaps that wobble drop it.
4. **Landmark jitter** (:func:`landmark_jitter`): the RMS second difference (acceleration) of
   facial landmarks; smooth motion has almost none, independent per-frame errors a lot.

Conventions: frames / crops are RGB uint8 ``(T, H, W, 3)``; ``fps`` in Hz; frequencies in Hz.
"""
import numpy as np
import torch
import torch.nn.functional as F

HIGH_FREQUENCY_HZ = 3.0  # above head motion (< 0.5 Hz) and the pulse (< 2.5 Hz)


def frame_differences(frames):
    """Absolute difference of consecutive frames, averaged over colour channels.

    Args:
        frames: (T, H, W, 3) uint8 (or any numeric dtype), T >= 2, ideally face-aligned crops.

    Returns:
        (T - 1, H, W) float32: ``mean_c |frames[t + 1, :, :, c] - frames[t, :, :, c]|``.

    Pitfall: subtracting uint8 arrays wraps around (3 - 5 = 254); convert to float first.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement frame_differences")


def colour_trace(frames, masks=None):
    """Mean colour of a region in every frame.

    Args:
        frames: (T, H, W, 3) numeric. masks: None (the whole frame) or (T, H, W) / (H, W) weights
            in [0, 1] (e.g. the synthetic clip's ``masks``).

    Returns:
        (T, 3) float64: the weighted mean of each channel, ``sum(w * x) / sum(w)`` per frame.
        A frame whose mask sums to 0 raises ValueError.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement colour_trace")


def temporal_spectrum(trace, fps):
    """One-sided power spectrum of a signal sampled once per frame.

    Args:
        trace: (T,) or (T, C) float, one value (or C values) per frame. fps: frames per second.

    Returns:
        ``(freqs, power)``: freqs (T // 2 + 1,) in Hz from 0 to fps / 2 (``np.fft.rfftfreq``);
        power (T // 2 + 1,) or (T // 2 + 1, C), normalised so that ``power.sum(0)`` equals the
        variance of the trace (Parseval): remove the mean, take ``|rfft|^2 / T^2``, and double every
        bin except 0 and, for even T, the last (fps / 2), which appear once in the full spectrum.

    Example: a sine of amplitude A at 5 Hz, 50 frames at 25 fps: all its power, A^2 / 2, in the 5 Hz bin.
    """
    # HINT: np.fft.rfft(x, axis=0) transforms along time; rfftfreq(T, d=1 / fps) gives the bins in Hz.
    raise NotImplementedError("phase2_temporal_analysis: implement temporal_spectrum")


def high_frequency_share(trace, fps, cutoff_hz=HIGH_FREQUENCY_HZ):
    """Share of a trace's temporal variance above ``cutoff_hz`` (0 to 1; 0 for a constant trace).

    Args:
        trace: (T,) or (T, C); a (T, C) trace pools the power of its channels.

    Returns:
        float: ``power[freqs > cutoff_hz].sum() / power.sum()`` from :func:`temporal_spectrum`.
        White noise gives about ``1 - 2 * cutoff_hz / fps``; a real face's slow changes, near 0.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement high_frequency_share")


def consecutive_similarity(embeddings):
    """Cosine similarity of each frame's embedding with the next frame's.

    Args:
        embeddings: (T, D) float tensor or array (e.g. a CNN's ``embed`` of T face crops).

    Returns:
        (T - 1,) float tensor: ``cos(e[t], e[t + 1])`` in [-1, 1].
    """
    raise NotImplementedError("phase2_temporal_analysis: implement consecutive_similarity")


def landmark_jitter(landmarks):
    """Root-mean-square landmark acceleration: how much the points shake, in px per frame^2.

    Args:
        landmarks: (T, N, 2) float, T >= 3 (e.g. 68 iBUG points per frame).

    Returns:
        float: ``sqrt(mean over t, n of ||l[t+1, n] - 2 l[t, n] + l[t-1, n]||^2)``. Smooth motion gives
        nearly 0; independent Gaussian errors of sigma px on each coordinate give ``sqrt(12) * sigma``.
    """
    raise NotImplementedError("phase2_temporal_analysis: implement landmark_jitter")
