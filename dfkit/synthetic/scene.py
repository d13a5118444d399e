"""A scene: a face texture, a static background, and where the face sits in the frame.

Every clip starts from a scene (drawn face here, a photo in :mod:`.photo`); :mod:`.clip` then
moves the texture per frame with :mod:`.motion` and adds blinks, pulse, manipulations and noise.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from dfkit.synthetic.face_model import (FACE_HALF_HEIGHT, FACE_HALF_WIDTH, FaceTexture, canonical_landmarks,
                                        render_face, sample_appearance)
from dfkit.synthetic.manipulations import generated_look

DRAWN_FACE_WIDTH = 0.45  # fraction of min(H, W)


@dataclass
class Scene:
    """texture: the face (:class:`FaceTexture`, texture coordinates); background (H, W, 3) float32;
    center: (x, y) texture point the motion rotates about; target: (x, y) frame point it lands on;
    face_height: face height in frame px; restyle: callable(rng) -> a foreign-identity texture RGB."""

    texture: FaceTexture
    background: np.ndarray
    center: tuple
    target: tuple
    face_height: float
    restyle: object


def background(rng, shape):
    """(H, W, 3) float32 static backdrop: a vertical colour gradient with a few soft blobs.

    The blobs are drawn and blurred at 1/8 resolution, then resized, so 1080p costs little.
    """
    h, w = shape
    top, bottom = rng.uniform(30, 220, 3), rng.uniform(30, 220, 3)
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    image = np.broadcast_to(top * (1 - ramp) + bottom * ramp, (h, w, 3)).astype(np.float32)
    sh, sw = max(8, h // 8), max(8, w // 8)
    blobs = np.zeros((sh, sw, 3), np.float32)
    for _ in range(3):
        centre = (int(rng.uniform(0, sw)), int(rng.uniform(0, sh)))
        cv2.circle(blobs, centre, int(rng.uniform(0.05, 0.2) * min(sh, sw)), rng.uniform(-40, 40, 3).tolist(), -1)
    blobs = cv2.resize(cv2.GaussianBlur(blobs, (0, 0), 0.05 * min(sh, sw) + 1), (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(image + blobs, 0, 255)


def crop_texture(texture, margin):
    """Cut ``texture`` to its alpha bounding box plus ``margin`` px; shifts landmarks and box."""
    ys, xs = np.nonzero(texture.alpha > 0)
    h, w = texture.alpha.shape
    x0, y0 = max(xs.min() - margin, 0), max(ys.min() - margin, 0)
    x1, y1 = min(xs.max() + margin + 1, w), min(ys.max() + margin + 1, h)
    cut = (slice(y0, y1), slice(x0, x1))
    offset = np.array([x0, y0], np.float32)
    return FaceTexture(texture.rgb[cut], texture.alpha[cut], texture.skin[cut], texture.region[cut],
                       texture.eyes[cut], texture.landmarks - offset, texture.box - np.tile(offset, 2))


def drawn_scene(rng, shape, source_rng=None):
    """A drawn face of random identity centred in a frame of ``shape`` (H, W).

    The foreign identity for a "blend" swap is drawn with the same geometry (so landmarks stay
    true) from ``rng`` passed to ``restyle``, or ``source_rng`` when given (a chosen source identity),
    and smoothed like a generator's output (:func:`.manipulations.generated_look`).
    """
    h, w = shape
    scale = DRAWN_FACE_WIDTH * min(h, w)
    centre = (w / 2 + rng.uniform(-0.05, 0.05) * w, h / 2 + rng.uniform(-0.05, 0.05) * h)
    units = canonical_landmarks(rng)
    look = sample_appearance(rng)
    full = render_face(shape, centre, scale, units, look)
    margin = int(np.ceil(0.1 * scale)) + 2
    texture = crop_texture(full, margin)
    face_centre = _box_centre(texture.box)

    def restyle(manip_rng):
        other = sample_appearance(source_rng if source_rng is not None else manip_rng)
        foreign = crop_texture(render_face(shape, centre, scale, units, other), margin).rgb
        return generated_look(foreign, 2 * FACE_HALF_WIDTH * scale)

    return Scene(texture, background(rng, shape), face_centre, _box_centre(full.box),
                 2 * FACE_HALF_HEIGHT * scale, restyle)


def _box_centre(box):
    return float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2
