"""Physiological signals of a real face: the blink schedule and the blood-volume pulse.

Blinks: a renewal process at ``rate_hz`` (human range 0.1-0.75 Hz, i.e. 6-45 per minute), each
blink lasting 100-400 ms with a fast close and slower open. The first blink is placed inside the
clip so that every real clip of at least ~0.5 s shows one (short clips would otherwise look like
"no_blink" fakes). Pulse: a sinusoid at ``bpm`` added to the skin, green strongest, with an
amplitude of about one grey level, the magnitude of real remote-PPG signals.
"""
from dataclasses import dataclass

import numpy as np

BLINK_RATE_RANGE_HZ = (0.2, 0.5)
BLINK_DURATION_RANGE_S = (0.12, 0.38)
PULSE_BPM_RANGE = (55.0, 100.0)
PULSE_AMPLITUDE_RANGE = (0.7, 1.3)  # grey levels on the green channel (peak)
PULSE_CHANNEL_WEIGHTS = np.array([0.35, 1.0, 0.55], dtype=np.float32)  # R, G, B


@dataclass(frozen=True)
class Physiology:
    """A clip's physiology: blinks (inclusive frame ranges of complete blinks), closure (T,) float32
    eyelid closure in [0, 1], amplitude: pulse amplitude in grey levels (0 = no pulse)."""

    blinks: list
    closure: np.ndarray
    amplitude: float


def blink_schedule(rng, num_frames, fps, rate_hz):
    """Inclusive frame ranges [(start, end), ...] of blinks, each 100-400 ms long."""
    blinks = []
    if rate_hz <= 0:
        return blinks
    duration_s = num_frames / fps
    first_window = min(1.0 / rate_hz, duration_s - BLINK_DURATION_RANGE_S[1])
    t = rng.uniform(0.05, max(0.06, first_window))
    while True:
        length_s = rng.uniform(*BLINK_DURATION_RANGE_S)
        length = int(np.clip(round(length_s * fps), 1, max(1, int(0.4 * fps))))
        start = int(round(t * fps))
        if start + length > num_frames:
            break
        blinks.append((start, start + length - 1))
        t = (start + length) / fps + max(0.5, rng.gamma(4.0, 1.0 / (4.0 * rate_hz)))
    return blinks


def eyelid_closure(blinks, num_frames, depth=1.0):
    """(T,) float32 eyelid closure in [0, depth]: 0 open, 1 shut; peaks mid-blink."""
    closure = np.zeros(num_frames, np.float32)
    for start, end in blinks:
        n = end - start + 1
        phase = (np.arange(n) + 0.5) / n
        # Close in the first 40 % of the blink, open over the remaining 60 %.
        profile = np.where(phase < 0.4, np.sin(np.pi / 2 * phase / 0.4),
                           np.cos(np.pi / 2 * (phase - 0.4) / 0.6))
        profile[np.argmax(profile)] = 1.0
        closure[start:end + 1] = depth * np.clip(profile, 0.15, 1.0)
    return closure


def pulse_trace(num_frames, fps, bpm, amplitude, phase):
    """(T,) float32 pulse in grey levels: ``amplitude * sin(2 pi bpm/60 t + phase)``."""
    t = np.arange(num_frames) / fps
    return (amplitude * np.sin(2 * np.pi * bpm / 60.0 * t + phase)).astype(np.float32)
