"""Speech on any face: a mouth that opens with each syllable, and the audio it speaks.

An utterance is a mouth-opening curve in [0, 1] sampled at the frame rate: syllables at 3-5 per
second (a raised-cosine bump each, 120-280 ms long, some pauses), drawn from
``SPEECH_PAD_S`` before the clip to as long after it, so that audio shifted in time still has
speech at both ends. The audio is a voiced carrier (a harmonic series on a drifting pitch) whose
amplitude follows the opening the *audio* says, at ``AUDIO_RATE`` Hz, mono float32 in [-1, 1].
In a real clip the audio says what the lips show; the ``av_offset`` and ``lip_mismatch`` fakes
(:mod:`.manipulations`) change that through :class:`Speech` before it is rendered.
Drawn landmarks and photos work alike: only the 68 landmarks and the lip colour are needed.
"""
from dataclasses import dataclass

import cv2
import numpy as np

AUDIO_RATE = 16000                   # samples per second
SYLLABLE_RATE_HZ = (3.0, 5.0)        # syllables per second (conversational speech)
SYLLABLE_DURATION_S = (0.12, 0.28)
PAUSE_PROBABILITY = 0.15             # chance of a 0.2-0.5 s pause after a syllable
PITCH_RANGE_HZ = (100.0, 220.0)
SPEECH_PAD_S = 1.0                   # utterance drawn this long before and after the clip
MAX_GAP = 0.45                       # lip gap at full opening, in mouth widths
AUDIO_PEAK = 0.7                     # carrier amplitude at full opening
NOISE_FLOOR = 0.003                  # breath noise, standard deviation
MOUTH_INTERIOR = np.array([70.0, 25.0, 30.0], np.float32)  # RGB of the open mouth
LOWER_LIP = (55, 56, 57, 58, 59, 65, 66, 67)  # move down as the mouth opens
UPPER_INNER_LIP = (61, 62, 63)                 # move up a little
OUTER_LIPS, INNER_LIPS = tuple(range(48, 60)), tuple(range(60, 68))
_SHIFT = 4


@dataclass(frozen=True)
class Speech:
    """A clip's speech before it is rendered.

    mouth (T,) float32: the lips' opening in [0, 1] at each frame (what the video shows);
    voice (T + 2 pad,) float32: the opening the audio follows, from frame ``-pad`` to ``T + pad - 1``;
    pad: frames drawn before frame 0; offset: frames the audio lags the video (negative = leads);
    pitch: the voice's mean pitch in Hz; fps: frames per second.
    """

    mouth: np.ndarray
    voice: np.ndarray
    pad: int
    offset: int
    pitch: float
    fps: float


def utterance(rng, num_frames, fps):
    """(num_frames,) float32 mouth opening in [0, 1] of a random utterance, sampled at ``fps``."""
    rate = rng.uniform(*SYLLABLE_RATE_HZ)
    t_frames = np.arange(num_frames) / fps
    opening = np.zeros(num_frames)
    t = rng.uniform(0, 1 / rate)
    while t < num_frames / fps:
        duration = rng.uniform(*SYLLABLE_DURATION_S)
        peak = rng.uniform(0.4, 1.0)
        phase = (t_frames - t) / duration
        inside = (phase > 0) & (phase < 1)
        opening[inside] = np.maximum(opening[inside], peak * np.sin(np.pi * phase[inside]) ** 2)
        t += duration + rng.exponential(0.3 / rate)
        if rng.random() < PAUSE_PROBABILITY:
            t += rng.uniform(0.2, 0.5)
    return opening.astype(np.float32)


def draw_speech(rng, num_frames, fps):
    """A :class:`Speech` in sync (offset 0): one utterance, padded by ``SPEECH_PAD_S`` on both sides."""
    pad = int(round(SPEECH_PAD_S * fps))
    voice = utterance(rng, num_frames + 2 * pad, fps)
    return Speech(voice[pad:pad + num_frames].copy(), voice, pad, 0, float(rng.uniform(*PITCH_RANGE_HZ)), float(fps))


