"""The fake-making manipulations, one per curriculum phase cue.

* ``blend`` (phase 1): a foreign, generator-smoothed face mixed into the inner face with a soft
  mask (boundary, colour and texture mismatch); ``self`` mode is SBI-style, the face blended onto
  itself after a slight colour and scale change.
* ``flicker`` (phase 2): frame-independent jitter (shift, rotation, colour gain) of the region.
* ``upsample`` (phase 3): 2x average-pool down, then zero-insertion up with a fixed 3-tap kernel
  whose even/odd gains differ (a transposed-conv checkerboard) -> spectral peaks at N/2.
* ``no_blink`` and ``no_pulse`` (phase 4) change the physiology and live in :mod:`.clip`.

``strength`` in (0, 1] scales every artifact (1 = obvious, 0.1 = subtle).
"""
import cv2
import numpy as np

MANIPULATIONS = ("blend", "flicker", "upsample", "no_blink", "no_pulse")
METHOD_NAMES = {"blend": "BlendSwap", "flicker": "Flicker", "upsample": "Upsample",
                "no_blink": "NoBlink", "no_pulse": "NoPulse"}
BLEND_SOURCES = ("other", "self")
CHECKERBOARD_GAIN = 0.12  # even/odd pixel gain difference of the up-sampling kernel at strength 1
GENERATOR_BLUR = 0.02     # Gaussian sigma of a generated (swapped-in) face, as a fraction of its width


def blend_into(rgb, source, region, strength):
    """(h, w, 3) texture with ``source`` mixed in by ``strength * region`` (soft (h, w) mask)."""
    weight = (strength * region)[..., None]
    return rgb + weight * (source - rgb)


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


def flicker(image, region, rng, center, face_size, strength):
    """Jitter ``image`` (h, w, 3) float32 inside ``region`` (h, w), independently for each call.

    A random shift (~3 % of ``face_size`` px), rotation (~3 degrees) about ``center`` and colour
    gain (~6 %), all times ``strength``, applied to the masked region only.
    """
    angle = strength * rng.normal(0, 3.0)
    mat = cv2.getRotationMatrix2D(tuple(map(float, center)), angle, 1.0)
    mat[:, 2] += strength * rng.normal(0, 0.03 * face_size, 2)
    moved = cv2.warpAffine(image, mat, image.shape[1::-1], flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT)
    gain = 1.0 + strength * rng.normal(0, 0.06, 3).astype(np.float32)
    weight = region[..., None]
    return image + weight * (moved * gain - image)


def upsample_artifact(image, region, strength):
    """``image`` (h, w, 3) float32 with its ``region`` (h, w) passed through 2x down/up-sampling.

    Down: 2x2 average pooling. Up: zero insertion, then the separable kernel [a, b, a] with
    b = 1 + g and a = (1 - g) / 2, so even pixels get gain 1 + g and odd ones 1 - g: a
    checkerboard of relative depth g = ``CHECKERBOARD_GAIN * strength`` (peaks at N/2 in the
    spectrum). An odd last row/column is left as it was.
    """
    h2, w2 = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    core = image[:h2, :w2]
    small = cv2.resize(core, (w2 // 2, h2 // 2), interpolation=cv2.INTER_AREA)
    zeros = np.zeros_like(core)
    zeros[::2, ::2] = small
    g = CHECKERBOARD_GAIN * strength
    kernel = np.array([(1 - g) / 2, 1 + g, (1 - g) / 2], np.float32)
    up = cv2.sepFilter2D(zeros, -1, kernel, kernel, borderType=cv2.BORDER_REFLECT_101)
    out = image.copy()
    out[:h2, :w2] += region[:h2, :w2, None] * (up - core)
    return out
