"""The fake-making manipulations: an open registry, one :class:`Manipulation` per curriculum cue.

To add a cue, write its hook and register it next to it with :func:`register_manipulation`, naming
the texture map that marks the pixels it rewrites (its ground-truth mask); :func:`.clip.make_clip`,
the dataset writer and the CLI then offer it. Hooks of each stage run in registration order, once
per clip for the manipulations asked for:

* ``texture(rgb, ctx) -> rgb``: the still face texture (h, w, 3) float32, before the frame loop.
* ``physiology(physio, ctx) -> physio``: the :class:`.physiology.Physiology` (blinks, eyelid closure,
  pulse amplitude) before it is rendered.
* ``frame(patch, mask, centre, ctx) -> patch``: each frame's face patch (h, w, 3) float32 after
  blinks and pulse, with the manipulation's own ``mask`` map (h, w) in [0, 1] warped to it and the
  face ``centre`` (x, y) in patch px.
* ``audio(speech, ctx) -> speech``: the :class:`.speech.Speech` (lip opening, the utterance the audio
  says, its offset) before it is rendered; only clips that speak have one (``make_clip(speech=...)``).
  An audio-only manipulation rewrites no pixel: its ``mask`` is None (an all-zero ground-truth mask).
* ``geometry(pose_deg, ctx) -> pose_deg``: the (T, 3) yaw, pitch, roll degrees the central face
  (landmarks 17-67 and the texture around them) follows; the outline (0-16) keeps the head's pose
  (:mod:`.head_pose`). A clip with such a hook is rendered in 3-D even without ``head_pose_deg``.

``ctx`` is a :class:`Context`; its ``rng`` is the manipulations' own stream, so a fake and the real
clip of its seed share every draw of the base clip. ``strength`` in (0, 1] scales every artifact
(1 = obvious, 0.1 = subtle).
"""
from dataclasses import dataclass, replace
from typing import Callable

import cv2
import numpy as np

from dfkit.synthetic.face_model import TEXTURE_MAPS
from dfkit.synthetic.physiology import eyelid_closure
from dfkit.synthetic.speech import utterance

BLEND_SOURCES = ("other", "self")
CHECKERBOARD_GAIN = 0.12  # even/odd pixel gain difference of the up-sampling kernel at strength 1
GENERATOR_BLUR = 0.02     # Gaussian sigma of a generated (swapped-in) face, as a fraction of its width
NO_BLINK_MAX_CLOSURE = 0.5  # "no_blink" below strength 1 keeps shallow, incomplete lid movements


@dataclass(frozen=True)
class Context:
    """What a hook may read: rng (the manipulations' random stream), strength in (0, 1], scene
    (the clip's :class:`.scene.Scene`), blend_source ("other" or "self", see :func:`blend`)."""

    rng: np.random.Generator
    strength: float
    scene: object
    blend_source: str


@dataclass(frozen=True)
class Manipulation:
    """One manipulation: name (the ``manipulations=`` key), method (FaceForensics++-style method
    folder), cue (what it plants, for which phase), mask (the texture map, one of ``TEXTURE_MAPS``,
    that is its ground-truth mask), and its stage hooks (see the module docstring; None = no-op)."""

    name: str
    method: str
    cue: str
    mask: str | None
    texture: Callable | None = None
    physiology: Callable | None = None
    frame: Callable | None = None
    audio: Callable | None = None
    geometry: Callable | None = None


REGISTRY = {}  # name -> Manipulation, in registration (= application) order


def register_manipulation(manipulation):
    """Add ``manipulation`` to :data:`REGISTRY` and return it; its hooks run after those registered before."""
    taken = {m.method for m in REGISTRY.values()} | {"real"}
    if manipulation.name in REGISTRY or manipulation.method in taken:
        raise ValueError(f"manipulation {manipulation.name!r} or method {manipulation.method!r} already in use")
    audio_only = manipulation.audio and not (manipulation.texture or manipulation.physiology or manipulation.frame)
    if manipulation.mask not in TEXTURE_MAPS and not (audio_only and manipulation.mask is None):
        raise ValueError(f"mask must be one of {TEXTURE_MAPS}, got {manipulation.mask!r}")
    if not (manipulation.texture or manipulation.physiology or manipulation.frame or manipulation.audio
            or manipulation.geometry):
        raise ValueError(f"manipulation {manipulation.name!r} has no hook")
    REGISTRY[manipulation.name] = manipulation
    return manipulation


def unregister_manipulation(name):
    """Remove manipulation ``name`` from :data:`REGISTRY`."""
    del REGISTRY[name]


