"""Perturbations of decoded frames for robustness reports: what a video suffers between camera and detector.

Each perturbation takes frames (T, H, W, 3) uint8 RGB and a level and returns frames of the same shape and
dtype. They are applied to the decoded frames *before* face detection (see ``evaluate.py --perturb``):

* ``jpeg``: JPEG quality 1..100 (OpenCV's libjpeg, 4:2:0 chroma); more severe when lower;
* ``blur``: Gaussian sigma in px, in (0, 50]; more severe when higher;
* ``noise``: additive Gaussian standard deviation as a fraction of 255, in (0, 1]; higher;
* ``resize``: scale in (0, 1), shrunk (area) then enlarged back (bilinear); lower;
* ``h264``: libx264 CRF 0..51 through :func:`dfkit.video.write_video`; higher;
* ``brightness``: offset as a fraction of 255, in [-1, 1] but not 0; further from 0.

Specs are written ``name:level[,level...]`` (``jpeg:90,70,50``); :func:`parse_spec` reads one strictly.
Only ``noise`` draws random numbers, from ``seed`` (callers derive it from the video id, so a video gets
the same noise in every run). ``h264`` encodes the given frames as one clip at ``H264_FPS`` (the sampled
frames, not the whole source video: per-frame quality at a CRF is close, motion prediction differs), then
decodes it. It is the one perturbation that is not always bit-exact from run to run: libx264's
macroblock-tree rate control sometimes gives slightly different bytes for the same frames (a few pixels,
well under a grey level on average; ``mbtree=0`` made it exact in every trial, but FaceForensics++'s
encodes use it).
``resize`` keeps the frame size, so boxes stay in the same pixels.
"""
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

H264_FPS = 25.0
NOISE_STREAM = 11  # SeedSequence key of the noise draws


@dataclass(frozen=True)
class Perturbation:
    """name; ``parse(text)`` -> the level or ValueError; ``apply(frames, level, rng)`` -> frames;
    ``severity(level)`` -> a number that grows with the damage (for sorting); ``meaning``: the level's unit."""

    name: str
    parse: object
    apply: object
    severity: object
    meaning: str