def render_audio(speech, rng, rate=AUDIO_RATE):
    """Mono float32 samples in [-1, 1] of the clip's duration: a harmonic voice loud where ``speech.voice``
    (delayed by ``speech.offset`` frames) is open. Sample n is heard at time n / rate; frame t at t / fps."""
    n = int(round(len(speech.mouth) / speech.fps * rate))
    frame_time = np.arange(n) * speech.fps / rate  # position of each sample on the frame grid
    envelope = np.interp(frame_time - speech.offset + speech.pad, np.arange(len(speech.voice)), speech.voice)
    seconds = np.arange(n) / rate
    pitch = speech.pitch * (1 + 0.03 * np.sin(2 * np.pi * 0.7 * seconds + rng.uniform(0, 2 * np.pi)))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    harmonics = np.arange(1, 9)
    carrier = (np.sin(phase[:, None] * harmonics + rng.uniform(0, 2 * np.pi, 8)) / harmonics).sum(1)
    carrier /= np.abs(carrier).max()
    samples = AUDIO_PEAK * envelope * carrier + rng.normal(0, NOISE_FLOOR, n)
    return np.clip(samples, -1, 1).astype(np.float32)


def open_mouth(landmarks, opening):
    """(T, 68, 2) landmarks with the lips parted by ``opening`` (T,) in [0, 1] (1 = ``MAX_GAP`` mouth widths).

    The lower lip moves down and the upper inner lip up by a fifth as much, most at the middle and
    not at the corners; ``landmarks`` (T, 68, 2) are in upright face coordinates (y down).
    """
    out = np.array(landmarks, np.float64, copy=True)
    left, right = out[:, 48], out[:, 54]
    width = np.linalg.norm(right - left, axis=1)
    centre_x = (left[:, 0] + right[:, 0]) / 2
    gap = MAX_GAP * width * np.asarray(opening, np.float64)
    for points, sign in ((LOWER_LIP, 1.0), (UPPER_INNER_LIP, -0.2)):
        idx = list(points)
        profile = np.clip(1 - ((out[:, idx, 0] - centre_x[:, None]) / (width[:, None] / 2)) ** 2, 0, 1)
        out[:, idx, 1] += sign * gap[:, None] * (0.3 + 0.7 * profile)
    return out


def lip_colour(rgb, landmarks):
    """(3,) float32 median RGB of the lips (between the outer and inner lip lines) of a closed mouth."""
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[list(OUTER_LIPS)]).astype(np.int32)], 1)
    cv2.fillPoly(mask, [np.round(landmarks[list(INNER_LIPS)]).astype(np.int32)], 0)
    pixels = rgb[mask.astype(bool)]
    return (np.median(pixels, 0) if len(pixels) else rgb.reshape(-1, 3).mean(0)).astype(np.float32)


def paint_mouth(image, landmarks, colour, opening):
    """Paint the lips at ``landmarks`` (68, 2) px in place on ``image`` (h, w, 3) float32, and the dark
    mouth interior inside the inner lip line when ``opening`` > 0."""
    if opening <= 0:
        return
    h, w = image.shape[:2]
    outer = landmarks[list(OUTER_LIPS)]
    x0, y0 = np.maximum(np.floor(outer.min(0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(outer.max(0)).astype(int) + 3, [w, h])
    if x1 <= x0 or y1 <= y0:
        return
    patch = image[y0:y1, x0:x1]
    for points, fill_colour in ((OUTER_LIPS, colour), (INNER_LIPS, MOUTH_INTERIOR)):
        local = np.round((landmarks[list(points)] - [x0, y0]) * (1 << _SHIFT)).astype(np.int32)
        fill = np.zeros(patch.shape[:2], np.uint8)
        cv2.fillPoly(fill, [local], 255, cv2.LINE_AA, _SHIFT)
        a = fill.astype(np.float32)[..., None] / 255
        patch[:] = patch * (1 - a) + fill_colour * a