def self_blend_source(rgb, rng, center, strength):
    """SBI-style pseudo source: ``rgb`` with per-channel gain and a 2-5 % zoom about ``center``."""
    gain = 1.0 + strength * rng.uniform(0.05, 0.12, 3) * rng.choice([-1, 1], 3)
    zoom = 1.0 + strength * rng.uniform(0.02, 0.05)
    mat = cv2.getRotationMatrix2D(tuple(map(float, center)), 0.0, zoom)
    zoomed = cv2.warpAffine(rgb, mat, rgb.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.clip(zoomed * gain.astype(np.float32), 0, 255)


def generated_look(rgb, face_width):
    """``rgb`` (h, w, 3) float32 as a face generator outputs it: smoother than the camera image.

    Swap generators work at a lower resolution than the video (FaceForensics++ DeepFakes: 64-256 px
    faces), so the pasted face lacks the fine skin texture around it. Gaussian sigma:
    ``GENERATOR_BLUR * face_width`` px, at least 0.8 px.
    """
    return cv2.GaussianBlur(rgb, (0, 0), max(0.8, GENERATOR_BLUR * face_width))


def restyled_source(rgb, rng, face_width):
    """A foreign-looking face from a photo: new colour balance, generator-smoothed skin, different grain."""
    gain = rng.uniform(0.8, 1.2, 3).astype(np.float32)
    smooth = generated_look(rgb, face_width)
    grain = cv2.GaussianBlur(rng.standard_normal(rgb.shape[:2], dtype=np.float32), (0, 0), 1.0)
    return np.clip(smooth * gain + 6.0 * grain[..., None] / (grain.std() + 1e-6), 0, 255)


def blend(rgb, ctx):
    """Texture hook: mix a foreign face into ``rgb`` by ``strength * region`` (the soft swap mask).

    "other": the scene's restyled foreign identity; "self": SBI-style, the face blended onto itself
    after a slight colour and scale change.
    """
    if ctx.blend_source == "self":
        source = self_blend_source(rgb, ctx.rng, ctx.scene.center, ctx.strength)
    else:
        source = ctx.scene.restyle(ctx.rng)
    weight = (ctx.strength * ctx.scene.texture.region)[..., None]
    return rgb + weight * (source - rgb)


register_manipulation(Manipulation("blend", "BlendSwap", "blending boundary, colour and texture mismatch (phase 1)",
                                   mask="region", texture=blend))


def upsample(patch, region, centre, ctx):
    """Frame hook: ``patch`` with its swap ``region`` passed through 2x down/up-sampling.

    Down: 2x2 average pooling. Up: zero insertion, then the separable kernel [a, b, a] with
    b = 1 + g and a = (1 - g) / 2, so even pixels get gain 1 + g and odd ones 1 - g: a
    checkerboard of relative depth g = ``CHECKERBOARD_GAIN * strength`` (peaks at N/2 in the
    spectrum). An odd last row/column is left as it was.
    """
    h2, w2 = patch.shape[0] // 2 * 2, patch.shape[1] // 2 * 2
    core = patch[:h2, :w2]
    small = cv2.resize(core, (w2 // 2, h2 // 2), interpolation=cv2.INTER_AREA)
    zeros = np.zeros_like(core)
    zeros[::2, ::2] = small
    g = CHECKERBOARD_GAIN * ctx.strength
    kernel = np.array([(1 - g) / 2, 1 + g, (1 - g) / 2], np.float32)
    up = cv2.sepFilter2D(zeros, -1, kernel, kernel, borderType=cv2.BORDER_REFLECT_101)
    out = patch.copy()
    out[:h2, :w2] += region[:h2, :w2, None] * (up - core)
    return out


register_manipulation(Manipulation("upsample", "Upsample", "up-sampling checkerboard, spectral peaks at N/2 (phase 3)",
                                   mask="region", frame=upsample))


def flicker(patch, region, centre, ctx):
    """Frame hook: jitter ``patch`` inside its swap ``region``, independently in each frame.

    A random shift (~3 % of the face height), rotation (~3 degrees) about ``centre`` and colour
    gain (~6 %), all times ``strength``, applied to the masked region only. Runs after
    :func:`upsample` (registered first), so a fake with both jitters the up-sampled face.
    """
    rng, strength = ctx.rng, ctx.strength
    angle = strength * rng.normal(0, 3.0)
    mat = cv2.getRotationMatrix2D(tuple(map(float, centre)), angle, 1.0)
    mat[:, 2] += strength * rng.normal(0, 0.03 * ctx.scene.face_height, 2)
    moved = cv2.warpAffine(patch, mat, patch.shape[1::-1], flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT)
    gain = 1.0 + strength * rng.normal(0, 0.06, 3).astype(np.float32)
    weight = region[..., None]
    return patch + weight * (moved * gain - patch)


register_manipulation(Manipulation("flicker", "Flicker", "frame-to-frame jitter of the face region (phase 2)",
                                   mask="region", frame=flicker))


def no_blink(physio, ctx):
    """Physiology hook: no complete blink; below strength 1, shallow lid movements of depth
    ``NO_BLINK_MAX_CLOSURE * (1 - strength)`` where the blinks were."""
    depth = NO_BLINK_MAX_CLOSURE * (1 - ctx.strength)
    return replace(physio, blinks=[], closure=eyelid_closure(physio.blinks, len(physio.closure), depth=depth))


register_manipulation(Manipulation("no_blink", "NoBlink", "missing blinks (phase 4)", mask="eyes",
                                   physiology=no_blink))


def no_pulse(physio, ctx):
    """Physiology hook: the pulse amplitude scaled by ``1 - strength`` (none at strength 1)."""
    return replace(physio, amplitude=physio.amplitude * (1 - ctx.strength))


register_manipulation(Manipulation("no_pulse", "NoPulse", "missing blood-volume pulse (phase 4)", mask="skin",
                                   physiology=no_pulse))

RELIGHT_GAIN_SD = 0.05  # per-frame, per-channel colour gain of the whole face at strength 1 (standard deviation)


def relight(patch, alpha, centre, ctx):
    """Frame hook: the whole face (``alpha``) times a colour gain drawn afresh in every frame.

    Gain per channel ``1 + strength * N(0, RELIGHT_GAIN_SD)``, like a frame-by-frame generator whose
    colour correction is not kept from frame to frame. Each frame alone is a plausible face (faces
    differ far more in colour than 5 %); only the sequence flickers: a temporal-only fake.
    """
    gain = 1.0 + ctx.strength * ctx.rng.normal(0, RELIGHT_GAIN_SD, 3).astype(np.float32)
    return patch + alpha[..., None] * (patch * (gain - 1.0))


register_manipulation(Manipulation("relight", "Relight", "frame-independent colour gain of the whole face, "
                                   "every frame plausible alone (phase 2, temporal only)", mask="alpha",
                                   frame=relight))

AV_OFFSET_FRAMES = (3, 8)  # |audio shift| in frames at strength 1 (inclusive range)


def av_offset(speech, ctx):
    """Audio hook: the audio shifted by a known number of frames, late or early with equal chance.

    ``|offset|`` uniform in ``AV_OFFSET_FRAMES`` times ``strength``, at least 1; the clip records it
    as ``av_offset`` (positive = the audio lags the lips). The lips and the words still match.
    """
    size = max(1, int(round(ctx.strength * ctx.rng.integers(AV_OFFSET_FRAMES[0], AV_OFFSET_FRAMES[1] + 1))))
    return replace(speech, offset=int(size * ctx.rng.choice([-1, 1])))


register_manipulation(Manipulation("av_offset", "AVOffset", "audio shifted against the lips by a known number "
                                   "of frames (phase 5, audio-visual sync)", mask=None, audio=av_offset))


def lip_mismatch(speech, ctx):
    """Audio hook: the audio says another utterance than the lips (a dubbed or lip-synced fake).

    The new utterance is drawn from ``ctx.rng``; at strength s the audio follows
    ``s * other + (1 - s) * own``.
    """
    other = utterance(ctx.rng, len(speech.voice), speech.fps)
    return replace(speech, voice=(ctx.strength * other + (1 - ctx.strength) * speech.voice).astype(np.float32))


register_manipulation(Manipulation("lip_mismatch", "LipMismatch", "audio of another utterance than the lips "
                                   "(phase 5, audio-visual sync)", mask=None, audio=lip_mismatch))

POSE_MISMATCH_DEG = (10.0, 20.0)  # yaw / pitch offset of the central face at strength 1


def pose_mismatch(pose_deg, ctx):
    """Geometry hook: the central face turned away from the head by a constant yaw and pitch offset.

    Each offset uniform in ``POSE_MISMATCH_DEG`` times ``strength``, random sign: a face swapped in
    from a source filmed at another pose, its inner landmarks and texture disagreeing with the
    outline (Yang et al. 2019, "Exposing deep fakes using inconsistent head poses").
    """
    offset = ctx.strength * ctx.rng.uniform(*POSE_MISMATCH_DEG, 2) * ctx.rng.choice([-1, 1], 2)
    return pose_deg + np.array([offset[0], offset[1], 0.0])


register_manipulation(Manipulation("pose_mismatch", "PoseMismatch", "central face in another 3-D pose than the "
                                   "face outline (phase 4)", mask="region", geometry=pose_mismatch))

# The built-in manipulations, for imports; code that must see later registrations reads REGISTRY.
MANIPULATIONS = tuple(REGISTRY)
METHOD_NAMES = {name: m.method for name, m in REGISTRY.items()}