def _ranged(convert, low, high, meaning, exclude=None):
    """A level parser: ``convert(text)`` within [low, high] (an open end where ``low``/``high`` is a tuple)."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise ValueError(f"expected {meaning}, got {text!r}") from None
        lo, lo_open = (low[0], True) if isinstance(low, tuple) else (low, False)
        hi, hi_open = (high[0], True) if isinstance(high, tuple) else (high, False)
        if not np.isfinite(value) or value < lo or value > hi or (lo_open and value == lo) or \
                (hi_open and value == hi) or value == exclude:
            raise ValueError(f"expected {meaning}, got {text!r}")
        return value
    return parse


def _each_frame(frames, function):
    return np.stack([function(frame) for frame in frames])


def jpeg_rgb(rgb, quality):
    """One (H, W, 3) uint8 RGB image JPEG-encoded at ``quality`` (1-100; OpenCV's libjpeg, 4:2:0) and decoded."""
    _, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def jpeg(frames, quality, rng=None):
    """Each frame JPEG-encoded at ``quality`` (OpenCV's libjpeg, 4:2:0) and decoded."""
    return _each_frame(frames, lambda frame: jpeg_rgb(frame, quality))


def blur(frames, sigma, rng=None):
    """Each frame convolved with a Gaussian of standard deviation ``sigma`` px (reflected borders)."""
    return _each_frame(frames, lambda frame: cv2.GaussianBlur(frame, (0, 0), float(sigma)))


def noise(frames, std, rng):
    """Frames plus i.i.d. Gaussian noise of standard deviation ``std`` x 255 grey levels, rounded and clipped."""
    noisy = frames + rng.normal(0.0, 255.0 * std, frames.shape)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def resize(frames, scale, rng=None):
    """Each frame shrunk by ``scale`` (area averaging) and enlarged back (bilinear): detail above ``scale`` x
    the Nyquist frequency is lost, the size is kept."""
    height, width = frames.shape[1:3]
    small = (max(1, round(width * scale)), max(1, round(height * scale)))
    return _each_frame(frames, lambda frame: cv2.resize(cv2.resize(frame, small, interpolation=cv2.INTER_AREA),
                                                        (width, height), interpolation=cv2.INTER_LINEAR))


def h264(frames, crf, rng=None):
    """The frames encoded as one H.264 clip at constant rate factor ``crf`` (libx264 through
    :func:`dfkit.video.write_video`, yuv420p, ``H264_FPS``) and decoded."""
    from dfkit.video import read_frames, write_video

    with tempfile.TemporaryDirectory(prefix="dfkit-h264-") as folder:
        path = write_video(Path(folder) / "perturbed.mp4", frames, fps=H264_FPS, crf=int(crf))
        decoded, _ = read_frames(path)
    return np.ascontiguousarray(decoded[:len(frames), :frames.shape[1], :frames.shape[2]])  # even-size padding off


def brightness(frames, offset, rng=None):
    """Frames plus ``offset`` x 255 grey levels on every channel, rounded and clipped."""
    return np.clip(np.rint(frames + 255.0 * offset), 0, 255).astype(np.uint8)


PERTURBATIONS = {p.name: p for p in (
    Perturbation("jpeg", _ranged(int, 1, 100, "a JPEG quality, an integer in 1..100"), jpeg,
                 lambda q: -q, "JPEG quality"),
    Perturbation("blur", _ranged(float, (0.0,), 50.0, "a Gaussian sigma in px, in (0, 50]"), blur,
                 lambda s: s, "Gaussian sigma (px)"),
    Perturbation("noise", _ranged(float, (0.0,), 1.0, "a noise std as a fraction of 255, in (0, 1]"), noise,
                 lambda s: s, "noise std (x 255)"),
    Perturbation("resize", _ranged(float, (0.0,), (1.0,), "a scale in (0, 1)"), resize,
                 lambda s: -s, "scale"),
    Perturbation("h264", _ranged(int, 0, 51, "an H.264 CRF, an integer in 0..51"), h264,
                 lambda c: c, "H.264 CRF"),
    Perturbation("brightness", _ranged(float, -1.0, 1.0, "a brightness offset as a fraction of 255, in [-1, 1], "
                                       "not 0", exclude=0.0), brightness, abs, "brightness offset (x 255)"),
)}


def parse_spec(text):
    """``"name:level[,level...]"`` -> [(name, level), ...]; ValueError naming what is wrong."""
    name, sep, levels = str(text).partition(":")
    if name not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {name!r} in {text!r}; expected one of {', '.join(PERTURBATIONS)}")
    if not sep or not levels:
        raise ValueError(f"{text!r} gives no level; write {name}:LEVEL[,LEVEL...]")
    parsed = []
    for item in levels.split(","):
        try:
            level = PERTURBATIONS[name].parse(item.strip())
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None
        if level in parsed:
            raise ValueError(f"{name}: level {item!r} given twice in {text!r}")
        parsed.append(level)
    return [(name, level) for level in parsed]


def key(name, level):
    """The canonical ``"name:level"`` of one perturbation (folder names, table rows)."""
    return f"{name}:{level:g}"


def perturb(frames, name, level, seed=0):
    """``frames`` (T, H, W, 3) uint8 RGB under perturbation ``name`` at ``level``; same shape and dtype.

    seed: an int for the random draws (noise only).
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected (T, H, W, 3) uint8 RGB frames, got shape {frames.shape} dtype {frames.dtype}")
    rng = np.random.default_rng(np.random.SeedSequence([NOISE_STREAM, int(seed)]))
    return PERTURBATIONS[name].apply(frames, level, rng)


def perturb_key(frames, spec, seed=0):
    """:func:`perturb` by the canonical ``"name:level"`` string of :func:`key`."""
    name, _, level = spec.partition(":")
    ((name, level),) = parse_spec(f"{name}:{level}")
    return perturb(frames, name, level, seed)
